// The event pipeline (the seed's Kafka and Flink, embedded): the durable log (log.h), the
// consumer runner (runner.h) and the built-in consumers — listening history (history.h), play
// counts and popularity (popularity.h), top items per user (top_items.h) — behind one object.
// Producers append validated events; consumers turn them into derived state on their own
// threads, each committing its offset with its changes. Formats and formulas:
// docs/formats/event-log.md.
//
// Threads: popularity(), play_stats(), top_tracks_of_artist(), consumers() and head() are
// memory only (any thread, including network threads). Everything else blocks on SQLite: call
// it from worker threads. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/metrics.h"
#include "common/result.h"
#include "events/event.h"
#include "events/history.h"
#include "events/log.h"
#include "events/popularity.h"
#include "events/runner.h"
#include "events/top_items.h"
#include "store/database.h"

namespace segue::events {

// The pre-pipeline playback event (what POST /v1/me/player/events parsed before the schema);
// kept so existing callers compile. append(user, ...) turns it into an Event.
struct PlaybackEvent {
  EventType type = EventType::kTrackStart;
  TrackId track;
  int64_t position_ms = 0;
  bool skip = false;
  std::string reason;        // e.g. "trackdone", "fwdbtn", "endplay"
  std::string context_uri;   // optional: the album/playlist the track was played from
  int64_t timestamp_ms = 0;  // when it happened on the client (epoch ms)
};

// Checks a legacy event's fields as validate(Event) does. Error::invalid naming the bad field.
Status validate(const PlaybackEvent& e, std::chrono::system_clock::time_point now);
bool counts_as_play(const PlaybackEvent& e);
Event to_event(const UserId& user, const PlaybackEvent& e);

struct EventLogOptions {
  TrackLookup lookup;              // track -> album, artists (empty: tracks only)
  bool start_threads = true;       // false: consumers move only in catch_up() (tests, CLI)
  RunnerOptions runner;
  // Reads of derived state (recently_played, top_*) first wait this long for the consumer to
  // reach the head as of the call, so a client reads its own appends (on PostgreSQL or a Redis
  // stream, the head read from storage: another node may have appended).
  std::chrono::milliseconds read_your_writes{2000};
  // More consumers to run next to the built-in ones (not owned; must outlive the EventLog).
  std::vector<Consumer*> extra_consumers;
  // Where the consumers' derived state and committed offsets live. Empty: in the log's database
  // (tables of event_migrations()); so on PostgreSQL, whose writers run in parallel anyway. A
  // factory (the server on SQLite: files `<data>/events-derived/<consumer name>.db`, handed out
  // by the composition root): each consumer, built-in or extra, in its own database, which the
  // EventLog migrates (derived_migrations()) and owns. Each has its own writer, so consumer
  // commits run in parallel with appends and with each other, and fsync other files; the log
  // stays in the first database. A new database starts empty: its consumer rebuilds from the
  // log. delete_history spans the databases (docs/formats/event-log.md).
  store::DatabaseFactory derived_databases;
  // Where the events are kept: nullptr, the `event_log` table of the database (Log); else this
  // stream (a RedisStream, setting `event_log = "redis"`), whose consumers keep their offsets
  // and state in the database (or derived_databases) and forget users through the stream.
  std::shared_ptr<EventStream> stream;
};

class EventLog {
 public:
  // Opens the pipeline over a database migrated with event_migrations(): reads the head and the
  // consumers' offsets and views, and (by default) starts one thread per consumer. A failure
  // is logged and kept in status(); prefer open(), which returns it.
  explicit EventLog(store::Database& db, EventLogOptions options = {});
  static Result<std::unique_ptr<EventLog>> open(store::Database& db, EventLogOptions options = {});
  ~EventLog();  // stops the consumer threads
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  Status status() const;  // the start-up error, if any

  // --- producing -------------------------------------------------------------------------
  // Validates and appends `events` (each with its user set) in one transaction: all or nothing,
  // durable on return, with consecutive offsets. Error::invalid "events[i].field: ..." for a bad
  // event (nothing appended).
  Result<OffsetRange> append(const std::vector<Event>& events);
  // Legacy: appends playback events of `user` (not private).
  Status append(const UserId& user, const std::vector<PlaybackEvent>& events);
  int64_t head() const { return stream_->head(); }

  // --- derived state -----------------------------------------------------------------------
  // Counted plays of `user`, newest first, strictly before `before_ms` or strictly after
  // `after_ms` (at most one of them), at most `limit`.
  Result<PlaysPage> recently_played(const UserId& user, int limit, std::optional<int64_t> before_ms,
                                    std::optional<int64_t> after_ms);
  // `user`'s most played tracks / artists in `range` (recency-weighted), for paging.
  Result<TopPage> top_tracks(const UserId& user, TimeRange range, int limit, int offset);
  Result<TopPage> top_artists(const UserId& user, TimeRange range, int limit, int offset);
  // Popularity 0-100 of a track, album or artist (memory only).
  int popularity(ItemKind kind, const std::string& id) const { return popularity_.popularity(kind, id); }
  std::optional<ItemStats> play_stats(ItemKind kind, const std::string& id) const { return popularity_.stats(kind, id); }
  std::vector<TrackId> top_tracks_of_artist(const ArtistId& artist, std::size_t n) const {
    return popularity_.top_tracks_of_artist(artist, n);
  }

  // --- privacy -----------------------------------------------------------------------------
  // Every event of `user` in the log, in offset order (to_json() each for JSON lines).
  Result<std::vector<Event>> export_user(const UserId& user);
  // Removes `user`'s events from the log and every derived row of theirs, and takes their plays
  // out of the shared counts, in one transaction.
  Status delete_history(const UserId& user);

  // --- operations --------------------------------------------------------------------------
  std::vector<ConsumerStatus> consumers() const { return runner_.status(); }
  // segue_events_head_offset and, per consumer, its lag, rate and events applied.
  void register_metrics(MetricsRegistry& metrics) const;
  // Applies on the calling thread until every consumer (or `name`) reaches the head.
  Status catch_up(const std::string& name = {}) { return runner_.catch_up(name); }
  // Resets a consumer ("history", "popularity", "top_items" or an extra one); it rebuilds from
  // the log on its thread (or in the next catch_up()).
  Status drop_and_replay(const std::string& name) { return runner_.drop_and_replay(name); }

  // The stream the events are kept in (the database's Log unless options.stream is set).
  EventStream& log() { return *stream_; }
  // The database holding `consumer`'s derived state and offset (the log's unless derived_dir is
  // set). The log's database for an unknown name.
  store::Database& derived_db(const std::string& consumer = HistoryConsumer::kName);

 private:
  void settle(const std::string& consumer);

  store::Database& db_;
  const EventLogOptions options_;
  Status open_status_;  // opening the derived databases
  // With derived_dir: consumer name -> its database.
  std::map<std::string, std::unique_ptr<store::Database>> derived_;
  Log log_;
  EventStream* stream_;  // &log_ or options_.stream
  HistoryConsumer history_;
  PopularityConsumer popularity_;
  TopItemsConsumer top_items_;
  ConsumerRunner runner_;
  Status status_;
};

}  // namespace segue::events
