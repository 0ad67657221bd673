// Runs named consumers over the log: each on its own thread, woken by appends, in bounded
// batches; a batch's derived changes and the consumer's new offset commit in one transaction
// (`event_consumers`), so after a crash a consumer resumes after its last committed offset and
// every event counts exactly once.
//
// Thread-safe. Every method but status() and wait_for() blocks on SQLite: worker threads only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "events/consumer.h"
#include "events/stream.h"
#include "store/database.h"

namespace segue::events {

struct RunnerOptions {
  int max_batch = 5000;                                // events per transaction
  // When a consumer is more than max_batch behind: events per transaction while it catches up.
  int catch_up_batch = 50000;
  std::chrono::milliseconds retry_delay{100};          // after a failed batch, doubling to 5 s
  // After a wake-up with less than max_batch waiting, gather appends this long before applying:
  // fewer, larger transactions (each costs an fsync) for a bounded extra lag. wait_for() skips it.
  std::chrono::milliseconds linger{200};
  // Tests only: called by delete_user() after the consumers' own databases committed and before
  // the log's commit (when the user has events), to simulate a crash there.
  std::function<void()> after_derived_forget;
  // Tests only: called by a step with the consumer's name after it read its batch and before
  // its transaction (where another node's delete_history may land).
  std::function<void(const std::string& consumer)> after_batch_read;
};

struct ConsumerStatus {
  std::string name;
  int64_t committed = 0;          // offset of the last event applied (0: none)
  int64_t head = 0;               // the log's head when asked
  int64_t lag = 0;                // head - committed
  uint64_t applied = 0;           // events applied since start()
  double events_per_second = 0;   // over the last second or so of activity
  std::optional<Error> last_error;  // the last failed batch's error, cleared by a success
};

class ConsumerRunner {
 public:
  // `db` holds the consumers' offsets and derived state unless add() names another database
  // (then delete_user() commits in each, in the order documented in docs/formats/event-log.md).
  // A consumer whose database is not the stream's own (`log.database()`) is "split".
  ConsumerRunner(store::Database& db, EventStream& log, RunnerOptions options = {});
  ~ConsumerRunner();  // stop()
  ConsumerRunner(const ConsumerRunner&) = delete;
  ConsumerRunner& operator=(const ConsumerRunner&) = delete;

  // Registers a consumer (not owned; it must outlive the runner). Before start() only. `db`: the
  // database of its offset and derived state (migrated with derived_migrations() unless it is
  // the log's); nullptr: the runner's.
  void add(Consumer& consumer, store::Database* db = nullptr);

  // Creates missing offset rows, reads the committed offsets and the log's head, and loads each
  // consumer's view. With `threads`, starts one thread per consumer; without, consumers only
  // move in catch_up() (tests, command-line tools). Call once.
  Status start(bool threads = true);
  // Stops and joins the threads (a batch in flight finishes or rolls back first). Idempotent.
  void stop();

  // Applies batches on the calling thread until `name` (every consumer if empty) has reached
  // the head as of the call.
  Status catch_up(const std::string& name = {});
  // Waits until `name` has committed `offset` or later; true if it did within `timeout`.
  // Without threads, catches up on the calling thread instead.
  bool wait_for(const std::string& name, int64_t offset, std::chrono::milliseconds timeout);

  // Resets `name`'s derived state and offset to 0 in one transaction; its thread then rebuilds
  // from the log. Error::not_found for an unknown name.
  Status drop_and_replay(const std::string& name);

  // In one transaction: every consumer forgets `user` (taking the user's applied events out of
  // its aggregates) and the user's events leave the log. Waits for batches in flight.
  Status delete_user(const UserId& user);

  std::vector<ConsumerStatus> status() const;

  // The log's append listener: wakes the threads. Any thread, never blocks on I/O.
  void notify();

 private:
  struct Slot;
  // Events after `after` from the log, shared between consumers (a recent read is reused).
  struct Batch {
    int64_t after = 0;
    std::shared_ptr<const std::vector<Event>> events;
    std::size_t begin = 0, end = 0;  // this consumer's part of *events
    int64_t complete_to = 0;         // every offset up to here was seen (gaps: deleted events)
  };
  Result<Batch> read_batch(int64_t after, int limit);
  void clear_cache();
  Slot* find(const std::string& name) const;
  Result<std::size_t> step(Slot& s);  // one batch; the number of events applied
  void loop(Slot& s);
  Status forget_locked(const UserId& user);  // delete_user with every consumer held
  Status finish_forgets();                   // for every user still in event_forget (at start)
  // With s.apply_mu held: reads the consumer's row (committed, forgets); when it differs from
  // what this process holds (another process applied events or deleted a history), or `force`,
  // reloads the consumer's view with it in one snapshot. True if anything was reloaded.
  Result<bool> refresh(Slot& s, bool force);
  // After a transaction of this process that read the row as `before` (locked) and counted one
  // more forget: keeps the slot in step, or reloads it when `before` was not what it held.
  void after_forget(Slot& s, int64_t before_committed, int64_t before_forgets);

  store::Database& db_;
  EventStream& log_;
  const RunnerOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  bool started_ = false;
  bool threaded_ = false;
  mutable std::mutex mu_;          // guards stopping_ and the slots' kick flags; cv_ waits on it
  std::condition_variable cv_;     // appends, progress and stop
  bool stopping_ = false;
  std::mutex cache_mu_;            // guards cache_ and cache_generation_
  std::deque<Batch> cache_;        // the newest reads (events the log holds: delete_user clears it)
  // Counts clear_cache() calls: a read that began before one is not cached (it may hold events a
  // delete_history, here or on another node, has removed since).
  uint64_t cache_generation_ = 0;
};

}  // namespace segue::events
