#include "events/event.h"

#include "common/json_fields.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/strings.h"

namespace segue::events {
namespace json = boost::json;
namespace {

constexpr int64_t kYear2000Ms = 946'684'800'000LL;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::size_t kMaxQuery = 500;
constexpr std::size_t kMaxUri = 256;
constexpr std::size_t kMaxSection = 64;
constexpr std::size_t kMaxSections = 100;
constexpr std::size_t kMaxImpressionItems = 500;
constexpr int64_t kMaxRank = 10'000;
constexpr int64_t kMaxResultCount = 1'000'000;

const char* const kPlaylistActions[] = {"create", "delete", "add",    "remove",  "move",
                                        "rename", "details", "follow", "unfollow"};

int64_t now_ms(std::chrono::system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

// Field readers: absent -> nullopt (or the default), wrong type -> Error::invalid naming it.
using json_fields::opt_bool;
using json_fields::opt_int;
using json_fields::opt_string;
using json_fields::req_int;
using json_fields::req_string;

Result<std::vector<std::string>> string_array(const json::object& o, const char* name, bool required) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) {
    if (required) return Error::invalid(std::string(name) + ": required array of strings");
    return out;
  }
  if (!v->is_array()) return Error::invalid(std::string(name) + ": expected an array of strings");
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return Error::invalid(std::string(name) + ": expected an array of strings");
    out.emplace_back(x.as_string());
  }
  return out;
}

bool text_ok(const std::string& s, std::size_t max) { return s.size() <= max && strings::is_valid_utf8(s); }

// segue:<kind>:<22 base62> or spotify:<kind>:<id>, for the kinds an event can point at.
bool is_item_uri(std::string_view uri) {
  for (const char* kind : {"track", "album", "artist", "playlist", "show", "episode"}) {
    if (auto id = parse_uri(uri, kind); id && is_base62_id(*id)) return true;
  }
  return false;
}

Status check_uri(const std::string& uri, const char* name) {
  if (!is_item_uri(uri)) return Error::invalid(std::string(name) + ": expected an item URI (segue:track:<id>)");
  return {};
}

// "<prefix>:<rest>": a lowercase prefix (a-z, 0-9, '_', '-'), then 1 or more bytes of UTF-8;
// at most kMaxSource bytes. "home:" must name a section as home_click does (1 to 64 bytes).
// Other prefixes are kept as sent (a newer client's sources are not lost; consumers read
// only the ones they know).
Status check_source(const std::string& s) {
  if (s.empty()) return {};
  if (s.size() > kMaxSource || !strings::is_valid_utf8(s))
    return Error::invalid("source: at most 80 bytes of UTF-8");
  const auto colon = s.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return Error::invalid("source: expected <prefix>:<value>, e.g. home:<section id>");
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return Error::invalid("source: the prefix is lowercase letters, digits, '_' or '-'");
  }
  if (s.compare(0, colon, "home") == 0 && s.size() - colon - 1 > kMaxSection)
    return Error::invalid("source: home:<section id> with a section id of 1 to 64 bytes");
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return Error::invalid("source: no control characters");
  return {};
}

Status check_query(const std::string& q) {
  if (q.empty() || !text_ok(q, kMaxQuery)) return Error::invalid("query: 1 to 500 bytes of UTF-8");
  return {};
}

Status check_rank(int64_t rank) {
  if (rank < 0 || rank >= kMaxRank) return Error::invalid("rank: must be between 0 and 9999");
  return {};
}

struct PayloadValidator {
  EventType type;
  Status operator()(const Playback& p) const {
    if (!is_base62_id(p.track.str())) return Error::invalid("track_id: not a valid track id");
    if (p.position_ms < 0 || p.position_ms > kDayMs)
      return Error::invalid("position_ms: must be between 0 and 86400000");
    if (p.duration_ms && (*p.duration_ms < 0 || *p.duration_ms > kDayMs))
      return Error::invalid("duration_ms: must be between 0 and 86400000");
    if (type == EventType::kSkip && !p.skip) return Error::invalid("skip: a skip event has skip = true");
    if (type == EventType::kTrackStart && p.skip) return Error::invalid("skip: only for track_end");
    if (!text_ok(p.reason, 64)) return Error::invalid("reason: at most 64 bytes of UTF-8");
    if (!text_ok(p.context_uri, kMaxUri)) return Error::invalid("context_uri: at most 256 bytes of UTF-8");
    return check_source(p.source);
  }
  Status operator()(const Search& s) const {
    SEGUE_TRY(check_query(s.query));
    if (s.result_count < 0 || s.result_count > kMaxResultCount)
      return Error::invalid("result_count: must be between 0 and 1000000");
    return {};
  }
  Status operator()(const SearchClick& s) const {
    SEGUE_TRY(check_query(s.query));
    SEGUE_TRY(check_uri(s.item_uri, "item_uri"));
    return check_rank(s.rank);
  }
  Status operator()(const HomeImpression& h) const {
    if (h.section_ids.empty() || h.section_ids.size() > kMaxSections)
      return Error::invalid("section_ids: 1 to 100 section ids");
    for (const auto& s : h.section_ids)
      if (s.empty() || !text_ok(s, kMaxSection)) return Error::invalid("section_ids: each 1 to 64 bytes of UTF-8");
    if (h.item_uris.size() > kMaxImpressionItems) return Error::invalid("item_uris: at most 500");
    for (const auto& u : h.item_uris) SEGUE_TRY(check_uri(u, "item_uris"));
    return {};
  }
  Status operator()(const HomeClick& h) const {
    if (h.section.empty() || !text_ok(h.section, kMaxSection))
      return Error::invalid("section: 1 to 64 bytes of UTF-8");
    SEGUE_TRY(check_uri(h.item_uri, "item_uri"));
    return check_rank(h.rank);
  }
  Status operator()(const PlaylistEdit& p) const {
    if (!is_base62_id(p.playlist_id)) return Error::invalid("playlist_id: not a valid playlist id");
    for (const char* a : kPlaylistActions)
      if (p.action == a) return {};
    return Error::invalid("action: expected create, delete, add, remove, move, rename, details, follow or unfollow");
  }
  Status operator()(const LibrarySave& l) const { return check_uri(l.item_uri, "item_uri"); }
};

std::size_t payload_index(EventType t) {
  switch (t) {
    case EventType::kTrackStart:
    case EventType::kTrackEnd:
    case EventType::kSkip: return 0;
    case EventType::kSearch: return 1;
    case EventType::kSearchClick: return 2;
    case EventType::kHomeImpression: return 3;
    case EventType::kHomeClick: return 4;
    case EventType::kPlaylistEdit: return 5;
    case EventType::kLibrarySave: return 6;
  }
  return 0;
}

// Reads the type's fields (shapes only; validate() checks values).
Result<Payload> read_payload(EventType type, const json::object& o) {
  switch (type) {
    case EventType::kTrackStart:
    case EventType::kTrackEnd:
    case EventType::kSkip: {
      Playback p;
      SEGUE_ASSIGN_OR_RETURN(std::string tid, req_string(o, "track_id"));
      if (auto from_uri = parse_uri(tid, "track")) tid = *from_uri;
      p.track = TrackId(std::move(tid));
      SEGUE_ASSIGN_OR_RETURN(auto pos, opt_int(o, "position_ms"));
      if (!pos && type != EventType::kTrackStart)
        return Error::invalid(std::string("position_ms: required for ") + event_type_name(type));
      p.position_ms = pos.value_or(0);
      SEGUE_ASSIGN_OR_RETURN(auto skip, opt_bool(o, "skip"));
      p.skip = type == EventType::kSkip || skip.value_or(false);
      SEGUE_ASSIGN_OR_RETURN(auto reason, opt_string(o, "reason"));
      p.reason = reason.value_or("");
      SEGUE_ASSIGN_OR_RETURN(p.duration_ms, opt_int(o, "duration_ms"));
      SEGUE_ASSIGN_OR_RETURN(auto ctx, opt_string(o, "context_uri"));
      p.context_uri = ctx.value_or("");
      SEGUE_ASSIGN_OR_RETURN(auto source, opt_string(o, "source"));
      p.source = source.value_or("");
      return Payload(std::move(p));
    }
    case EventType::kSearch: {
      Search s;
      SEGUE_ASSIGN_OR_RETURN(s.query, req_string(o, "query"));
      SEGUE_ASSIGN_OR_RETURN(s.result_count, req_int(o, "result_count"));
      return Payload(std::move(s));
    }
    case EventType::kSearchClick: {
      SearchClick s;
      SEGUE_ASSIGN_OR_RETURN(s.query, req_string(o, "query"));
      SEGUE_ASSIGN_OR_RETURN(s.item_uri, req_string(o, "item_uri"));
      SEGUE_ASSIGN_OR_RETURN(s.rank, req_int(o, "rank"));
      return Payload(std::move(s));
    }
    case EventType::kHomeImpression: {
      HomeImpression h;
      SEGUE_ASSIGN_OR_RETURN(h.section_ids, string_array(o, "section_ids", true));
      SEGUE_ASSIGN_OR_RETURN(h.item_uris, string_array(o, "item_uris", false));
      return Payload(std::move(h));
    }
    case EventType::kHomeClick: {
      HomeClick h;
      SEGUE_ASSIGN_OR_RETURN(h.section, req_string(o, "section"));
      SEGUE_ASSIGN_OR_RETURN(h.item_uri, req_string(o, "item_uri"));
      SEGUE_ASSIGN_OR_RETURN(h.rank, req_int(o, "rank"));
      return Payload(std::move(h));
    }
    case EventType::kPlaylistEdit: {
      PlaylistEdit p;
      SEGUE_ASSIGN_OR_RETURN(p.playlist_id, req_string(o, "playlist_id"));
      SEGUE_ASSIGN_OR_RETURN(p.action, req_string(o, "action"));
      return Payload(std::move(p));
    }
    case EventType::kLibrarySave: {
      LibrarySave l;
      SEGUE_ASSIGN_OR_RETURN(l.item_uri, req_string(o, "item_uri"));
      SEGUE_ASSIGN_OR_RETURN(auto saved, opt_bool(o, "saved"));
      if (!saved) return Error::invalid("saved: required boolean");
      l.saved = *saved;
      return Payload(std::move(l));
    }
  }
  return Error::invalid("type: unknown event type");
}

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Writes the payload's fields into `o` (the same names read_payload reads).
void write_payload(const Payload& payload, json::object& o) {
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Playback>) {
          o["track_id"] = p.track.str();
          o["position_ms"] = p.position_ms;
          o["skip"] = p.skip;
          if (!p.reason.empty()) o["reason"] = p.reason;
          if (p.duration_ms) o["duration_ms"] = *p.duration_ms;
          if (!p.context_uri.empty()) o["context_uri"] = p.context_uri;
          if (!p.source.empty()) o["source"] = p.source;
        } else if constexpr (std::is_same_v<T, Search>) {
          o["query"] = p.query;
          o["result_count"] = p.result_count;
        } else if constexpr (std::is_same_v<T, SearchClick>) {
          o["query"] = p.query;
          o["item_uri"] = p.item_uri;
          o["rank"] = p.rank;
        } else if constexpr (std::is_same_v<T, HomeImpression>) {
          o["section_ids"] = to_array(p.section_ids);
          o["item_uris"] = to_array(p.item_uris);
        } else if constexpr (std::is_same_v<T, HomeClick>) {
          o["section"] = p.section;
          o["item_uri"] = p.item_uri;
          o["rank"] = p.rank;
        } else if constexpr (std::is_same_v<T, PlaylistEdit>) {
          o["playlist_id"] = p.playlist_id;
          o["action"] = p.action;
        } else {
          o["item_uri"] = p.item_uri;
          o["saved"] = p.saved;
        }
      },
      payload);
}

}  // namespace

std::optional<EventType> parse_event_type(std::string_view s) {
  if (s == "track_start") return EventType::kTrackStart;
  if (s == "track_end") return EventType::kTrackEnd;
  if (s == "skip") return EventType::kSkip;
  if (s == "search") return EventType::kSearch;
  if (s == "search_click") return EventType::kSearchClick;
  if (s == "home_impression") return EventType::kHomeImpression;
  if (s == "home_click") return EventType::kHomeClick;
  if (s == "playlist_edit") return EventType::kPlaylistEdit;
  if (s == "library_save") return EventType::kLibrarySave;
  return std::nullopt;
}

const char* event_type_name(EventType t) {
  switch (t) {
    case EventType::kTrackStart: return "track_start";
    case EventType::kTrackEnd: return "track_end";
    case EventType::kSkip: return "skip";
    case EventType::kSearch: return "search";
    case EventType::kSearchClick: return "search_click";
    case EventType::kHomeImpression: return "home_impression";
    case EventType::kHomeClick: return "home_click";
    case EventType::kPlaylistEdit: return "playlist_edit";
    case EventType::kLibrarySave: return "library_save";
  }
  return "?";
}

bool is_playback(EventType t) {
  return t == EventType::kTrackStart || t == EventType::kTrackEnd || t == EventType::kSkip;
}

Status validate(const Event& e, std::chrono::system_clock::time_point now) {
  if (e.version != kSchemaVersion) return Error::invalid("v: unsupported schema version (expected 1)");
  if (!is_base62_id(e.user.str())) return Error::invalid("user_id: not a valid user id");
  if (e.timestamp_ms < kYear2000Ms || e.timestamp_ms > now_ms(now) + kDayMs)
    return Error::invalid("timestamp: epoch milliseconds after 2000 and at most a day in the future");
  if (e.payload.index() != payload_index(e.type))
    return Error::invalid(std::string("type: fields do not match ") + event_type_name(e.type));
  return std::visit(PayloadValidator{e.type}, e.payload);
}

Result<Event> parse_event(const json::value& v, const UserId& user, std::chrono::system_clock::time_point now) {
  const auto* o = v.if_object();
  if (!o) return Error::invalid("event: expected an object");
  Event e;
  e.user = user;
  SEGUE_ASSIGN_OR_RETURN(auto type_name, opt_string(*o, "type"));
  // The seed's contract names the type "event" ({"event": "track_end", "position_ms": ...}):
  // read when "type" is absent (with "type", "event" stays an unknown field, ignored as before).
  if (!type_name) {
    SEGUE_ASSIGN_OR_RETURN(auto event_name, opt_string(*o, "event"));
    if (!event_name) return Error::invalid("type: required string (or \"event\", the seed's name for it)");
    type_name = std::move(event_name);
  }
  auto type = parse_event_type(*type_name);
  if (!type) return Error::invalid("type: unknown event type \"" + strings::sanitize_utf8(type_name->substr(0, 64)) + "\"");
  e.type = *type;
  SEGUE_ASSIGN_OR_RETURN(auto version, opt_int(*o, "v"));
  if (version && *version != kSchemaVersion) return Error::invalid("v: unsupported schema version (expected 1)");
  SEGUE_ASSIGN_OR_RETURN(auto ts, opt_int(*o, "timestamp"));
  e.timestamp_ms = ts.value_or(now_ms(now));
  SEGUE_ASSIGN_OR_RETURN(auto priv, opt_bool(*o, "private_session"));
  e.private_session = priv.value_or(false);
  SEGUE_ASSIGN_OR_RETURN(e.payload, read_payload(e.type, *o));
  SEGUE_TRY(validate(e, now));
  // A client may hold events while offline, but not forever (Spotify's offline mode lasts 30
  // days): older ones are refused at the door, so they never reach history or counts.
  if (e.timestamp_ms < now_ms(now) - kMaxClientEventAgeMs)
    return Error::invalid("timestamp: at most 30 days in the past");
  return e;
}

const json::array* event_batch(const json::value& body, json::array& single) {
  if (const json::array* arr = body.if_array()) return arr;
  if (!body.is_object()) return nullptr;
  if (const auto* ev = body.as_object().if_contains("events"); ev && ev->is_array()) return &ev->as_array();
  single.clear();
  single.push_back(body);
  return &single;
}

Result<Event> parse_event(const json::value& v, const UserId& user) {
  return parse_event(v, user, std::chrono::system_clock::now());
}

json::object to_json(const Event& e) {
  json::object o;
  o["type"] = event_type_name(e.type);
  o["v"] = e.version;
  o["user_id"] = e.user.str();
  o["timestamp"] = e.timestamp_ms;
  o["private_session"] = e.private_session;
  write_payload(e.payload, o);
  if (e.offset > 0) {
    o["offset"] = e.offset;
    o["received_at"] = e.received_ms;
  }
  return o;
}

std::string home_source(std::string_view section) { return "home:" + std::string(section); }

std::optional<std::string_view> home_section_of(std::string_view source) {
  if (!source.starts_with("home:") || source.size() == 5) return std::nullopt;
  return source.substr(5);
}

bool counts_as_play(const Event& e) {
  if (e.type != EventType::kTrackEnd && e.type != EventType::kSkip) return false;
  const Playback* p = e.playback();
  if (!p) return false;
  if (p->position_ms >= 30000) return true;
  return e.type == EventType::kTrackEnd && !p->skip;
}

std::string encode_body(const Event& e) {
  if (is_playback(e.type)) return {};
  json::object o;
  write_payload(e.payload, o);
  return json::serialize(o);
}

Result<Payload> decode_body(EventType type, std::string_view body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return Error::corruption("event body is not a JSON object");
  return read_payload(type, v.as_object());
}

}  // namespace segue::events
