#include "recommend/smart_rules.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/strings.h"
#include "recommend/listens.h"

namespace segue::recommend::smart {
namespace {

namespace json = boost::json;

struct FieldInfo {
  std::string_view name;
  Field field;
  FieldType type;
};

// Segue's names first (field_name() answers with them), then the other spellings accepted.
constexpr FieldInfo kFields[] = {
    {"title", Field::kTitle, FieldType::kText},
    {"album", Field::kAlbum, FieldType::kText},
    {"artist", Field::kArtist, FieldType::kText},
    {"albumartist", Field::kAlbumArtist, FieldType::kText},
    {"genre", Field::kGenre, FieldType::kText},
    {"year", Field::kYear, FieldType::kNumber},
    {"duration", Field::kDuration, FieldType::kNumber},
    {"dateadded", Field::kDateAdded, FieldType::kDate},
    {"lastplayed", Field::kLastPlayed, FieldType::kDate},
    {"playcount", Field::kPlayCount, FieldType::kNumber},
    {"saved", Field::kSaved, FieldType::kBool},
    {"tempo", Field::kTempo, FieldType::kNumber},
    {"energy", Field::kEnergy, FieldType::kNumber},
    {"danceability", Field::kDanceability, FieldType::kNumber},
    {"valence", Field::kValence, FieldType::kNumber},
    {"acousticness", Field::kAcousticness, FieldType::kNumber},
    {"instrumentalness", Field::kInstrumentalness, FieldType::kNumber},
    {"speechiness", Field::kSpeechiness, FieldType::kNumber},
    {"liveness", Field::kLiveness, FieldType::kNumber},
    {"loudness", Field::kLoudness, FieldType::kNumber},
    {"key", Field::kKey, FieldType::kNumber},
    {"mode", Field::kMode, FieldType::kNumber},
    {"random", Field::kRandom, FieldType::kNumber},
    // Navidrome's names for the same things.
    {"loved", Field::kSaved, FieldType::kBool},
    {"starred", Field::kSaved, FieldType::kBool},
    {"bpm", Field::kTempo, FieldType::kNumber},
};

struct OpInfo {
  std::string_view name;
  Op op;
};
constexpr OpInfo kOps[] = {
    {"is", Op::kIs}, {"isNot", Op::kIsNot}, {"contains", Op::kContains}, {"notContains", Op::kNotContains},
    {"startsWith", Op::kStartsWith}, {"endsWith", Op::kEndsWith}, {"gt", Op::kGt}, {"lt", Op::kLt},
    {"inTheRange", Op::kInTheRange}, {"inTheLast", Op::kInTheLast}, {"notInTheLast", Op::kNotInTheLast},
    {"before", Op::kBefore}, {"after", Op::kAfter},
};

constexpr int64_t kDayMs = 86'400'000;

std::string field_list() {
  std::string s;
  for (const auto& f : kFields) {
    if (f.field == Field::kRandom) continue;
    s += s.empty() ? "" : ", ";
    s += f.name;
  }
  return s;
}

std::optional<FieldInfo> find_field(std::string_view name) {
  const std::string lower = strings::ascii_lower(name);
  for (const auto& f : kFields)
    if (f.name == lower) return f;
  return std::nullopt;
}

std::optional<Op> find_op(std::string_view name) {
  for (const auto& o : kOps)
    if (o.name == name) return o.op;
  // Case-insensitively too ("inthelast"), as field names are.
  const std::string lower = strings::ascii_lower(name);
  for (const auto& o : kOps)
    if (strings::ascii_lower(o.name) == lower) return o.op;
  return std::nullopt;
}

bool op_applies(Op op, FieldType t) {
  switch (t) {
    case FieldType::kText:
      return op == Op::kIs || op == Op::kIsNot || op == Op::kContains || op == Op::kNotContains ||
             op == Op::kStartsWith || op == Op::kEndsWith;
    case FieldType::kNumber:
      return op == Op::kIs || op == Op::kIsNot || op == Op::kGt || op == Op::kLt || op == Op::kInTheRange;
    case FieldType::kDate:
      return op == Op::kBefore || op == Op::kAfter || op == Op::kInTheRange || op == Op::kInTheLast ||
             op == Op::kNotInTheLast;
    case FieldType::kBool:
      return op == Op::kIs || op == Op::kIsNot;
  }
  return false;
}

std::string_view type_name(FieldType t) {
  switch (t) {
    case FieldType::kText: return "text";
    case FieldType::kNumber: return "a number";
    case FieldType::kDate: return "a date";
    case FieldType::kBool: return "true or false";
  }
  return "";
}

std::string ops_for(FieldType t) {
  std::string s;
  for (const auto& o : kOps)
    if (op_applies(o.op, t)) {
      s += s.empty() ? "" : ", ";
      s += o.name;
    }
  return s;
}

// "YYYY-MM-DD" as ms at 00:00 UTC.
std::optional<int64_t> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto y = strings::parse_int(s.substr(0, 4));
  auto m = strings::parse_int(s.substr(5, 2));
  auto d = strings::parse_int(s.substr(8, 2));
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  if (*d > kDays[*m - 1] || (*m == 2 && *d == 29 && !leap)) return std::nullopt;
  return days_from_civil(*y, static_cast<unsigned>(*m), static_cast<unsigned>(*d)) * kDayMs;
}

// A JSON number, or a string holding one ("5": .nsp files written by hand have those).
std::optional<double> as_number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return std::isfinite(v.as_double()) ? std::optional<double>(v.as_double()) : std::nullopt;
  if (v.is_string()) {
    const std::string s(v.as_string());
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
    return d;
  }
  return std::nullopt;
}

struct Parser {
  std::size_t conditions = 0;

  Result<Condition> condition(std::string_view op_text, const json::value& body) {
    auto op = find_op(op_text);
    if (!op) {
      if (strings::ascii_lower(op_text) == "inplaylist" || strings::ascii_lower(op_text) == "notinplaylist")
        return Error::invalid("rules: operator '" + std::string(op_text) + "' is not supported by Segue");
      return Error::invalid("rules: unknown operator '" + std::string(op_text) +
                            "' (operators: is, isNot, contains, notContains, startsWith, endsWith, gt, lt, "
                            "inTheRange, inTheLast, notInTheLast, before, after; groups: all, any)");
    }
    const std::string where = "rules: " + std::string(op_name(*op));
    if (!body.is_object() || body.as_object().size() != 1)
      return Error::invalid(where + ": expected an object with one field, as {\"" + std::string(op_name(*op)) +
                            "\": {\"year\": 1999}}");
    const auto& [key, value] = *body.as_object().begin();
    auto info = find_field(key);
    if (!info || info->field == Field::kRandom)
      return Error::invalid(where + ": unknown field '" + std::string(key) + "' (fields: " + field_list() + ")");
    if (++conditions > kMaxConditions)
      return Error::invalid("rules: more than " + std::to_string(kMaxConditions) + " conditions");
    const std::string at = where + " " + std::string(field_name(info->field));
    if (!op_applies(*op, info->type))
      return Error::invalid("rules: operator " + std::string(op_name(*op)) + " does not apply to " +
                            std::string(field_name(info->field)) + " (" + std::string(type_name(info->type)) +
                            "; use " + ops_for(info->type) + ")");
    Condition c;
    c.op = *op;
    c.field = info->field;
    switch (info->type) {
      case FieldType::kText:
        if (!value.is_string()) return Error::invalid(at + ": expected a string");
        c.original = std::string(value.as_string());
        c.text = strings::ascii_lower(c.original);
        break;
      case FieldType::kBool:
        if (value.is_bool()) c.flag = value.as_bool();
        else if (value.is_string() && (value.as_string() == "true" || value.as_string() == "false"))
          c.flag = value.as_string() == "true";
        else return Error::invalid(at + ": expected true or false");
        break;
      case FieldType::kNumber:
        if (*op == Op::kInTheRange) {
          if (!value.is_array() || value.as_array().size() != 2)
            return Error::invalid(at + ": expected [from, to]");
          auto a = as_number(value.as_array()[0]);
          auto b = as_number(value.as_array()[1]);
          if (!a || !b) return Error::invalid(at + ": expected two numbers");
          if (*a > *b) return Error::invalid(at + ": the range's start is above its end");
          c.a = *a;
          c.b = *b;
        } else {
          auto a = as_number(value);
          if (!a) return Error::invalid(at + ": expected a number");
          c.a = *a;
        }
        break;
      case FieldType::kDate:
        if (*op == Op::kInTheLast || *op == Op::kNotInTheLast) {
          auto a = as_number(value);
          if (!a || *a <= 0 || *a > 365.0 * 1000) return Error::invalid(at + ": expected a number of days above 0");
          c.a = *a;
        } else if (*op == Op::kInTheRange) {
          if (!value.is_array() || value.as_array().size() != 2 || !value.as_array()[0].is_string() ||
              !value.as_array()[1].is_string())
            return Error::invalid(at + ": expected [\"YYYY-MM-DD\", \"YYYY-MM-DD\"]");
          c.original = std::string(value.as_array()[0].as_string());
          c.original_b = std::string(value.as_array()[1].as_string());
          auto a = parse_date(c.original);
          auto b = parse_date(c.original_b);
          if (!a || !b) return Error::invalid(at + ": expected dates as YYYY-MM-DD");
          if (*a > *b) return Error::invalid(at + ": the range's start is after its end");
          c.a = static_cast<double>(*a);
          c.b = static_cast<double>(*b);
        } else {
          if (!value.is_string()) return Error::invalid(at + ": expected a date as YYYY-MM-DD");
          c.original = std::string(value.as_string());
          auto a = parse_date(c.original);
          if (!a) return Error::invalid(at + ": expected a date as YYYY-MM-DD, not '" + c.original + "'");
          c.a = static_cast<double>(*a);
        }
        break;
    }
    return c;
  }

  Result<Node> group(bool any, const json::value& list, int depth) {
    const char* name = any ? "any" : "all";
    if (depth > kMaxDepth) return Error::invalid("rules: groups nested deeper than " + std::to_string(kMaxDepth));
    if (!list.is_array()) return Error::invalid(std::string("rules: ") + name + ": expected a list of conditions");
    if (list.as_array().empty()) return Error::invalid(std::string("rules: ") + name + ": an empty group");
    Node n;
    n.is_group = true;
    n.any = any;
    for (const auto& item : list.as_array()) {
      if (!item.is_object() || item.as_object().size() != 1)
        return Error::invalid(std::string("rules: ") + name +
                              ": each item is one condition {\"operator\": {\"field\": value}} or a group");
      const auto& [key, value] = *item.as_object().begin();
      if (key == "all" || key == "any") {
        SEGUE_ASSIGN_OR_RETURN(Node child, group(key == "any", value, depth + 1));
        n.children.push_back(std::move(child));
      } else {
        Node leaf;
        SEGUE_ASSIGN_OR_RETURN(leaf.condition, condition(key, value));
        n.children.push_back(std::move(leaf));
      }
    }
    return n;
  }
};

Result<std::vector<SortKey>> parse_sort(std::string_view text, bool desc_order) {
  std::vector<SortKey> out;
  for (std::string part : strings::split(text, ',')) {
    std::string_view p = strings::trim(part);
    bool desc = false;
    if (!p.empty() && (p[0] == '-' || p[0] == '+')) {
      desc = p[0] == '-';
      p.remove_prefix(1);
    }
    auto info = find_field(p);
    if (!info) return Error::invalid("rules: sort: unknown field '" + std::string(p) + "' (fields: " + field_list() + ", random)");
    out.push_back({info->field, desc != desc_order});
  }
  if (out.empty()) return Error::invalid("rules: sort: no field");
  if (out.size() > 1 && std::any_of(out.begin(), out.end(), [](const SortKey& k) { return k.field == Field::kRandom; }))
    return Error::invalid("rules: sort: random cannot be combined with other fields");
  return out;
}

json::value number_json(double d) {
  if (d == std::floor(d) && std::abs(d) < 9e15) return static_cast<int64_t>(d);
  return d;
}

json::object condition_json(const Condition& c) {
  json::value v;
  switch (field_type(c.field)) {
    case FieldType::kText: v = c.original; break;
    case FieldType::kBool: v = c.flag; break;
    case FieldType::kNumber:
      v = c.op == Op::kInTheRange ? json::value(json::array{number_json(c.a), number_json(c.b)}) : number_json(c.a);
      break;
    case FieldType::kDate:
      if (c.op == Op::kInTheLast || c.op == Op::kNotInTheLast) v = number_json(c.a);
      else if (c.op == Op::kInTheRange) v = json::array{json::string(c.original), json::string(c.original_b)};
      else v = c.original;
      break;
  }
  json::object inner;
  inner[field_name(c.field)] = std::move(v);
  json::object o;
  o[op_name(c.op)] = std::move(inner);
  return o;
}

json::object node_json(const Node& n) {
  if (!n.is_group) return condition_json(n.condition);
  json::array items;
  for (const auto& c : n.children) items.push_back(node_json(c));
  json::object o;
  o[n.any ? "any" : "all"] = std::move(items);
  return o;
}

// ---- evaluation ----

bool text_test(Op op, const std::string& value, const std::string& want) {
  switch (op) {
    case Op::kIs:
    case Op::kIsNot: return value == want;
    case Op::kContains:
    case Op::kNotContains: return value.find(want) != std::string::npos;
    case Op::kStartsWith: return value.starts_with(want);
    case Op::kEndsWith: return value.ends_with(want);
    default: return false;
  }
}

bool negated(Op op) { return op == Op::kIsNot || op == Op::kNotContains || op == Op::kNotInTheLast; }

// The positive form of the condition on one value.
bool number_test(Op op, double v, const Condition& c) {
  switch (op) {
    case Op::kIs:
    case Op::kIsNot: return v == c.a;
    case Op::kGt: return v > c.a;
    case Op::kLt: return v < c.a;
    case Op::kInTheRange: return v >= c.a && v <= c.b;
    default: return false;
  }
}

bool date_test(Op op, int64_t ts, const Condition& c, int64_t now_ms) {
  switch (op) {
    case Op::kBefore: return ts < static_cast<int64_t>(c.a);
    case Op::kAfter: return ts >= static_cast<int64_t>(c.a) + kDayMs;
    case Op::kInTheRange: return ts >= static_cast<int64_t>(c.a) && ts < static_cast<int64_t>(c.b) + kDayMs;
    case Op::kInTheLast:
    case Op::kNotInTheLast: return ts >= now_ms - static_cast<int64_t>(c.a * kDayMs);
    default: return false;
  }
}

std::optional<double> number_of(Field f, const TrackFacts& t, const UserFacts& u) {
  switch (f) {
    case Field::kYear: return t.year ? std::optional<double>(*t.year) : std::nullopt;
    case Field::kDuration: return t.duration_s;
    case Field::kPlayCount: {
      auto it = u.plays.find(t.id.str());
      return it == u.plays.end() ? 0.0 : static_cast<double>(it->second.count);
    }
    default: break;
  }
  if (f >= Field::kTempo && f <= Field::kMode) {
    if (!t.audio) return std::nullopt;
    const double v = t.audio->v[static_cast<int>(f) - static_cast<int>(Field::kTempo)];
    if ((f == Field::kKey || f == Field::kMode) && v < 0) return std::nullopt;
    if (f == Field::kTempo && v <= 0) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

std::optional<int64_t> date_of(Field f, const TrackFacts& t, const UserFacts& u) {
  if (f == Field::kDateAdded) return t.added_ms > 0 ? std::optional<int64_t>(t.added_ms) : std::nullopt;
  auto it = u.plays.find(t.id.str());
  if (it == u.plays.end() || it->second.count == 0 || it->second.last_ms <= 0) return std::nullopt;
  return it->second.last_ms;
}

// The text values of a field (a list for artists and genres).
template <typename Fn>
bool any_text(Field f, const TrackFacts& t, Fn&& fn) {
  switch (f) {
    case Field::kTitle: return fn(t.title);
    case Field::kAlbum: return fn(t.album);
    case Field::kArtist: return std::any_of(t.artists.begin(), t.artists.end(), fn);
    case Field::kAlbumArtist: return std::any_of(t.album_artists.begin(), t.album_artists.end(), fn);
    case Field::kGenre: return std::any_of(t.genres.begin(), t.genres.end(), fn);
    default: return false;
  }
}

bool condition_holds(const Condition& c, const TrackFacts& t, const UserFacts& u, int64_t now_ms) {
  bool positive = false;
  switch (field_type(c.field)) {
    case FieldType::kText:
      positive = any_text(c.field, t, [&](const std::string& v) { return text_test(c.op, v, c.text); });
      break;
    case FieldType::kBool: {
      const bool saved = u.saved.contains(t.id.str());
      return c.op == Op::kIs ? saved == c.flag : saved != c.flag;
    }
    case FieldType::kNumber: {
      auto v = number_of(c.field, t, u);
      positive = v && number_test(c.op, *v, c);
      break;
    }
    case FieldType::kDate: {
      auto v = date_of(c.field, t, u);
      positive = v && date_test(c.op, *v, c, now_ms);
      break;
    }
  }
  return negated(c.op) ? !positive : positive;
}

bool node_holds(const Node& n, const TrackFacts& t, const UserFacts& u, int64_t now_ms) {
  if (!n.is_group) return condition_holds(n.condition, t, u, now_ms);
  if (n.any) {
    for (const auto& c : n.children)
      if (node_holds(c, t, u, now_ms)) return true;
    return false;
  }
  for (const auto& c : n.children)
    if (!node_holds(c, t, u, now_ms)) return false;
  return true;
}

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t random_key(uint64_t seed, const std::string& id) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the id, then mixed with the seed
  for (unsigned char ch : id) h = (h ^ ch) * 0x100000001b3ULL;
  return mix(h ^ mix(seed));
}

// A sort value: a number, a text, or missing (sorted last in either direction).
struct SortValue {
  bool missing = true;
  double number = 0;
  const std::string* text = nullptr;
};

SortValue sort_value(Field f, const TrackFacts& t, const UserFacts& u) {
  SortValue s;
  switch (field_type(f)) {
    case FieldType::kText: {
      const std::string* first = nullptr;
      any_text(f, t, [&](const std::string& v) {
        first = &v;
        return true;
      });
      if (first) {
        s.missing = false;
        s.text = first;
      }
      break;
    }
    case FieldType::kBool:
      s.missing = false;
      s.number = u.saved.contains(t.id.str()) ? 1 : 0;
      break;
    case FieldType::kNumber:
      if (auto v = number_of(f, t, u)) {
        s.missing = false;
        s.number = *v;
      }
      break;
    case FieldType::kDate:
      if (auto v = date_of(f, t, u)) {
        s.missing = false;
        s.number = static_cast<double>(*v);
      }
      break;
  }
  return s;
}

}  // namespace

std::string_view field_name(Field f) {
  for (const auto& i : kFields)
    if (i.field == f) return i.name;
  return "";
}

std::string_view op_name(Op op) {
  for (const auto& o : kOps)
    if (o.op == op) return o.name;
  return "";
}

FieldType field_type(Field f) {
  for (const auto& i : kFields)
    if (i.field == f) return i.type;
  return FieldType::kNumber;
}

Result<Parsed> parse_rules(const json::value& doc) {
  if (!doc.is_object()) return Error::invalid("rules: expected a JSON object");
  const auto& o = doc.as_object();
  Parsed out;
  Parser p;
  bool have_root = false;
  std::optional<std::string> sort_text;
  bool desc_order = false;
  for (const auto& [key, value] : o) {
    if (key == "all" || key == "any") {
      if (have_root) return Error::invalid("rules: give either all or any at the top, not both");
      SEGUE_ASSIGN_OR_RETURN(out.rules.root, p.group(key == "any", value, 1));
      have_root = true;
    } else if (key == "name" || key == "comment") {
      if (!value.is_string()) return Error::invalid("rules: " + std::string(key) + ": expected a string");
      (key == "name" ? out.name : out.comment) = std::string(value.as_string());
    } else if (key == "sort") {
      if (!value.is_string()) return Error::invalid("rules: sort: expected a string such as \"-year,title\"");
      sort_text = std::string(value.as_string());
    } else if (key == "order") {
      if (!value.is_string() || (value.as_string() != "asc" && value.as_string() != "desc"))
        return Error::invalid("rules: order: expected \"asc\" or \"desc\"");
      desc_order = value.as_string() == "desc";
    } else if (key == "limit") {
      auto n = as_number(value);
      if (!n || *n != std::floor(*n) || *n < 0 || *n > static_cast<double>(kMaxItems))
        return Error::invalid("rules: limit: expected a whole number from 0 (no limit) to " + std::to_string(kMaxItems));
      out.rules.limit = static_cast<std::size_t>(*n);
    } else if (key == "seed") {
      if (!value.is_int64() && !value.is_uint64()) return Error::invalid("rules: seed: expected a whole number");
      if (value.is_int64() && value.as_int64() < 0) return Error::invalid("rules: seed: expected a whole number from 0");
      out.rules.seed = value.is_int64() ? static_cast<uint64_t>(value.as_int64()) : value.as_uint64();
      out.rules.has_seed = true;
    } else if (key == "public") {
      // A .nsp file's visibility flag: the request decides visibility (?public=), so ignored.
    } else {
      return Error::invalid("rules: unknown key '" + std::string(key) +
                            "' (keys: all, any, sort, order, limit, seed, name, comment)");
    }
  }
  if (!have_root) return Error::invalid("rules: missing all or any: the conditions a track must meet");
  if (sort_text) {
    SEGUE_ASSIGN_OR_RETURN(out.rules.sort, parse_sort(*sort_text, desc_order));
  } else if (desc_order) {
    return Error::invalid("rules: order without sort");
  }
  return out;
}

Result<Parsed> parse_rules_text(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Error::invalid("rules: not valid JSON: " + ec.message());
  return parse_rules(v);
}

json::object to_json(const Rules& rules) {
  json::object o = node_json(rules.root);
  if (!rules.sort.empty()) {
    std::string s;
    for (const auto& k : rules.sort) {
      s += s.empty() ? "" : ",";
      if (k.desc) s += "-";
      s += field_name(k.field);
    }
    o["sort"] = s;
  }
  if (rules.limit > 0) o["limit"] = rules.limit;
  if (rules.has_seed) o["seed"] = rules.seed;
  return o;
}

bool matches(const Rules& rules, const TrackFacts& track, const UserFacts& user, int64_t now_ms) {
  return node_holds(rules.root, track, user, now_ms);
}

std::vector<TrackId> select(const Rules& rules, const std::vector<TrackFacts>& tracks, const UserFacts& user,
                            int64_t now_ms) {
  std::vector<std::size_t> hits;
  for (std::size_t i = 0; i < tracks.size(); ++i)
    if (matches(rules, tracks[i], user, now_ms)) hits.push_back(i);
  if (rules.sort.size() == 1 && rules.sort[0].field == Field::kRandom) {
    std::vector<uint64_t> key(tracks.size());
    for (auto i : hits) key[i] = random_key(rules.seed, tracks[i].id.str());
    std::stable_sort(hits.begin(), hits.end(), [&](std::size_t a, std::size_t b) { return key[a] < key[b]; });
  } else if (!rules.sort.empty()) {
    std::vector<std::vector<SortValue>> values(tracks.size());
    for (auto i : hits)
      for (const auto& k : rules.sort) values[i].push_back(sort_value(k.field, tracks[i], user));
    std::stable_sort(hits.begin(), hits.end(), [&](std::size_t a, std::size_t b) {
      for (std::size_t k = 0; k < rules.sort.size(); ++k) {
        const SortValue& x = values[a][k];
        const SortValue& y = values[b][k];
        if (x.missing != y.missing) return y.missing;  // missing last, either direction
        if (x.missing) continue;
        int cmp = 0;
        if (x.text) cmp = x.text->compare(*y.text);
        else cmp = x.number < y.number ? -1 : x.number > y.number ? 1 : 0;
        if (cmp != 0) return rules.sort[k].desc ? cmp > 0 : cmp < 0;
      }
      return false;
    });
  }
  const std::size_t cap = rules.limit > 0 ? std::min(rules.limit, kMaxItems) : kMaxItems;
  if (hits.size() > cap) hits.resize(cap);
  std::vector<TrackId> out;
  out.reserve(hits.size());
  for (auto i : hits) out.push_back(tracks[i].id);
  return out;
}

}  // namespace segue::recommend::smart
