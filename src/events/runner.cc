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

// A consumer's row in event_consumers: its committed offset and how many history deletions
// changed its state (`forgets`).
struct Position {
  int64_t committed = 0;
  int64_t forgets = 0;
};

// `lock`: FOR UPDATE on PostgreSQL, so that no other node's transaction moves the consumer on
// until this one ends (SQLite has a single writer).
Result<Position> read_position(store::Connection& c, const std::string& name, bool lock) {
  Position p;
  std::string sql = "SELECT committed, forgets FROM event_consumers WHERE name = ?";
  if (lock && c.engine() == "postgres") sql += " FOR UPDATE";
  SEGUE_TRY(c.query(sql, {name}, [&](const store::Row& r) {
    p.committed = r.i64(0);
    p.forgets = r.i64(1);
  }));
  return p;
}

// Counts one more forget in the consumer's row: a write every other node's step of this consumer
// conflicts with, and sees afterwards (step()).
Status count_forget(store::Connection& c, const std::string& name) {
  SEGUE_TRY(c.exec("UPDATE event_consumers SET forgets = forgets + 1, updated_at = ? WHERE name = ?", {wall_ms(), name}));
  return {};
}

// The events of `all` (one user's, offset order) at or below `committed`: those applied.
std::span<const Event> applied_up_to(int64_t committed, const std::vector<Event>& all) {
  auto end = std::find_if(all.begin(), all.end(), [&](const Event& e) { return e.offset > committed; });
  return std::span<const Event>(all.begin(), end);
}

}  // namespace

struct ConsumerRunner::Slot {
  Consumer* consumer = nullptr;
  store::Database* db = nullptr;      // its offset and derived state
  bool split = false;                 // db is not the log's
  std::mutex apply_mu;                // one batch (or reset, or forget) at a time
  std::atomic<int64_t> committed{0};
  // The row's `forgets` that the consumer's view (and the batches read since) reflect; -1 when
  // unknown (a reload failed): the next step reloads.
  std::atomic<int64_t> forgets{0};
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
      SEGUE_ASSIGN_OR_RETURN(Position at, read_position(c, name, false));
      s->committed = at.committed;
      s->forgets = at.forgets;
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
  uint64_t generation = 0;
  {
    // Consumers mostly read the same stretch of the log: decode it once and share it.
    std::lock_guard l(cache_mu_);
    generation = cache_generation_;
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
  // A clear_cache() since the read began (a history deletion, here or seen from another node):
  // these events may include deleted ones; use them for this step only (it checks), never share.
  std::lock_guard l(cache_mu_);
  if (!b.events->empty() && generation == cache_generation_) {
    cache_.push_back(b);
    if (cache_.size() > 4) cache_.pop_front();
  }
  return b;
}

void ConsumerRunner::clear_cache() {
  std::lock_guard l(cache_mu_);
  cache_.clear();
  ++cache_generation_;
}

Result<bool> ConsumerRunner::refresh(Slot& s, bool force) {
  const std::string& name = s.consumer->name();
  bool reloaded = false, forgot = false;
  SEGUE_TRY(s.db->read([&](store::Connection& c) -> Status {
    reloaded = forgot = false;
    SEGUE_ASSIGN_OR_RETURN(Position at, read_position(c, name, false));
    if (!force && at.committed == s.committed.load() && at.forgets == s.forgets.load()) return {};
    s.consumer->on_rollback();
    SEGUE_TRY(s.consumer->load(c));
    forgot = at.forgets != s.forgets.load();
    s.committed = at.committed;
    s.forgets = at.forgets;
    reloaded = true;
    return {};
  }));
  if (forgot) clear_cache();  // shared batches may hold the events another node deleted
  return reloaded;
}

void ConsumerRunner::after_forget(Slot& s, int64_t before_committed, int64_t before_forgets) {
  if (before_committed == s.committed.load() && before_forgets == s.forgets.load()) {
    s.forgets = before_forgets + 1;  // the view held what the row said, minus what was just forgotten
    return;
  }
  // Another node had moved this consumer on (or forgotten someone): the view in memory missed
  // that, and the forget just committed took out events it never held. Read it again.
  auto r = refresh(s, true);
  if (!r.ok()) {
    s.forgets = -1;  // the next step reloads
    log::warn("events: cannot reload a consumer after a deletion",
              {{"consumer", s.consumer->name()}, {"error", r.error().message}});
  }
}

Result<std::size_t> ConsumerRunner::step(Slot& s) {
  std::lock_guard guard(s.apply_mu);
  const int64_t from = s.committed.load();
  const int64_t forgets = s.forgets.load();
  // Behind by more than a batch: larger batches, fewer transactions (each dirties pages that
  // more events then share).
  const int limit = log_.head() - from > options_.max_batch ? std::max(options_.max_batch, options_.catch_up_batch)
                                                            : options_.max_batch;
  SEGUE_ASSIGN_OR_RETURN(Batch batch, read_batch(from, limit));
  std::span<const Event> events(batch.events->data() + batch.begin, batch.end - batch.begin);
  const int64_t to = batch.complete_to;
  if (to <= from) return std::size_t{0};
  const std::string& name = s.consumer->name();
  if (options_.after_batch_read) options_.after_batch_read(name);
  bool moved = false;
  std::vector<Event> kept;
  Status st = s.db->write([&](store::Connection& c) -> Status {
    // Each attempt starts clean: on PostgreSQL a write callback runs again after a
    // serialization conflict, and what a failed attempt staged in memory must not count twice.
    s.consumer->on_rollback();
    moved = false;
    // Another process may have applied this stretch already, or deleted a user's history since
    // this batch was read (its events would come back): find out before applying it. A deletion
    // committing meanwhile updates this row too, so one of the two transactions fails and retries.
    SEGUE_ASSIGN_OR_RETURN(Position at, read_position(c, name, false));
    if (at.committed != from || at.forgets != forgets) {
      moved = true;
      return Error::conflict("consumer " + name + ": its row moved under it (another process?)");
    }
    std::span<const Event> todo = events;
    if (s.split && !events.empty()) {
      // A deletion under way (recorded in event_forget, until the stream has dropped the user's
      // events): those users' events are not applied; the deletion removes them unapplied.
      std::set<std::string> deleting;
      SEGUE_TRY(c.query("SELECT user_id FROM event_forget WHERE consumer = ?", {name},
                        [&](const store::Row& r) { deleting.insert(r.text(0)); }));
      if (!deleting.empty()) {
        kept.clear();
        for (const Event& e : events)
          if (!deleting.count(e.user.str())) kept.push_back(e);
        todo = kept;
      }
    }
    if (!todo.empty()) SEGUE_TRY(s.consumer->apply(c, todo));
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
    // same consumer on one database), or deleted a history: nothing here was applied. Take the
    // committed offset and the state that goes with it, read together, and go on from there
    // (with a fresh read of the log after a deletion).
    s.consumer->on_rollback();
    Result<bool> refreshed = refresh(s, true);
    Status reloaded = refreshed.ok() ? Status{} : Status{refreshed.error()};
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
  (void)kept;
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
        {
          // And another process may have applied events or deleted a user's history: the view
          // in memory (popularity) follows the consumer's tables within a second.
          std::lock_guard guard(s.apply_mu);
          if (auto r = refresh(s, false); !r.ok())
            log::debug("events: cannot read a consumer's position",
                       {{"consumer", s.consumer->name()}, {"error", r.error().message}});
        }
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
      const int64_t committed = s->committed.load(), forgets = s->forgets.load();
      SEGUE_ASSIGN_OR_RETURN(std::size_t n, step(*s));
      // Nothing more to read (a step that only took in another process's deletion goes again).
      if (n == 0 && s->committed.load() == committed && s->forgets.load() == forgets) break;
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
// stream deletes the user's events; (3) the records go. Every consumer of this process is held
// throughout. A failure or crash before (3) leaves records: start() runs this again for their
// users before any consumer moves (and a retry of delete_user() does the same).
//
// What was applied is what the consumer's row in the database says, read (and on PostgreSQL
// locked) in the forgetting transaction: the nodes of a cluster share the consumers, and
// another node may have applied the user's newest events. Each of these transactions also
// counts a forget in the row (`forgets`), which every node's next step checks before applying
// a batch it read earlier (such a batch may hold the events just deleted); a step committing
// in between conflicts with the locked row and retries. While a record exists, steps skip the
// user's events (so a retry forgets nothing past the record's offset: nothing of the user was
// applied since, unless drop_and_replay removed the record with the state).
Status ConsumerRunner::forget_locked(const UserId& user) {
  for (auto& s : slots_) {  // (1)
    if (!s->split) continue;
    const std::string& name = s->consumer->name();
    Position before;
    Status st = s->db->write([&](store::Connection& c) -> Status {
      s->consumer->on_rollback();  // a clean start for each attempt (see apply above)
      SEGUE_ASSIGN_OR_RETURN(before, read_position(c, name, true));
      // Read with the row locked: every event the consumer applied (offset <= committed) is in
      // the stream until (2), and no other node applies more of them meanwhile.
      SEGUE_ASSIGN_OR_RETURN(std::vector<Event> events, log_.user_events(user));
      SEGUE_ASSIGN_OR_RETURN(auto done, c.query_int("SELECT up_to FROM event_forget WHERE user_id = ? AND consumer = ?",
                                                    {user.str(), name}));
      SEGUE_TRY(c.exec("INSERT INTO event_forget (user_id, consumer, up_to) VALUES (?, ?, ?) "
                       "ON CONFLICT (user_id, consumer) DO UPDATE SET up_to = excluded.up_to",
                       {user.str(), name, before.committed}));
      SEGUE_TRY(count_forget(c, name));
      // A record from an earlier, unfinished attempt: what it forgot is gone already, and the
      // user's events after it were skipped, not applied.
      std::span<const Event> todo = done ? std::span<const Event>{} : applied_up_to(before.committed, events);
      return s->consumer->forget_user(c, user, todo);
    });
    if (!st.ok()) {
      s->consumer->on_rollback();
      return st;
    }
    s->consumer->on_commit();
    after_forget(*s, before.committed, before.forgets);
  }
  const bool any_split = std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->split; });
  if (options_.after_derived_forget && any_split) {
    SEGUE_ASSIGN_OR_RETURN(std::vector<Event> left, log_.user_events(user));
    if (!left.empty()) options_.after_derived_forget();
  }
  // (2) Consumers that live in the stream's own database (always a Log then) forget in the
  // transaction that deletes the events; otherwise the stream deletes them on its own.
  const bool any_shared = std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return !s->split; });
  std::vector<Position> before(slots_.size());
  Status st;
  if (any_shared) {
    st = log_.database()->write([&](store::Connection& c) -> Status {
      for (auto& s : slots_)
        if (!s->split) s->consumer->on_rollback();  // a clean start for each attempt
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i]->split) continue;
        SEGUE_ASSIGN_OR_RETURN(before[i], read_position(c, slots_[i]->consumer->name(), true));
      }
      SEGUE_ASSIGN_OR_RETURN(std::vector<Event> here, Log::user_events(c, user, INT64_MAX));
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& s = *slots_[i];
        if (s.split) continue;
        SEGUE_TRY(s.consumer->forget_user(c, user, applied_up_to(before[i].committed, here)));
        SEGUE_TRY(count_forget(c, s.consumer->name()));
      }
      SEGUE_TRY(Log::delete_user(c, user));
      return {};
    });
  } else {
    Result<int64_t> removed = log_.delete_user(user);
    if (!removed.ok()) st = removed.error();
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = *slots_[i];
    if (s.split) continue;
    if (!st.ok()) {
      s.consumer->on_rollback();
      continue;
    }
    s.consumer->on_commit();
    after_forget(s, before[i].committed, before[i].forgets);
  }
  if (!st.ok()) return st;
  for (auto& s : slots_) {  // (3)
    if (!s->split) continue;
    Position at;
    SEGUE_TRY(s->db->write([&](store::Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(at, read_position(c, s->consumer->name(), true));
      SEGUE_TRY(c.exec("DELETE FROM event_forget WHERE user_id = ? AND consumer = ?", {user.str(), s->consumer->name()}));
      // Steps apply the user's events again from here: one that read a batch before (2)
      // finds this count changed and reads again.
      return count_forget(c, s->consumer->name());
    }));
    after_forget(*s, at.committed, at.forgets);
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
