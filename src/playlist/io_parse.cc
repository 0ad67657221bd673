// Playlist parsing: format detection, M3U8, XSPF (expat) and JSON (Boost.JSON).
#include <expat.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <string>

#include "common/strings.h"
#include "playlist/io.h"

namespace segue::playlist {
namespace {

std::string at_line(std::size_t line) { return "line " + std::to_string(line) + ": "; }

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  return strings::ascii_lower(s.substr(0, prefix.size())) == prefix;
}

std::string_view strip_bom(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

// Seconds (integer or decimal) to milliseconds; nullopt for -1, negatives and nonsense.
std::optional<int64_t> seconds_to_ms(std::string_view s) {
  s = strings::trim(s);
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::size_t i = 0;
  int64_t whole = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') whole = whole * 10 + (s[i++] - '0');
  if (i == 0) return std::nullopt;
  int64_t ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ms += (s[i++] - '0') * scale;
      scale /= 10;
    }
  }
  if (i != s.size() || whole > 10'000'000) return std::nullopt;  // > 115 days: nonsense
  return whole * 1000 + ms;
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7F;
  });
}

// "Artist - Title" (the first " - "); no separator: the whole text is the title.
void split_display(std::string_view display, ImportEntry& e) {
  display = strings::trim(display);
  auto dash = display.find(" - ");
  if (dash == std::string_view::npos) {
    e.title = std::string(display);
    return;
  }
  e.artist = std::string(strings::trim(display.substr(0, dash)));
  e.title = std::string(strings::trim(display.substr(dash + 3)));
}

// ---------------------------------------------------------------------------------------
// M3U8

Result<ParsedPlaylist> parse_m3u8(std::string_view bytes, const ParseLimits& limits) {
  ParsedPlaylist out;
  bytes = strip_bom(bytes);
  std::optional<ImportEntry> pending;  // from #EXTINF, waiting for its location
  std::size_t pending_line = 0;
  std::string album;  // #EXTALB applies to the next entry
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    ++line_no;
    std::size_t end = bytes.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(pos, end - pos);
    pos = end;  // "\r\n", "\n" and "\r" each end a line
    if (pos < bytes.size()) pos += (bytes[pos] == '\r' && pos + 1 < bytes.size() && bytes[pos + 1] == '\n') ? 2 : 1;
    if (line.size() > limits.max_line_bytes)
      return Error::exhausted(at_line(line_no) + "longer than " +
                              std::to_string(limits.max_line_bytes) + " bytes");
    if (!strings::is_valid_utf8(line)) return Error::invalid(at_line(line_no) + "not valid UTF-8");
    if (has_control_chars(line))
      return Error::invalid(at_line(line_no) + "control character in the line");
    std::string_view t = strings::trim(line);
    if (t.empty()) continue;
    if (t[0] == '#') {
      if (iequals_prefix(t, "#extinf:")) {
        if (pending)
          out.warnings.push_back(at_line(pending_line) + "#EXTINF without a location");
        ImportEntry e;
        std::string_view rest = t.substr(8);
        // "<duration>[ key="value" ...],<display>": the first comma outside quotes.
        bool quoted = false;
        std::size_t comma = std::string_view::npos;
        for (std::size_t i = 0; i < rest.size(); ++i) {
          if (rest[i] == '"') quoted = !quoted;
          if (rest[i] == ',' && !quoted) {
            comma = i;
            break;
          }
        }
        std::string_view head = comma == std::string_view::npos ? rest : rest.substr(0, comma);
        std::string_view duration = head.substr(0, head.find_first_of(" \t"));
        e.duration_ms = seconds_to_ms(duration);
        if (comma != std::string_view::npos) split_display(rest.substr(comma + 1), e);
        pending = std::move(e);
        pending_line = line_no;
      } else if (iequals_prefix(t, "#playlist:")) {
        out.name = std::string(strings::trim(t.substr(10)));
      } else if (iequals_prefix(t, "#description:")) {
        out.description = std::string(strings::trim(t.substr(13)));
      } else if (iequals_prefix(t, "#extalb:")) {
        album = std::string(strings::trim(t.substr(8)));
      }
      continue;  // #EXTM3U, #EXTART, #EXTGRP, #EXTENC, comments
    }
    if (out.entries.size() >= limits.max_entries)
      return Error::exhausted(at_line(line_no) + "more than " +
                              std::to_string(limits.max_entries) + " entries");
    ImportEntry e = pending ? std::move(*pending) : ImportEntry{};
    pending.reset();
    if (parse_uri(t, "track")) {
      e.uri = std::string(t);
    } else {
      e.location = std::string(t);
    }
    if (e.album.empty()) e.album = std::move(album);
    album.clear();
    e.line_or_index = line_no;
    out.entries.push_back(std::move(e));
  }
  if (pending) out.warnings.push_back(at_line(pending_line) + "#EXTINF without a location");
  return out;
}

// ---------------------------------------------------------------------------------------
// XSPF

constexpr std::string_view kXspfNs = "http://xspf.org/ns/0/";
constexpr char kNsSep = '\x01';

struct XspfState {
  XML_Parser parser = nullptr;
  const ParseLimits* limits = nullptr;
  ParsedPlaylist out;
  std::optional<Error> error;
  std::size_t depth = 0;
  bool saw_root = false;
  // The element path of XSPF elements that matter: 0 = outside, then playlist / trackList /
  // track; `field` is the element whose text is being collected (empty: none).
  bool in_playlist = false, in_tracklist = false, in_track = false;
  std::size_t skip_depth = 0;  // > 0 inside an element whose content is ignored
  std::string field;
  std::size_t field_depth = 0;
  std::string text;
  bool text_too_long = false;
  ImportEntry track;
  bool track_has_location = false;

  void fail(Error e) {
    if (!error) error = std::move(e);
    XML_StopParser(parser, XML_FALSE);
  }
  std::string where() const {
    return at_line(static_cast<std::size_t>(XML_GetCurrentLineNumber(parser)));
  }
};

// Splits "ns\x01local" (namespace processing on); an element without namespace has no \x01.
std::pair<std::string_view, std::string_view> split_name(const XML_Char* name) {
  std::string_view n(name);
  auto sep = n.find(kNsSep);
  if (sep == std::string_view::npos) return {std::string_view(), n};
  return {n.substr(0, sep), n.substr(sep + 1)};
}

// A location: file: URIs and relative references (no scheme) are percent-decoded to a path;
// other URIs (http:, ...) are kept as written.
std::string xspf_location(std::string_view loc) {
  loc = strings::trim(loc);
  std::size_t colon = loc.find(':');
  bool has_scheme = colon != std::string_view::npos && colon > 1 &&
                    std::all_of(loc.begin(), loc.begin() + static_cast<long>(colon), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' ||
                             c == '.';
                    });
  if (has_scheme && !iequals_prefix(loc, "file:")) return std::string(loc);
  if (has_scheme) {
    auto path = location_to_path(loc);
    return path ? *path : std::string(loc);
  }
  auto decoded = strings::percent_decode(loc, false, true);
  if (!decoded || !strings::is_valid_utf8(*decoded)) return std::string(loc);
  return *decoded;
}

void XMLCALL xspf_start(void* ud, const XML_Char* name, const XML_Char** /*attrs*/) {
  auto& s = *static_cast<XspfState*>(ud);
  ++s.depth;
  if (s.depth > s.limits->max_depth) {
    s.fail(Error::exhausted(s.where() + "XML nested deeper than " +
                            std::to_string(s.limits->max_depth) + " elements"));
    return;
  }
  if (s.skip_depth > 0 || !s.field.empty()) {
    ++s.skip_depth;  // elements inside a text field or an ignored element
    return;
  }
  auto [ns, local] = split_name(name);
  bool xspf = ns.empty() || ns == kXspfNs;
  if (!s.saw_root) {
    s.saw_root = true;
    if (!xspf || local != "playlist") {
      s.fail(Error::invalid(s.where() + "not an XSPF playlist (the root element is not <playlist>)"));
      return;
    }
    s.in_playlist = true;
    return;
  }
  if (!xspf) {
    ++s.skip_depth;
    return;
  }
  if (s.in_track) {
    if (local == "location" || local == "identifier" || local == "title" || local == "creator" ||
        local == "album" || local == "duration") {
      s.field = std::string(local);
      s.field_depth = s.depth;
      s.text.clear();
      return;
    }
    ++s.skip_depth;  // extension, link, meta, image, info, annotation, trackNum
    return;
  }
  if (s.in_tracklist) {
    if (local == "track") {
      if (s.out.entries.size() >= s.limits->max_entries) {
        s.fail(Error::exhausted(s.where() + "more than " +
                                std::to_string(s.limits->max_entries) + " entries"));
        return;
      }
      s.in_track = true;
      s.track = ImportEntry{};
      s.track.line_or_index = static_cast<std::size_t>(XML_GetCurrentLineNumber(s.parser));
      s.track_has_location = false;
      return;
    }
    ++s.skip_depth;
    return;
  }
  if (s.depth == 2 && local == "trackList") {
    s.in_tracklist = true;
    return;
  }
  if (s.depth == 2 && (local == "title" || local == "annotation")) {
    s.field = std::string(local);
    s.field_depth = s.depth;
    s.text.clear();
    return;
  }
  ++s.skip_depth;
}

void XMLCALL xspf_end(void* ud, const XML_Char* /*name*/) {
  auto& s = *static_cast<XspfState*>(ud);
  std::size_t depth = s.depth--;
  if (s.skip_depth > 0) {
    --s.skip_depth;
    return;
  }
  if (!s.field.empty() && depth == s.field_depth) {
    std::string field = std::move(s.field);
    s.field.clear();
    std::string value(strings::trim(s.text));
    s.text.clear();
    if (s.in_track) {
      if (field == "location") {
        if (!s.track_has_location) s.track.location = xspf_location(value);
        s.track_has_location = true;
      } else if (field == "identifier") {
        if (s.track.uri.empty() && parse_uri(value, "track")) s.track.uri = value;
      } else if (field == "title") {
        s.track.title = value;
      } else if (field == "creator") {
        s.track.artist = value;
      } else if (field == "album") {
        s.track.album = value;
      } else if (field == "duration") {
        auto ms = strings::parse_int(value);
        if (ms && *ms >= 0 && *ms < int64_t{10'000'000'000}) {
          s.track.duration_ms = *ms;
        } else {
          s.out.warnings.push_back(s.where() + "ignored <duration> \"" + value.substr(0, 40) + "\"");
        }
      }
    } else if (field == "title") {
      s.out.name = value;
    } else if (field == "annotation") {
      s.out.description = value;
    }
    return;
  }
  if (s.in_track) {
    s.in_track = false;
    s.out.entries.push_back(std::move(s.track));
    s.track = ImportEntry{};
  } else if (s.in_tracklist) {
    s.in_tracklist = false;
  }
}

void XMLCALL xspf_text(void* ud, const XML_Char* data, int len) {
  auto& s = *static_cast<XspfState*>(ud);
  if (s.field.empty() || s.skip_depth > 0) return;
  if (s.text.size() + static_cast<std::size_t>(len) > s.limits->max_line_bytes) {
    s.fail(Error::exhausted(s.where() + "<" + s.field + "> longer than " +
                            std::to_string(s.limits->max_line_bytes) + " bytes"));
    return;
  }
  s.text.append(data, static_cast<std::size_t>(len));
}

void XMLCALL xspf_doctype(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  auto& s = *static_cast<XspfState*>(ud);
  s.fail(Error::invalid(s.where() + "DOCTYPE is not allowed in a playlist"));
}

void XMLCALL xspf_entity_decl(void* ud, const XML_Char*, int, const XML_Char*, int,
                              const XML_Char*, const XML_Char*, const XML_Char*,
                              const XML_Char*) {
  auto& s = *static_cast<XspfState*>(ud);
  s.fail(Error::invalid(s.where() + "entity declarations are not allowed"));
}

Result<ParsedPlaylist> parse_xspf(std::string_view bytes, const ParseLimits& limits) {
  XspfState s;
  s.limits = &limits;
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX))
    return Error::exhausted("playlist too large for the XML parser");
  // No forced encoding: expat honours the declaration (UTF-8, UTF-16, ISO-8859-1, US-ASCII)
  // and always hands out UTF-8.
  XML_Parser p = XML_ParserCreateNS(nullptr, kNsSep);
  if (!p) return Error::internal("cannot create an XML parser");
  s.parser = p;
  XML_SetUserData(p, &s);
  XML_SetElementHandler(p, xspf_start, xspf_end);
  XML_SetCharacterDataHandler(p, xspf_text);
  XML_SetStartDoctypeDeclHandler(p, xspf_doctype);
  XML_SetEntityDeclHandler(p, xspf_entity_decl);
  // Defaults already keep external entities and parameter entities off; say so explicitly.
  XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
  XML_Status st = XML_Parse(p, bytes.data(), static_cast<int>(bytes.size()), XML_TRUE);
  std::optional<Error> err = s.error;
  if (!err && st != XML_STATUS_OK) {
    err = Error::invalid("line " + std::to_string(XML_GetCurrentLineNumber(p)) + ", column " +
                         std::to_string(XML_GetCurrentColumnNumber(p)) +
                         ": " + XML_ErrorString(XML_GetErrorCode(p)));
  }
  XML_ParserFree(p);
  if (err) return *err;
  if (!s.saw_root) return Error::invalid("line 1: no XML element");
  return std::move(s.out);
}

// ---------------------------------------------------------------------------------------
// JSON

struct JsonCtx {
  const ParseLimits& limits;
  std::string path;  // for messages, e.g. "tracks[3].name"
};

Result<std::string> get_string(const boost::json::object& o, std::string_view key,
                               const std::string& where, const ParseLimits& limits) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::string();
  if (!it->value().is_string())
    return Error::invalid(where + "." + std::string(key) + ": not a string");
  const auto& s = it->value().get_string();
  if (s.size() > limits.max_line_bytes)
    return Error::exhausted(where + "." + std::string(key) + ": longer than " +
                            std::to_string(limits.max_line_bytes) + " bytes");
  return std::string(s.data(), s.size());
}

// An artist list: ["A", "B"], [{"name": "A"}, ...], or a string.
Result<std::string> get_artists(const boost::json::object& o, const std::string& where,
                                const ParseLimits& limits) {
  for (std::string_view key : {"artists", "artist", "creator"}) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) continue;
    const auto& v = it->value();
    if (v.is_string()) return get_string(o, key, where, limits);
    if (!v.is_array()) return Error::invalid(where + "." + std::string(key) + ": not a list");
    std::string joined;
    std::size_t i = 0;
    for (const auto& a : v.get_array()) {
      std::string item = where + "." + std::string(key) + "[" + std::to_string(i++) + "]";
      std::string name;
      if (a.is_string()) {
        name = std::string(a.get_string());
      } else if (a.is_object()) {
        SEGUE_ASSIGN_OR_RETURN(name, get_string(a.get_object(), "name", item, limits));
      } else {
        return Error::invalid(item + ": not a string or an artist object");
      }
      if (name.empty()) continue;
      if (!joined.empty()) joined += ", ";
      joined += name;
      if (joined.size() > limits.max_line_bytes)
        return Error::exhausted(where + "." + std::string(key) + ": too long");
    }
    return joined;
  }
  return std::string();
}

Result<ImportEntry> json_track(const boost::json::object& t, const std::string& where,
                               const ParseLimits& limits) {
  ImportEntry e;
  std::string uri;
  SEGUE_ASSIGN_OR_RETURN(uri, get_string(t, "uri", where, limits));
  if (parse_uri(uri, "track")) {
    e.uri = uri;
  } else if (!uri.empty()) {
    e.location = uri;  // "file:///...", or a URI that can only match by artist and title
  }
  std::string path;
  SEGUE_ASSIGN_OR_RETURN(path, get_string(t, "path", where, limits));
  if (path.empty()) {
    SEGUE_ASSIGN_OR_RETURN(path, get_string(t, "location", where, limits));
  }
  if (!path.empty()) e.location = path;
  SEGUE_ASSIGN_OR_RETURN(e.title, get_string(t, "title", where, limits));
  if (e.title.empty()) {
    SEGUE_ASSIGN_OR_RETURN(e.title, get_string(t, "name", where, limits));
  }
  SEGUE_ASSIGN_OR_RETURN(e.artist, get_artists(t, where, limits));
  if (auto it = t.find("album"); it != t.end() && it->value().is_object()) {
    SEGUE_ASSIGN_OR_RETURN(e.album, get_string(it->value().get_object(), "name", where + ".album", limits));
  } else {
    SEGUE_ASSIGN_OR_RETURN(e.album, get_string(t, "album", where, limits));
  }
  if (auto it = t.find("duration_ms"); it != t.end() && !it->value().is_null()) {
    const auto& v = it->value();
    double ms = v.is_int64() ? static_cast<double>(v.get_int64())
                : v.is_uint64() ? static_cast<double>(v.get_uint64())
                : v.is_double() ? v.get_double()
                                : -1;
    if (!v.is_number()) return Error::invalid(where + ".duration_ms: not a number");
    if (std::isfinite(ms) && ms >= 0 && ms < 1e10) e.duration_ms = static_cast<int64_t>(std::llround(ms));
  }
  return e;
}

Result<ParsedPlaylist> parse_json(std::string_view bytes, const ParseLimits& limits) {
  bytes = strip_bom(bytes);
  boost::json::parse_options opts;
  opts.max_depth = limits.max_depth;
  boost::json::stream_parser parser({}, opts);
  boost::system::error_code ec;
  std::size_t consumed = parser.write_some(bytes.data(), bytes.size(), ec);
  if (!ec && consumed < bytes.size()) ec = boost::json::error::extra_data;
  if (!ec) parser.finish(ec);
  if (ec) {
    std::string what = ec == boost::json::error::too_deep
                           ? "nested deeper than " + std::to_string(limits.max_depth) + " levels"
                           : ec.message();
    return Error::invalid("offset " + std::to_string(consumed) + ": " + what);
  }
  boost::json::value root = parser.release();

  ParsedPlaylist out;
  const boost::json::array* items = nullptr;
  if (root.is_array()) {
    items = &root.get_array();
  } else if (root.is_object()) {
    const auto& o = root.get_object();
    SEGUE_ASSIGN_OR_RETURN(out.name, get_string(o, "name", "playlist", limits));
    if (out.name.empty()) {
      SEGUE_ASSIGN_OR_RETURN(out.name, get_string(o, "title", "playlist", limits));
    }
    SEGUE_ASSIGN_OR_RETURN(out.description, get_string(o, "description", "playlist", limits));
    for (std::string_view key : {"tracks", "items"}) {
      auto it = o.find(key);
      if (it == o.end() || it->value().is_null()) continue;
      if (it->value().is_array()) {
        items = &it->value().get_array();
      } else if (it->value().is_object()) {
        // Spotify: {"tracks": {"items": [{"track": {...}}], "total": N, "next": ...}}
        const auto& page = it->value().get_object();
        auto inner = page.find("items");
        if (inner == page.end() || !inner->value().is_array())
          return Error::invalid(std::string(key) + ".items: missing or not a list");
        items = &inner->value().get_array();
        if (auto next = page.find("next"); next != page.end() && next->value().is_string())
          out.warnings.push_back("only the first page of Spotify's tracks is in the file");
      } else {
        return Error::invalid(std::string(key) + ": not a list");
      }
      break;
    }
    if (!items) return Error::invalid("no \"tracks\" in the playlist");
  } else {
    return Error::invalid("offset 0: not a JSON object or array");
  }
  if (items->size() > limits.max_entries)
    return Error::exhausted("more than " + std::to_string(limits.max_entries) + " entries");
  for (std::size_t i = 0; i < items->size(); ++i) {
    std::string where = "tracks[" + std::to_string(i) + "]";
    const auto& v = (*items)[i];
    if (!v.is_object()) return Error::invalid(where + ": not an object");
    const boost::json::object* t = &v.get_object();
    // Spotify playlist track objects wrap the track: {"added_at", "track": {...}} (or "item").
    for (std::string_view key : {"track", "item"}) {
      auto it = t->find(key);
      if (it == t->end()) continue;
      if (it->value().is_object()) {
        t = &it->value().get_object();
        where += "." + std::string(key);
      } else if (it->value().is_null()) {
        t = nullptr;
      } else if (!it->value().is_bool()) {  // "track": true in Spotify's episode-less shape
        return Error::invalid(where + "." + std::string(key) + ": not an object");
      }
      break;
    }
    ImportEntry e;
    if (t) {
      SEGUE_ASSIGN_OR_RETURN(e, json_track(*t, where, limits));
    }
    if (!t) out.warnings.push_back(where + ": no track (removed from Spotify?)");
    e.line_or_index = i;
    out.entries.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kM3u8: return "m3u8";
    case Format::kXspf: return "xspf";
    case Format::kJson: return "json";
  }
  return "";
}

std::string_view format_content_type(Format f) {
  switch (f) {
    case Format::kM3u8: return "audio/x-mpegurl";
    case Format::kXspf: return "application/xspf+xml";
    case Format::kJson: return "application/json";
  }
  return "";
}

std::string_view format_extension(Format f) {
  switch (f) {
    case Format::kM3u8: return ".m3u8";
    case Format::kXspf: return ".xspf";
    case Format::kJson: return ".json";
  }
  return "";
}

std::optional<Format> detect_format(std::string_view filename, std::string_view content_type,
                                    std::string_view bytes) {
  std::string name = strings::ascii_lower(filename);
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".m3u8") || ends_with(".m3u")) return Format::kM3u8;
  if (ends_with(".xspf")) return Format::kXspf;
  if (ends_with(".json")) return Format::kJson;

  std::string ct = strings::ascii_lower(strings::trim(content_type.substr(0, content_type.find(';'))));
  if (ct == "audio/x-mpegurl" || ct == "audio/mpegurl" || ct == "application/x-mpegurl" ||
      ct == "application/vnd.apple.mpegurl" || ct == "application/mpegurl")
    return Format::kM3u8;
  if (ct == "application/xspf+xml") return Format::kXspf;
  if (ct == "application/json" || (ct.size() > 5 && ct.compare(ct.size() - 5, 5, "+json") == 0))
    return Format::kJson;

  std::string_view b = strip_bom(bytes);
  while (!b.empty() && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n')) b.remove_prefix(1);
  if (b.empty()) return std::nullopt;
  if (b[0] == '{' || b[0] == '[') return Format::kJson;
  if (b[0] == '<') return Format::kXspf;
  if (iequals_prefix(b, "#extm3u")) return Format::kM3u8;
  return std::nullopt;
}

Result<ParsedPlaylist> parse_playlist(Format format, std::string_view bytes,
                                      const ParseLimits& limits) {
  if (bytes.size() > limits.max_bytes)
    return Error::exhausted("playlist larger than " + std::to_string(limits.max_bytes) + " bytes");
  Result<ParsedPlaylist> r = Error::internal("unknown format");
  switch (format) {
    case Format::kM3u8: r = parse_m3u8(bytes, limits); break;
    case Format::kXspf: r = parse_xspf(bytes, limits); break;
    case Format::kJson: r = parse_json(bytes, limits); break;
  }
  if (!r.ok()) return r;
  // Names end up in the catalog and in JSON: always valid UTF-8 without control characters.
  auto clean = [](std::string& s, bool keep_newlines) {
    if (!strings::is_valid_utf8(s)) s = strings::sanitize_utf8(s);
    for (char& c : s)
      if ((static_cast<unsigned char>(c) < 0x20 && !(keep_newlines && c == '\n')) || c == 0x7F) c = ' ';
  };
  clean(r->name, false);
  clean(r->description, true);
  for (auto& e : r->entries)
    for (std::string* f : {&e.location, &e.uri, &e.title, &e.artist, &e.album}) clean(*f, false);
  return r;
}

}  // namespace segue::playlist
