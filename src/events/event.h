// The event schema (version 1): what clients and the server record, validated at the door.
// An event is a common header (type, schema version, user, client timestamp, private-session
// flag) and the fields of its type. The wire and export form is one JSON object per event
// (docs/formats/event-log.md); parse_event() and to_json() are each other's inverse.
// Pure functions: any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/ids.h"
#include "common/result.h"

namespace segue::events {

inline constexpr int kSchemaVersion = 1;

enum class EventType {
  kTrackStart,
  kTrackEnd,
  kSkip,  // legacy alias: a track_end with skip = true
  kSearch,
  kSearchClick,
  kHomeImpression,
  kHomeClick,
  kPlaylistEdit,
  kLibrarySave,
};

std::optional<EventType> parse_event_type(std::string_view s);
const char* event_type_name(EventType t);
bool is_playback(EventType t);  // track_start, track_end, skip

// Fields of track_start, track_end and skip.
struct Playback {
  TrackId track;
  int64_t position_ms = 0;               // required for track_end and skip
  bool skip = false;                     // always true for kSkip
  std::string reason;                    // e.g. "trackdone", "fwdbtn", "endplay" (<= 64 bytes)
  std::optional<int64_t> duration_ms;    // the track's length as the client knew it
  std::string context_uri;               // the album/playlist played from (<= 256 bytes)
  // Where the play was started (<= 80 bytes, "<prefix>:<rest>"; empty: not said). Known:
  // "home:<section id>", a play started from that shelf of home (check_source()).
  std::string source;
  bool operator==(const Playback&) const = default;
};

struct Search {
  std::string query;         // 1..500 bytes of UTF-8
  int64_t result_count = 0;  // 0..1,000,000
  bool operator==(const Search&) const = default;
};

struct SearchClick {
  std::string query;
  std::string item_uri;  // segue:<kind>:<id> (or spotify:...)
  int64_t rank = 0;      // 0-based position in the results, < 10,000
  bool operator==(const SearchClick&) const = default;
};

struct HomeImpression {
  std::vector<std::string> section_ids;  // 1..100 ids of <= 64 bytes
  std::vector<std::string> item_uris;    // 0..500 item URIs
  bool operator==(const HomeImpression&) const = default;
};

struct HomeClick {
  std::string section;   // section id, 1..64 bytes
  std::string item_uri;
  int64_t rank = 0;
  bool operator==(const HomeClick&) const = default;
};

// action: create, delete, add, remove, move, rename, details, follow, unfollow.
struct PlaylistEdit {
  std::string playlist_id;  // base62 id
  std::string action;
  bool operator==(const PlaylistEdit&) const = default;
};

struct LibrarySave {
  std::string item_uri;
  bool saved = true;  // false: removed from the library
  bool operator==(const LibrarySave&) const = default;
};

using Payload =
    std::variant<Playback, Search, SearchClick, HomeImpression, HomeClick, PlaylistEdit, LibrarySave>;

struct Event {
  EventType type = EventType::kTrackStart;
  int version = kSchemaVersion;
  UserId user;
  int64_t timestamp_ms = 0;      // when it happened on the client (epoch ms)
  bool private_session = false;  // recorded in the log, never in history, counts or top items
  Payload payload;               // the alternative that matches `type`
  // Set by the log: the event's offset (> 0) and when it was appended (epoch ms); 0 before.
  int64_t offset = 0;
  int64_t received_ms = 0;

  const Playback* playback() const { return std::get_if<Playback>(&payload); }
  bool operator==(const Event&) const = default;
};

// How far back a client's event may be timestamped (parse_event refuses older ones).
inline constexpr int64_t kMaxClientEventAgeMs = 30LL * 24 * 3600 * 1000;

// Parses one event as a client sends it (docs/formats/event-log.md): "type" (required), "v"
// (optional, must be 1), "timestamp" (epoch ms; `now` if absent), "private_session" (optional)
// and the type's fields. `user` is the authenticated user; a "user_id" in the object is
// ignored, as are unknown fields. Error::invalid whose message starts with the bad field's
// name ("position_ms: ..."). Beyond validate(): the timestamp is at most
// kMaxClientEventAgeMs before `now`.
Result<Event> parse_event(const boost::json::value& v, const UserId& user,
                          std::chrono::system_clock::time_point now);
Result<Event> parse_event(const boost::json::value& v, const UserId& user);

// The events of a client's batch body: an array of events, {"events": [...]}, or one event
// object (which `single` then holds). nullptr for anything else.
const boost::json::array* event_batch(const boost::json::value& body, boost::json::array& single);

// The event as one JSON object (the export's line): the fields parse_event reads, plus
// "user_id", and "offset" and "received_at" once the event is in the log.
boost::json::object to_json(const Event& e);

// The header and the payload's fields (types, ranges, lengths, UTF-8, URIs, the payload
// alternative matching the type, the timestamp between 2000 and now + 1 day).
Status validate(const Event& e, std::chrono::system_clock::time_point now);

// The playback `source` of a play started from home's shelf `section` ("home:<section>").
inline constexpr std::size_t kMaxSource = 80;
std::string home_source(std::string_view section);
// The section of a "home:<section>" source; nullopt for any other source.
std::optional<std::string_view> home_section_of(std::string_view source);

// A stream counts as a play after 30 seconds, as Spotify counts it; a track shorter than that
// counts when played to its end (a track_end that is not a skip). Only track_end and skip can.
bool counts_as_play(const Event& e);

// The type-specific fields of a non-playback event as a JSON object (the log's `body` column),
// and back. Playback fields live in their own columns.
std::string encode_body(const Event& e);
Result<Payload> decode_body(EventType type, std::string_view body);

}  // namespace segue::events
