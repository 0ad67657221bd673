// The event log on Redis Streams (issue 17; setting `event_log = "redis"`): an EventStream
// (stream.h) kept in one Redis stream, `segue:events:log` by default, shared by every node.
//
// Offsets are stream IDs `0-<offset>`: append() runs one Lua script that advances the head
// counter (`<stream>:head`, INCRBY) and XADDs the batch with explicit consecutive IDs, so
// offsets are consecutive within a batch, only grow and are never reused (XDEL leaves the
// counter and the stream's last ID where they were); a script runs atomically, and it checks
// everything before its first write, so a batch is all or nothing. An append is acknowledged
// only once Redis has it durably: the constructor's check (open()) refuses a Redis without
// `appendonly yes` and `appendfsync always` (with those, Redis fsyncs the append-only file
// before it answers) unless `require_fsync` is false (setting `event_log_durability =
// "relaxed"`; then an acknowledged event can be lost with the machine).
//
// read(after) is XRANGE from `0-<after+1>`; user_events() pages through the stream (XRANGE,
// 1000 at a time) keeping the user's events (an export scans the log, as on the database);
// delete_user() XDELs those IDs. database() is nullptr: every consumer keeps its offset and
// state in its own database and forgets a user through delete_user() (runner.cc).
//
// Consumer groups: a group per consumer (XGROUP CREATE at start), moved to the consumer's
// committed offset after each commit (XGROUP SETID ... ENTRIESREAD), so `XINFO GROUPS
// segue:events:log` shows every consumer's position and lag to an operator. The groups are
// informational: the committed offsets in the consumers' databases are what counts.
//
// Blocking (Redis round trips, up to the timeout): worker threads only; head() is memory.
// Thread-safe (one connection, a mutex).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "events/stream.h"
#include "redis/redis.h"

namespace segue::events {

struct RedisStreamOptions {
  redis::Address address;
  std::string key = "segue:events:log";  // the stream; the head counter is key + ":head"
  bool require_fsync = true;              // refuse a Redis that does not fsync each write
  std::chrono::milliseconds timeout{2000};  // each connect and command
};

class RedisStream final : public EventStream {
 public:
  // Connects and checks durability (CONFIG GET appendonly / appendfsync). Error::unavailable
  // when Redis cannot be reached, Error::invalid naming the settings to change when it does
  // not fsync each write and require_fsync is set.
  static Result<std::unique_ptr<RedisStream>> open(RedisStreamOptions options);

  Result<OffsetRange> append(const std::vector<Event>& events) override;
  Result<std::vector<Event>> read(int64_t after, int limit) override;
  Result<std::vector<Event>> user_events(const UserId& user) override;
  Result<int64_t> delete_user(const UserId& user) override;
  int64_t head() const override { return head_.load(std::memory_order_acquire); }
  Status load_head() override;
  void set_append_listener(std::function<void(int64_t head)> fn) override { listener_ = std::move(fn); }
  void committed(const std::string& consumer, int64_t offset) override;

  const RedisStreamOptions& options() const { return options_; }

 private:
  explicit RedisStream(RedisStreamOptions options);
  Result<redis::Reply> command(const std::vector<std::string>& argv);  // under mu_
  void raise_head(int64_t h);

  RedisStreamOptions options_;
  std::mutex mu_;
  redis::Client client_;
  std::atomic<int64_t> head_{0};
  std::function<void(int64_t)> listener_;
  std::mutex groups_mu_;
  std::vector<std::string> groups_;  // consumer groups created by this process
};

}  // namespace segue::events
