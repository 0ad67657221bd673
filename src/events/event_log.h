// The durable log of listening events (the seed's Kafka topic, embedded). Producers append
// validated events; a later issue adds named consumers with committed offsets and a Redis
// Streams backend behind the same interface. Append returns only after the events are on disk.
// Blocking (SQLite): call from worker threads. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::events {

enum class EventType { kTrackStart, kTrackEnd, kSkip };

std::optional<EventType> parse_event_type(std::string_view s);
const char* event_type_name(EventType t);

struct PlaybackEvent {
  EventType type = EventType::kTrackStart;
  TrackId track;
  int64_t position_ms = 0;
  bool skip = false;
  std::string reason;        // e.g. "trackdone", "fwdbtn", "endplay"
  std::string context_uri;   // optional: the album/playlist the track was played from
  int64_t timestamp_ms = 0;  // when it happened on the client (epoch ms)
};

// Checks an event's fields (position range, timestamp not far in the future or before 2000,
// track id shape, reason length). Error::invalid naming the bad field.
Status validate(const PlaybackEvent& e, std::chrono::system_clock::time_point now);

// A stream counts as a play after 30 seconds, as Spotify counts it; a track shorter than that
// counts when played to its end (a track_end that is not a skip).
bool counts_as_play(const PlaybackEvent& e);

struct Play {
  TrackId track;
  int64_t played_at_ms;
  std::string context_uri;
};

struct PlaysPage {
  std::vector<Play> items;  // newest first
  bool has_more = false;
};

std::vector<store::Migration> event_migrations();

class EventLog {
 public:
  explicit EventLog(store::Database& db);

  // Appends all events for `user` in one transaction (all or nothing); durable on return.
  Status append(const UserId& user, const std::vector<PlaybackEvent>& events);

  // Plays of `user`, newest first, strictly before `before_ms` or strictly after `after_ms`
  // (at most one of them), at most `limit`.
  Result<PlaysPage> recently_played(const UserId& user, int limit, std::optional<int64_t> before_ms,
                                    std::optional<int64_t> after_ms);

 private:
  store::Database& db_;
};

}  // namespace segue::events
