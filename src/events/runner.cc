#include "events/runner.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "events/log.h"

namespace segue::events {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct ConsumerRunner::Slot {
  Consumer* consumer = nullptr;
  store::Database* db = nullptr;      // its offset and derived state
  bool split = false;                 // db is not the log's
  std::mutex apply_mu;                // one batch (or reset, or forget) at a time
  std::atomic<int64_t> committed{0};
  std::thread thread;
  bool kick = false;                  // guarded by the runner's mu_: run a step even if caught up
  // Statistics, guarded by stats_mu.
  mutable std::mutex stats_mu;
  uint64_t applied = 0;
  std::chrono::steady_clock::time_point window_start = std::chrono::steady_clock::now();
  uint64_t window_events = 0;
  double rate = 0;
  std::optional<Error> last_error;
};

ConsumerRunner::ConsumerRunner(store::Database& db, EventStream& log, RunnerOptions options)
    : db_(db), log_(log), options_(options) {}

ConsumerRunner::~ConsumerRunner() { stop(); }

void ConsumerRunner::add(Consumer& consumer, store::Database* db) {
  auto s = std::make_unique<Slot>();
  s->consumer = &consumer;
  s->db = db ? db : &db_;
  s->split = s->db != log_.database();
  slots_.push_back(std::move(s));
}

ConsumerRunner::Slot* ConsumerRunner::find(const std::string& name) const {
  for (const auto& s : slots_)
    if (s->consumer->name() == name) return s.get();
  return nullptr;
}

Status ConsumerRunner::start(bool threads) {
  if (started_) return Error::internal("consumer runner already started");
  SEGUE_TRY(log_.load_head());
  for (auto& s : slots_) {
    const std::string& name = s->consumer->name();
    SEGUE_TRY(s->db->write([&](store::Connection& c) -> Status {
      SEGUE_TRY(c.exec("INSERT INTO event_consumers (name, committed, updated_at) VALUES (?, 0, ?) "
                       "ON CONFLICT (name) DO NOTHING",
                       {name, wall_ms()}));
      return {};
    }));
    SEGUE_TRY(s->db->read([&](store::Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(auto committed,
                             c.query_int("SELECT committed FROM event_consumers WHERE name = ?", {name}));
      s->committed = committed.value_or(0);
      return s->consumer->load(c);
    }));
  }
  SEGUE_TRY(finish_forgets());  // before any consumer moves
  for (auto& s : slots_) log_.committed(s->consumer->name(), s->committed.load());
  started_ = true;
  threaded_ = threads;
  if (threads)
    for (auto& s : slots_) s->thread = std::thread([this, slot = s.get()] { loop(*slot); });
  return {};
}

void ConsumerRunner::stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& s : slots_)
    if (s->thread.joinable()) s->thread.join();
}

void ConsumerRunner::notify() {
  { std::lock_guard l(mu_); }  // orders the head update before a waiter's predicate check
  cv_.notify_all();
}

Result<ConsumerRunner::Batch> ConsumerRunner::read_batch(int64_t from, int limit) {
  {
    // Consumers mostly read the same stretch of the log: decode it once and share it.
    std::lock_guard l(cache_mu_);
    for (const Batch& b : cache_) {
      if (b.events->empty() || from < b.after || from >= b.events->back().offset) continue;
      auto first = std::upper_bound(b.events->begin(), b.events->end(), from,
                                    [](int64_t v, const Event& e) { return v < e.offset; });
      const auto begin = static_cast<std::size_t>(first - b.events->begin());
      Batch out = b;
      out.after = from;
      out.begin = begin;
      out.end = std::min(b.events->size(), begin + static_cast<std::size_t>(limit));
      // The tail of a short read saw everything up to its head; a cut one only to its last event.
      if (out.end < b.events->size()) out.complete_to = (*b.events)[out.end - 1].offset;
      return out;
    }
  }
  Batch b;
  b.after = from;
  const int64_t head = log_.head();  // read before the events: the read sees at least this far
  SEGUE_ASSIGN_OR_RETURN(std::vector<Event> events, log_.read(from, limit));
  int64_t to = events.empty() ? from : events.back().offset;
  // A short read saw everything up to `head`; offsets of deleted events in between are skipped.
  if (static_cast<int>(events.size()) < limit) to = std::max(to, head);
  b.complete_to = to;
  b.end = events.size();
  b.events = std::make_shared<const std::vector<Event>>(std::move(events));
  // (delete_user, which empties the cache, holds every consumer: no read runs meanwhile.)
  std::lock_guard l(cache_mu_);
  if (!b.events->empty()) {
    cache_.push_back(b);
    if (cache_.size() > 4) cache_.pop_front();
  }
  return b;
}

void ConsumerRunner::clear_cache() {
  std::lock_guard l(cache_mu_);
  cache_.clear();
}

Result<std::size_t> ConsumerRunner::step(Slot& s) {
  std::lock_guard guard(s.apply_mu);
  const int64_t from = s.committed.load();
  // Behind by more than a batch: larger batches, fewer transactions (each dirties pages that
  // more events then share).
  const int limit = log_.head() - from > options_.max_batch ? std::max(options_.max_batch, options_.catch_up_batch)
                                                            : options_.max_batch;
  SEGUE_ASSIGN_OR_RETURN(Batch batch, read_batch(from, limit));
  std::span<const Event> events(batch.events->data() + batch.begin, batch.end - batch.begin);
  const int64_t to = batch.complete_to;
  if (to <= from) return std::size_t{0};
  const std::string& name = s.consumer->name();
  bool moved = false;
  Status st = s.db->write([&](store::Connection& c) -> Status {
    // Each attempt starts clean: on PostgreSQL a write callback runs again after a
    // serialization conflict, and what a failed attempt staged in memory must not count twice.
    s.consumer->on_rollback();
    moved = false;
    // Another process may have applied this stretch already: find out before applying it.
    SEGUE_ASSIGN_OR_RETURN(auto at, c.query_int("SELECT committed FROM event_consumers WHERE name = ?", {name}));
    if (at.value_or(0) != from) {
      moved = true;
      return Error::conflict("consumer " + name + ": its offset moved under it (another process?)");
    }
    if (!events.empty()) SEGUE_TRY(s.consumer->apply(c, events));
    SEGUE_ASSIGN_OR_RETURN(int64_t n, c.exec("UPDATE event_consumers SET committed = ?, updated_at = ? "
                                             "WHERE name = ? AND committed = ?",
                                             {to, wall_ms(), name, from}));
    if (n != 1) {
      moved = true;
      return Error::conflict("consumer " + name + ": its offset moved under it (another process?)");
    }
    return {};
  });
  if (!st.ok() && moved) {
    // Another process applied this stretch and committed it (nodes of a cluster running the
    // same consumer on one database): nothing here was applied. Take the committed offset and
    // the state that goes with it, read together, and go on from there.
    s.consumer->on_rollback();
    Status reloaded = s.db->read([&](store::Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(auto committed,
                             c.query_int("SELECT committed FROM event_consumers WHERE name = ?", {name}));
      SEGUE_TRY(s.consumer->load(c));
      s.committed = committed.value_or(0);
      return {};
    });
    if (reloaded.ok()) {
      log::debug("events: consumer offset moved by another process; continuing from it",
                {{"consumer", name}, {"committed", std::to_string(s.committed.load())}});
      cv_.notify_all();
      return std::size_t{0};
    }
    st = reloaded;
  }
  if (!st.ok()) {
    s.consumer->on_rollback();
    std::lock_guard l(s.stats_mu);
    s.last_error = st.error();
    return st.error();
  }
  s.consumer->on_commit();
  s.committed = to;
  log_.committed(name, to);
  {
    std::lock_guard l(s.stats_mu);
    s.applied += events.size();
    s.window_events += events.size();
    s.last_error.reset();
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - s.window_start).count();
    if (secs >= 1.0) {
      s.rate = static_cast<double>(s.window_events) / secs;
      s.window_events = 0;
      s.window_start = now;
    }
  }
  {
    std::lock_guard l(mu_);
  }
  cv_.notify_all();  // wait_for() callers
  return events.size();
}

void ConsumerRunner::loop(Slot& s) {
  auto delay = options_.retry_delay;
  for (;;) {
    {
      std::unique_lock l(mu_);
      cv_.wait_for(l, std::chrono::seconds(1),
                   [&] { return stopping_ || s.kick || log_.head() > s.committed.load(); });
      if (stopping_) return;
      if (!s.kick && log_.head() <= s.committed.load()) {
        // A quiet second: other processes (the nodes of a cluster) may have appended to the
        // stream without this process hearing of it. Read the head from storage.
        l.unlock();
        if (auto st = log_.load_head(); !st.ok())
          log::warn("events: cannot read the stream's head", {{"error", st.error().message}});
        l.lock();
        if (stopping_) return;
        if (log_.head() <= s.committed.load()) continue;
      }
      if (!s.kick && log_.head() - s.committed.load() < options_.max_batch) {
        cv_.wait_for(l, options_.linger, [&] {
          return stopping_ || s.kick || log_.head() - s.committed.load() >= options_.max_batch;
        });
        if (stopping_) return;
      }
      s.kick = false;
    }
    auto r = step(s);
    if (r.ok()) {
      delay = options_.retry_delay;
      continue;
    }
    log::warn("events: consumer batch failed, will retry",
              {{"consumer", s.consumer->name()}, {"error", r.error().message}});
    std::unique_lock l(mu_);
    cv_.wait_for(l, delay, [&] { return stopping_; });
    if (stopping_) return;
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(5));
    s.kick = true;
  }
}

Status ConsumerRunner::catch_up(const std::string& name) {
  const int64_t target = log_.head();
  for (auto& s : slots_) {
    if (!name.empty() && s->consumer->name() != name) continue;
    while (s->committed.load() < target) {
      SEGUE_ASSIGN_OR_RETURN(std::size_t n, step(*s));
      if (n == 0 && s->committed.load() < target) break;  // nothing more to read
    }
  }
  if (!name.empty() && !find(name)) return Error::not_found("no consumer named " + name);
  return {};
}

bool ConsumerRunner::wait_for(const std::string& name, int64_t offset, std::chrono::milliseconds timeout) {
  Slot* s = find(name);
  if (!s) return false;
  if (!threaded_) {
    (void)catch_up(name);
    return s->committed.load() >= offset;
  }
  std::unique_lock l(mu_);
  if (s->committed.load() >= offset) return true;
  s->kick = true;  // a reader waits: no lingering
  cv_.notify_all();
  return cv_.wait_for(l, timeout, [&] { return stopping_ || s->committed.load() >= offset; }) &&
         s->committed.load() >= offset;
}

Status ConsumerRunner::drop_and_replay(const std::string& name) {
  Slot* s = find(name);
  if (!s) return Error::not_found("no consumer named " + name);
  {
    std::lock_guard guard(s->apply_mu);
    Status st = s->db->write([&](store::Connection& c) -> Status {
      s->consumer->on_rollback();  // a clean start for each attempt (see apply above)
      SEGUE_TRY(s->consumer->reset(c));
      // An unfinished delete_history's record of what this consumer forgot goes with its state:
      // the retry forgets everything the replay applies again.
      if (s->split) SEGUE_TRY(c.exec("DELETE FROM event_forget WHERE consumer = ?", {name}));
      SEGUE_TRY(c.exec("UPDATE event_consumers SET committed = 0, updated_at = ? WHERE name = ?",
                       {wall_ms(), name}));
      return {};
    });
    if (!st.ok()) {
      s->consumer->on_rollback();
      return st;
    }
    s->consumer->on_commit();
    s->committed = 0;
    log_.committed(name, 0);
  }
  {
    std::lock_guard l(mu_);
    s->kick = true;
  }
  cv_.notify_all();
  return {};
}

Status ConsumerRunner::delete_user(const UserId& user) {
  std::vector<std::unique_lock<std::mutex>> locks;
  for (auto& s : slots_) locks.emplace_back(s->apply_mu);  // fixed order; step() holds one at most
  struct Invalidate {  // the shared batches may hold the user's events: drop them, before and after
    ConsumerRunner* r;
    ~Invalidate() { r->clear_cache(); }
  } invalidate{this};
  clear_cache();
  return forget_locked(user);
}

// Consumers in the log's database forget the user in the transaction that deletes the user's
// events from the log, all or nothing. A consumer in a database of its own (docs/formats/
// event-log.md, "delete_history"): (1) in its database, one transaction forgets the user's
// applied events and records (user, consumer, committed offset) in event_forget; (2) the
// log's transaction deletes the user's events; (3) the records go. Every consumer is held
// throughout, so none applies an event that (2) removes. A record holds the offset the consumer
// had forgotten up to. A failure or crash before (3) leaves records: start() runs this again for
// their users before any consumer moves (and a retry of delete_user() does the same); a
// consumer with a record forgets only what it applied after it, one without forgets all.
Status ConsumerRunner::forget_locked(const UserId& user) {
  // Every event a consumer applied (offset <= committed <= head) is in this read; the user's
  // later events are removed by (2) unapplied.
  std::vector<Event> events;
  if (std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->split; })) {
    SEGUE_ASSIGN_OR_RETURN(events, log_.user_events(user));
  }
  auto applied = [&](Slot& s, const std::vector<Event>& all) {
    const int64_t committed = s.committed.load();
    auto end = std::find_if(all.begin(), all.end(), [&](const Event& e) { return e.offset > committed; });
    return std::span<const Event>(all.begin(), end);
  };
  for (auto& s : slots_) {  // (1)
    if (!s->split) continue;
    const std::string& name = s->consumer->name();
    Status st = s->db->write([&](store::Connection& c) -> Status {
      s->consumer->on_rollback();  // a clean start for each attempt (see apply above)
      // A record from an earlier, unfinished attempt: what it forgot (offsets <= up_to) is
      // gone already; events the consumer applied since are forgotten now.
      SEGUE_ASSIGN_OR_RETURN(auto done, c.query_int("SELECT up_to FROM event_forget WHERE user_id = ? AND consumer = ?",
                                                    {user.str(), name}));
      const int64_t committed = s->committed.load();
      SEGUE_TRY(c.exec("INSERT INTO event_forget (user_id, consumer, up_to) VALUES (?, ?, ?) "
                       "ON CONFLICT (user_id, consumer) DO UPDATE SET up_to = excluded.up_to",
                       {user.str(), name, committed}));
      std::span<const Event> todo = applied(*s, events);
      const int64_t after = done.value_or(0);
      while (!todo.empty() && todo.front().offset <= after) todo = todo.subspan(1);
      return s->consumer->forget_user(c, user, todo);
    });
    if (st.ok()) s->consumer->on_commit();
    else s->consumer->on_rollback();
    if (!st.ok()) return st;
  }
  if (options_.after_derived_forget && !events.empty()) options_.after_derived_forget();
  // (2) Consumers that live in the stream's own database (always a Log then) forget in the
  // transaction that deletes the events; otherwise the stream deletes them on its own.
  const bool any_shared = std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return !s->split; });
  Status st;
  if (any_shared) {
    st = log_.database()->write([&](store::Connection& c) -> Status {
      for (auto& s : slots_)
        if (!s->split) s->consumer->on_rollback();  // a clean start for each attempt
      SEGUE_ASSIGN_OR_RETURN(std::vector<Event> here, Log::user_events(c, user, INT64_MAX));
      for (auto& s : slots_)
        if (!s->split) SEGUE_TRY(s->consumer->forget_user(c, user, applied(*s, here)));
      SEGUE_TRY(Log::delete_user(c, user));
      return {};
    });
  } else {
    Result<int64_t> removed = log_.delete_user(user);
    if (!removed.ok()) st = removed.error();
  }
  for (auto& s : slots_) {
    if (s->split) continue;
    if (st.ok()) s->consumer->on_commit();
    else s->consumer->on_rollback();
  }
  if (!st.ok()) return st;
  for (auto& s : slots_) {  // (3)
    if (!s->split) continue;
    SEGUE_TRY(s->db->write([&](store::Connection& c) -> Status {
      SEGUE_TRY(c.exec("DELETE FROM event_forget WHERE user_id = ? AND consumer = ?", {user.str(), s->consumer->name()}));
      return {};
    }));
  }
  return {};
}

Status ConsumerRunner::finish_forgets() {
  std::set<std::string> users;
  std::set<store::Database*> seen;
  for (auto& s : slots_) {
    if (!s->split || !seen.insert(s->db).second) continue;
    SEGUE_TRY(s->db->read([&](store::Connection& c) -> Status {
      return c.query("SELECT user_id FROM event_forget", {}, [&](const store::Row& r) { users.insert(r.text(0)); });
    }));
  }
  for (const auto& u : users) {
    log::info("events: finishing an interrupted delete_history", {{"user", u}});
    SEGUE_TRY(forget_locked(UserId(u)));
  }
  if (!users.empty()) clear_cache();
  return {};
}

std::vector<ConsumerStatus> ConsumerRunner::status() const {
  std::vector<ConsumerStatus> out;
  const int64_t head = log_.head();
  for (const auto& s : slots_) {
    ConsumerStatus cs;
    cs.name = s->consumer->name();
    cs.committed = s->committed.load();
    cs.head = head;
    cs.lag = std::max<int64_t>(0, head - cs.committed);
    std::lock_guard l(s->stats_mu);
    cs.applied = s->applied;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - s->window_start).count();
    cs.events_per_second = secs > 2.0 ? static_cast<double>(s->window_events) / secs : s->rate;
    cs.last_error = s->last_error;
    out.push_back(std::move(cs));
  }
  return out;
}

}  // namespace segue::events
