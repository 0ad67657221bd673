#include "events/log.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace segue::events {
namespace {

constexpr int kColumns = 15;
constexpr const char* kInsertHead =
    "INSERT INTO event_log (seq, user_id, type, v, client_ts, received_at, private, track_id, "
    "position_ms, skip, reason, duration_ms, context_uri, body, source) VALUES ";
constexpr const char* kSelect =
    "SELECT seq, user_id, type, v, client_ts, received_at, private, track_id, position_ms, skip, "
    "reason, duration_ms, context_uri, body, source FROM event_log ";

// One INSERT statement of `rows` rows; the connection caches each distinct text, and append()
// only ever uses the sizes in kChunks.
const std::string& insert_sql(int rows) {
  static const std::string sql[] = {
      [] {
        std::string s = kInsertHead;
        for (int i = 0; i < 64; ++i) s += i ? ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        return s;
      }(),
      [] {
        std::string s = kInsertHead;
        for (int i = 0; i < 8; ++i) s += i ? ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        return s;
      }(),
      std::string(kInsertHead) + "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
  };
  return rows == 64 ? sql[0] : rows == 8 ? sql[1] : sql[2];
}
constexpr int kChunks[] = {64, 8, 1};

void push_row(std::vector<store::Value>& p, const Event& e, int64_t seq, int64_t received) {
  p.emplace_back(seq);
  p.emplace_back(e.user.str());
  p.emplace_back(std::string(event_type_name(e.type)));
  p.emplace_back(int64_t{e.version});
  p.emplace_back(e.timestamp_ms);
  p.emplace_back(received);
  p.emplace_back(int64_t{e.private_session});
  if (const Playback* pb = e.playback()) {
    p.emplace_back(pb->track.str());
    p.emplace_back(pb->position_ms);
    p.emplace_back(int64_t{pb->skip});
    p.emplace_back(pb->reason);
    p.emplace_back(store::opt(pb->duration_ms));
    p.emplace_back(pb->context_uri);
    p.emplace_back(nullptr);
    p.emplace_back(pb->source.empty() ? store::Value(nullptr) : store::Value(pb->source));
  } else {
    for (int i = 0; i < 6; ++i) p.emplace_back(nullptr);
    p.emplace_back(encode_body(e));
    p.emplace_back(nullptr);
  }
}

Result<Event> decode_row(const store::Row& r) {
  Event e;
  e.offset = r.i64(0);
  e.user = UserId(r.text(1));
  auto type = parse_event_type(r.text(2));
  if (!type) return Error::corruption("event_log: unknown type at offset " + std::to_string(e.offset));
  e.type = *type;
  e.version = static_cast<int>(r.i64(3));
  e.timestamp_ms = r.i64(4);
  e.received_ms = r.i64(5);
  e.private_session = r.i64(6) != 0;
  if (is_playback(e.type)) {
    Playback p;
    p.track = TrackId(r.text(7));
    p.position_ms = r.i64(8);
    p.skip = r.i64(9) != 0;
    p.reason = r.text(10);
    p.duration_ms = r.opt_i64(11);
    p.context_uri = r.text(12);
    if (!r.is_null(14)) p.source = r.text(14);
    e.payload = std::move(p);
  } else {
    auto payload = decode_body(e.type, r.text(13));
    if (!payload.ok())
      return Error::corruption("event_log: bad body at offset " + std::to_string(e.offset) + ": " + payload.error().message);
    e.payload = std::move(*payload);
  }
  return e;
}

Result<std::vector<Event>> query_events(store::Connection& c, const std::string& sql,
                                        const std::vector<store::Value>& params) {
  std::vector<Event> out;
  std::optional<Error> bad;
  SEGUE_TRY(c.query(sql, params, [&](const store::Row& r) {
    if (bad) return;
    auto e = decode_row(r);
    if (!e.ok()) bad = e.error();
    else out.push_back(std::move(*e));
  }));
  if (bad) return *bad;
  return out;
}

}  // namespace

Log::Log(store::Database& db) : db_(db) {}

Status Log::load_head() {
  int64_t head = 0;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto next, c.query_int("SELECT next_seq FROM event_log_meta WHERE id = 1"));
    head = next.value_or(1) - 1;
    return {};
  }));
  int64_t cur = head_.load();
  while (cur < head && !head_.compare_exchange_weak(cur, head)) {
  }
  return {};
}

struct Log::Pending {
  const std::vector<Event>* events;
  Result<OffsetRange> result = Error::internal("not written");
  bool done = false;  // guarded by group_mu_
};

Result<OffsetRange> Log::append(const std::vector<Event>& events) {
  if (events.empty()) return Error::invalid("events: at least one event is required");
  Pending me{&events};
  std::unique_lock l(group_mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (leader_active_) {
      group_cv_.wait(l);
      continue;
    }
    // Lead: write everything queued so far (this batch included) in one transaction.
    leader_active_ = true;
    std::vector<Pending*> group;
    group.swap(queue_);
    l.unlock();
    write_group(group);
    l.lock();
    for (Pending* p : group) p->done = true;
    leader_active_ = false;
    group_cv_.notify_all();
  }
  return me.result;
}

void Log::write_group(const std::vector<Pending*>& group) {
  const int64_t received = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<const Event*> all;
  for (const Pending* p : group)
    for (const Event& e : *p->events) all.push_back(&e);
  int64_t first = 0;
  std::vector<store::Value> params;
  params.reserve(64 * kColumns);
  auto append = [&](store::Connection& c) -> Status {
    // On PostgreSQL other processes (a cluster's nodes) append too: the row lock makes a
    // concurrent appender wait for this commit and then retry with the new next_seq (a
    // serialization failure), instead of taking the same offsets and failing on the key.
    SEGUE_ASSIGN_OR_RETURN(auto next, c.query_int(db_.engine() == "postgres"
                                                      ? "SELECT next_seq FROM event_log_meta WHERE id = 1 FOR UPDATE"
                                                      : "SELECT next_seq FROM event_log_meta WHERE id = 1"));
    if (!next) return Error::corruption("event_log_meta: missing row");
    first = *next;
    int64_t seq = first;
    std::size_t i = 0;
    for (int chunk : kChunks) {
      while (all.size() - i >= static_cast<std::size_t>(chunk)) {
        params.clear();
        for (int k = 0; k < chunk; ++k) push_row(params, *all[i + k], seq + k, received);
        SEGUE_TRY(c.exec(insert_sql(chunk), params));
        i += chunk;
        seq += chunk;
      }
    }
    SEGUE_TRY(c.exec("UPDATE event_log_meta SET next_seq = ? WHERE id = 1", {seq}));
    return {};
  };
  Status st = db_.write(append);
  // Nodes appending without pause take turns on the one next_seq row, and the driver's retries
  // (bounded) may all lose to another node's group commits: a few more rounds, after a
  // randomised pause, before the batch is refused (503). Each round runs the whole
  // transaction again, so nothing is written twice.
  for (int round = 1; !st.ok() && st.error().code == ErrorCode::kUnavailable && round <= 4; ++round) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    std::this_thread::sleep_for(std::chrono::microseconds(2000 + rng() % (5000u * static_cast<unsigned>(round))));
    st = db_.write(append);
  }
  if (!st.ok()) {
    for (Pending* p : group) p->result = st.error();
    return;
  }
  int64_t seq = first;
  for (Pending* p : group) {
    const auto n = static_cast<int64_t>(p->events->size());
    p->result = OffsetRange{seq, seq + n - 1};
    seq += n;
  }
  const int64_t last = seq - 1;
  int64_t cur = head_.load();
  while (cur < last && !head_.compare_exchange_weak(cur, last)) {
  }
  if (listener_) listener_(last);
}

Result<std::vector<Event>> Log::read(store::Connection& c, int64_t after, int limit) {
  return query_events(c, std::string(kSelect) + "WHERE seq > ? ORDER BY seq LIMIT ?", {after, int64_t{limit}});
}

Result<std::vector<Event>> Log::read(int64_t after, int limit) {
  Result<std::vector<Event>> out = std::vector<Event>();
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    out = read(c, after, limit);
    return {};
  }));
  return out;
}

Result<std::vector<Event>> Log::user_events(store::Connection& c, const UserId& user, int64_t up_to) {
  return query_events(c, std::string(kSelect) + "WHERE user_id = ? AND seq <= ? ORDER BY seq",
                      {user.str(), up_to});
}

Result<std::vector<Event>> Log::user_events(const UserId& user) {
  Result<std::vector<Event>> out = std::vector<Event>();
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    out = user_events(c, user, INT64_MAX);
    return {};
  }));
  return out;
}

Result<int64_t> Log::delete_user(store::Connection& c, const UserId& user) {
  return c.exec("DELETE FROM event_log WHERE user_id = ?", {user.str()});
}

Result<int64_t> Log::delete_user(const UserId& user) {
  int64_t removed = 0;
  SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(removed, delete_user(c, user));
    return {};
  }));
  return removed;
}

// Shared counts' per-user windows (issue 14): how many of a user's plays of a track on one UTC
// day of arrival the popularity consumer counted (popularity.h). Migration 3 of the log's
// database and 2 of a consumer's.
static constexpr const char* kPlayWindowTable = R"(
    CREATE TABLE event_play_window (
      day INTEGER NOT NULL,
      user_id TEXT NOT NULL,
      track_id TEXT NOT NULL,
      plays INTEGER NOT NULL,
      PRIMARY KEY (day, user_id, track_id)
    ) WITHOUT ROWID;
  )";

// How many delete_history runs changed a consumer's state (runner.cc): a node whose copy of the
// count differs knows that its view in memory, and any batch it read before, may still hold a
// deleted user's events. Migration 5 of the log's database and 3 of a consumer's.
static constexpr const char* kForgetsColumn = R"(
    ALTER TABLE event_consumers ADD COLUMN forgets INTEGER NOT NULL DEFAULT 0;
  )";

// The popularity and top-items consumers' tables, created by migration 2 of the log's own
// database and by migration 1 of a consumer's database: shipped schema, never edited (a
// change is a new migration in both lists).
static constexpr const char* kCountTables = R"(
    CREATE TABLE event_item_stats (
      kind INTEGER NOT NULL,
      id TEXT NOT NULL,
      plays INTEGER NOT NULL,
      score REAL NOT NULL,
      last_played INTEGER NOT NULL,
      PRIMARY KEY (kind, id)
    ) WITHOUT ROWID;
    CREATE TABLE event_artist_tracks (
      artist_id TEXT NOT NULL,
      track_id TEXT NOT NULL,
      PRIMARY KEY (artist_id, track_id)
    ) WITHOUT ROWID;
    CREATE TABLE event_user_top (
      user_id TEXT NOT NULL,
      kind INTEGER NOT NULL,
      id TEXT NOT NULL,
      plays INTEGER NOT NULL,
      s_short REAL NOT NULL,
      s_medium REAL NOT NULL,
      s_long REAL NOT NULL,
      last_played INTEGER NOT NULL,
      PRIMARY KEY (user_id, kind, id)
    ) WITHOUT ROWID;
  )";

std::vector<store::Migration> event_migrations() {
  return {
      {1, R"(
    CREATE TABLE playback_events (
      seq INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL,
      type TEXT NOT NULL,
      track_id TEXT NOT NULL,
      position_ms INTEGER NOT NULL,
      skip INTEGER NOT NULL,
      reason TEXT NOT NULL,
      context_uri TEXT NOT NULL,
      client_ts INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      counted_play INTEGER NOT NULL
    );
    CREATE INDEX playback_events_plays ON playback_events (user_id, counted_play, client_ts);
  )"},
      {2, R"(
    CREATE TABLE event_log (
      seq INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL,
      type TEXT NOT NULL,
      v INTEGER NOT NULL,
      client_ts INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      private INTEGER NOT NULL,
      track_id TEXT,
      position_ms INTEGER,
      skip INTEGER,
      reason TEXT,
      duration_ms INTEGER,
      context_uri TEXT,
      body TEXT
    );
    CREATE TABLE event_log_meta (id INTEGER PRIMARY KEY, next_seq INTEGER NOT NULL);
    INSERT INTO event_log (seq, user_id, type, v, client_ts, received_at, private, track_id,
                           position_ms, skip, reason, duration_ms, context_uri, body)
      SELECT seq, user_id, type, 1, client_ts, received_at, 0, track_id, position_ms, skip,
             reason, NULL, context_uri, NULL FROM playback_events;
    INSERT INTO event_log_meta (id, next_seq) SELECT 1, COALESCE(MAX(seq), 0) + 1 FROM playback_events;
    DROP TABLE playback_events;
    CREATE TABLE event_consumers (
      name TEXT PRIMARY KEY,
      committed INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE event_history (
      seq INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL,
      track_id TEXT NOT NULL,
      played_at INTEGER NOT NULL,
      context_uri TEXT NOT NULL
    );
    CREATE INDEX event_history_user ON event_history (user_id, played_at, seq);
  )" + std::string(kCountTables)},
      {3, kPlayWindowTable},
      // Consumers kept here while the events are in another stream (a RedisStream) record an
      // unfinished delete_history as consumers in databases of their own do (derived_migrations).
      {4, R"(
    CREATE TABLE event_forget (
      user_id TEXT NOT NULL,
      consumer TEXT NOT NULL,
      up_to INTEGER NOT NULL,
      PRIMARY KEY (user_id, consumer)
    );
  )"},
      {5, kForgetsColumn},
      // Where a play was started (Playback::source, e.g. "home:<section id>"); NULL: not said.
      {6, R"(
    ALTER TABLE event_log ADD COLUMN source TEXT;
  )"},
  };
}

std::vector<store::Migration> derived_migrations() {
  return {
      {1, R"(
    CREATE TABLE event_consumers (
      name TEXT PRIMARY KEY,
      committed INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE event_forget (
      user_id TEXT NOT NULL,
      consumer TEXT NOT NULL,
      up_to INTEGER NOT NULL,
      PRIMARY KEY (user_id, consumer)
    ) WITHOUT ROWID;
    CREATE TABLE event_history (
      user_id TEXT NOT NULL,
      played_at INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      track_id TEXT NOT NULL,
      context_uri TEXT NOT NULL,
      PRIMARY KEY (user_id, played_at, seq)
    ) WITHOUT ROWID;
  )" + std::string(kCountTables)},
      {2, kPlayWindowTable},
      {3, kForgetsColumn},
  };
}

}  // namespace segue::events
