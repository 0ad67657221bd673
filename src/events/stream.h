// The event stream as producers and consumers see it: append a batch, read from an offset,
// take a user's events out. This is the seam between the event pipeline and where events are
// kept. `Log` (log.h) keeps them in the `event_log` table of a store::Database, on SQLite or
// PostgreSQL; `RedisStream` (redis_stream.h) keeps them in a Redis stream shared by all nodes.
//
// Commit: a consumer's position is not the stream's to keep. ConsumerRunner (runner.h) commits
// each consumer's offset in the same transaction as the derived state it produced, in the
// consumer's own database (`event_consumers`), so after a crash a consumer resumes exactly after
// what it applied, whichever stream it read from. A stream only promises that offsets grow, are
// never reused, and that read(after) returns every event still held past `after` in order.
//
// Blocking: every call but head() may wait on storage; worker threads only. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "events/event.h"

namespace segue::store {
class Database;
}

namespace segue::events {

struct OffsetRange {
  int64_t first = 0;  // offset of the batch's first event
  int64_t last = 0;   // offset of its last event (first + size - 1)
};

class EventStream {
 public:
  virtual ~EventStream() = default;

  // Appends `events` all or nothing, with consecutive offsets after the head; durable when it
  // returns. An empty batch is Error::invalid.
  virtual Result<OffsetRange> append(const std::vector<Event>& events) = 0;
  // Events with offset > `after`, in offset order, at most `limit`.
  virtual Result<std::vector<Event>> read(int64_t after, int limit) = 0;
  // Every event of `user` the stream holds, in offset order (export, and deletion's forgetting).
  virtual Result<std::vector<Event>> user_events(const UserId& user) = 0;
  // Removes every event of `user`; offsets are not reused. Returns how many went.
  virtual Result<int64_t> delete_user(const UserId& user) = 0;

  // The offset of the newest appended event (0 for an empty stream), from memory.
  virtual int64_t head() const = 0;
  // Reads the head from storage (at start).
  virtual Status load_head() = 0;
  // Called with the new head after each successful append, on the appending thread. Set once,
  // before appends start; must not block.
  virtual void set_append_listener(std::function<void(int64_t head)> fn) = 0;

  // Called by the runner after `consumer` committed `offset` (at start too), on its thread:
  // lets a stream show consumers' positions (RedisStream's consumer groups). Best effort,
  // never fails the caller.
  virtual void committed(const std::string& consumer, int64_t offset) {}

  // The database the stream is a table of, or nullptr. A consumer whose state lives in that
  // same database forgets a user in the very transaction that deletes the user's events;
  // consumers elsewhere go through the stream's delete_user() (runner.cc, delete_user()).
  virtual store::Database* database() { return nullptr; }
};

}  // namespace segue::events
