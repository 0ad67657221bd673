// The append-only event log: the `event_log` table in the store's SQLite database (WAL,
// synchronous=FULL), one row per event, each with an offset (`seq`) that only grows and is never
// reused, even after delete_user() (docs/formats/event-log.md).
//
// Blocking (SQLite): call from worker threads. Thread-safe. One process appends at a time (the
// server); several processes may read.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/result.h"
#include "events/event.h"
#include "events/stream.h"
#include "store/database.h"

namespace segue::events {

// The EventStream kept in a store::Database (stream.h).
class Log final : public EventStream {
 public:
  explicit Log(store::Database& db);

  // Appends `events` in one transaction, all or nothing, with consecutive offsets after the
  // head. Durable when it returns. Does not validate (callers validate at the door). An empty
  // batch is Error::invalid. Calls the append listener after the commit.
  // Group commit: batches appended concurrently by other threads while a commit is in flight
  // are written together in the next transaction (one fsync for all; each keeps consecutive
  // offsets; if that transaction fails, every batch in it fails and none is written).
  Result<OffsetRange> append(const std::vector<Event>& events) override;

  // Events with offset > `after`, in offset order, at most `limit`. On a read connection.
  Result<std::vector<Event>> read(int64_t after, int limit) override;
  // The same inside a transaction the caller holds.
  static Result<std::vector<Event>> read(store::Connection& c, int64_t after, int limit);

  // Every event of `user` with offset <= `up_to`, in offset order, inside the caller's
  // transaction (or on a read connection for the first form). The log has no index by user
  // (it would cost ingest five times, docs/formats/event-log.md): this scans the log.
  Result<std::vector<Event>> user_events(const UserId& user) override;
  static Result<std::vector<Event>> user_events(store::Connection& c, const UserId& user, int64_t up_to);
  // Removes every event of `user` (inside the caller's transaction). Offsets are not reused.
  static Result<int64_t> delete_user(store::Connection& c, const UserId& user);
  // The same in a transaction of its own.
  Result<int64_t> delete_user(const UserId& user) override;

  // The offset of the newest committed event (0 for an empty log). Memory only.
  int64_t head() const override { return head_.load(std::memory_order_acquire); }
  // Reads the head from the database (at start; the log then keeps it).
  Status load_head() override;

  // Called with the new head after each successful append, on the appending thread. Set once,
  // before appends start.
  void set_append_listener(std::function<void(int64_t head)> fn) override { listener_ = std::move(fn); }

  store::Database& db() { return db_; }
  store::Database* database() override { return &db_; }

 private:
  struct Pending;
  void write_group(const std::vector<Pending*>& group);

  store::Database& db_;
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<Pending*> queue_;   // guarded by group_mu_
  bool leader_active_ = false;    // guarded by group_mu_
  std::atomic<int64_t> head_{0};
  std::function<void(int64_t)> listener_;
};

// The events module's migrations (module name "events"): the log, the consumers' offsets and
// their derived tables. Version 2 moves the rows of version 1's `playback_events` into the log.
std::vector<store::Migration> event_migrations();

// The migrations of a consumer's own database for its derived state and offset (module
// "events_derived"; EventLogOptions::derived_dir): the same tables as event_migrations()'s
// derived ones, with `event_history` keyed by (user_id, played_at, seq) (one B-tree), and
// `event_forget`, the (user, consumer) pairs whose delete_history has not finished.
std::vector<store::Migration> derived_migrations();

}  // namespace segue::events
