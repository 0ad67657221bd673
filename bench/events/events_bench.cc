// Event pipeline benchmark (docs/benchmarks.md, "Event pipeline"): durable ingest in events/s,
// batched (1,000 per append) and single (1 per append), through segue::events, next to the
// reference a straightforward server would write: a plain SQLite table (same columns, WAL,
// synchronous=FULL) with one prepared INSERT per row and one transaction per batch.
// With the consumers running, it also measures the end-to-end lag from the start of an append
// to the history consumer's commit of it (the moment recently_played shows it), p50/p99.
//
// Single appends are bound by one fsync per commit; with 16 concurrent producers Segue's group
// commit writes whatever arrived during the previous commit in one transaction.
//
// usage: segue_events_bench [--seconds S] [--rate EVENTS_PER_S] [--dir DIR] [--only NAME]
//          [--derived split|one] [--derived-sync normal|full] [--derived-cache-kib N] [--max-batch N]
// Prints one "RESULT name=... events_per_s=... p50_ms=... p99_ms=..." line per scenario.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "events/event_log.h"

using namespace segue;
using namespace segue::events;
using Clock = std::chrono::steady_clock;

namespace {

double g_seconds = 6;
double g_rate = 100000;
std::string g_dir;
std::string g_only;
// The consumers' derived state: each consumer in a database file of its own (the server's
// default) or, with --derived one, in the log's (as before); their sync mode and page cache.
bool g_split = true;
bool g_derived_full_sync = true;
int g_derived_cache_kib = 65536;
int g_max_batch = 0;  // 0: RunnerOptions' default

std::string id22(char prefix, uint64_t n) {
  std::string s = std::to_string(n);
  return prefix + std::string(21 - s.size(), '0') + s;
}

std::optional<TrackInfo> lookup(const TrackId& t) {
  uint64_t n = std::stoull(t.str().substr(1));
  return TrackInfo{AlbumId(id22('b', n / 10)), {ArtistId(id22('a', n / 40))}};
}

// A realistic mix: 45 % track_start, 45 % track_end (4 in 5 of them plays), 10 % search.
class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}
  Event next() {
    Event e;
    e.user = UserId(id22('u', user_(rng_)));
    e.timestamp_ms = wall_clock_ms();
    int kind = static_cast<int>(rng_() % 20);
    if (kind < 2) {
      e.type = EventType::kSearch;
      e.payload = Search{"query " + std::to_string(rng_() % 5000), static_cast<int64_t>(rng_() % 50)};
      return e;
    }
    Playback p;
    p.track = TrackId(id22('t', track_(rng_)));
    if (kind < 11) {
      e.type = EventType::kTrackStart;
    } else {
      e.type = EventType::kTrackEnd;
      p.position_ms = rng_() % 5 ? 120000 : 8000;
      p.skip = p.position_ms < 30000;
      p.reason = p.skip ? "fwdbtn" : "trackdone";
      p.duration_ms = 200000;
    }
    p.context_uri = "segue:album:" + id22('b', rng_() % 10000);
    e.payload = std::move(p);
    return e;
  }
  std::vector<Event> batch(int n) {
    std::vector<Event> out;
    out.reserve(n);
    for (int i = 0; i < n; ++i) out.push_back(next());
    return out;
  }

 private:
  std::mt19937_64 rng_;
  std::uniform_int_distribution<uint64_t> user_{0, 9999};
  std::uniform_int_distribution<uint64_t> track_{0, 99999};
};

struct Outcome {
  std::string name;
  double events_per_s = 0;
  int64_t events = 0;
  double p50_ms = -1, p99_ms = -1, max_ms = -1;
  int64_t final_lag = -1;
  double catch_up_s = -1;
};

void print(const Outcome& o) {
  std::printf("RESULT name=%s events=%lld events_per_s=%.0f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f final_lag=%lld catch_up_s=%.2f\n",
              o.name.c_str(), static_cast<long long>(o.events), o.events_per_s, o.p50_ms, o.p99_ms, o.max_ms,
              static_cast<long long>(o.final_lag), o.catch_up_s);
  std::fflush(stdout);
}

std::string fresh_db(const std::string& name) {
  std::string dir = g_dir + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir + "/segue.db";
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// A fresh database for scenario `name` and the pipeline over it, with the knobs of this run.
struct Pipeline {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<EventLog> log;
};
Pipeline open_pipeline(const std::string& name, bool start_threads) {
  auto db = store::Database::open_sqlite(fresh_db(name));
  if (!db.ok() || !(*db)->migrate("events", event_migrations()).ok()) std::abort();
  EventLogOptions opt;
  opt.lookup = lookup;
  opt.start_threads = start_threads;
  if (g_split) {
    store::Options so;
    so.readers = 2;
    so.cache_size_kib = g_derived_cache_kib;
    so.full_sync = g_derived_full_sync;
    opt.derived_databases = store::sqlite_files(g_dir + "/" + name + "/events-derived", so);
  }
  if (g_max_batch > 0) opt.runner.max_batch = g_max_batch;
  auto log = EventLog::open(**db, opt);
  if (!log.ok()) std::abort();
  return {std::move(*db), std::move(*log)};
}

// Segue: appends for g_seconds (batches of `batch`), paced to `rate` events/s if > 0. With
// consumers, a monitor thread records when the history consumer commits each append.
Outcome run_segue(const std::string& name, int batch, bool consumers, double rate, int producers = 1) {
  Pipeline p = open_pipeline(name, consumers);
  auto& log = p.log;
  Generator gen(42);
  // Pre-generate so the producer measures the pipeline, not the generator.
  std::vector<std::vector<Event>> batches;
  for (int i = 0; i < std::max(1, 200000 / batch); ++i) batches.push_back(gen.batch(batch));

  std::mutex mu;
  std::deque<std::pair<int64_t, Clock::time_point>> pending;  // (last offset, append start)
  std::vector<double> lags;
  std::atomic<bool> done{false};
  std::thread monitor;
  if (consumers) {
    monitor = std::thread([&] {
      while (!done.load()) {
        int64_t committed = log->consumers()[0].committed;  // "history"
        auto now = Clock::now();
        {
          std::lock_guard l(mu);
          while (!pending.empty() && pending.front().first <= committed) {
            lags.push_back(std::chrono::duration<double, std::milli>(now - pending.front().second).count());
            pending.pop_front();
          }
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    });
  }
  Outcome o;
  o.name = name;
  std::atomic<int64_t> appended{0};
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(g_seconds);
  auto produce = [&](int id) {
    std::size_t i = static_cast<std::size_t>(id) * 7919;
    for (;;) {
      auto now = Clock::now();
      if (now >= end) break;
      if (rate > 0) {
        auto due = start + std::chrono::duration<double>(static_cast<double>(appended.load()) / rate);
        if (due > now) std::this_thread::sleep_until(due);
      }
      auto t0 = Clock::now();
      auto r = log->append(batches[i++ % batches.size()]);
      if (!r.ok()) {
        std::fprintf(stderr, "append: %s\n", r.error().message.c_str());
        std::abort();
      }
      appended += batch;
      if (consumers) {
        std::lock_guard l(mu);
        // Offsets from concurrent producers can arrive out of order: keep the queue sorted.
        auto pos = std::upper_bound(pending.begin(), pending.end(), r->last,
                                    [](int64_t v, const auto& p) { return v < p.first; });
        pending.emplace(pos, r->last, t0);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int p = 1; p < producers; ++p) threads.emplace_back(produce, p);
  produce(0);
  for (auto& t : threads) t.join();
  o.events = appended.load();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  o.events_per_s = static_cast<double>(o.events) / secs;
  if (consumers) {
    auto lag_at_end = log->consumers();
    o.final_lag = 0;
    for (const auto& s : lag_at_end) {
      o.final_lag = std::max(o.final_lag, s.lag);
      std::fprintf(stderr, "  %s: lag at end %lld\n", s.name.c_str(), static_cast<long long>(s.lag));
    }
    auto t = Clock::now();
    // Let every consumer finish (bounded), so the run also shows how long catching up takes.
    for (;;) {
      bool caught = true;
      for (const auto& s : log->consumers()) caught &= s.lag == 0;
      if (caught || Clock::now() - t > std::chrono::seconds(120)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    o.catch_up_s = std::chrono::duration<double>(Clock::now() - t).count();
    done = true;
    monitor.join();
    o.p50_ms = percentile(lags, 0.50);
    o.p99_ms = percentile(lags, 0.99);
    o.max_ms = percentile(lags, 1.0);
  }
  return o;
}

// Each consumer alone: `n` events appended first (no consumer threads), then each consumer
// catches up on the calling thread; its events/s is its throughput ceiling on this machine.
void run_consumers_alone(int64_t n) {
  const std::string name = "segue_consumer";
  Pipeline p = open_pipeline(name, false);
  auto& log = p.log;
  Generator gen(42);
  for (int64_t i = 0; i < n; i += 1000)
    if (!log->append(gen.batch(1000)).ok()) std::abort();
  for (const char* c : {"history", "popularity", "top_items"}) {
    auto t = Clock::now();
    if (!log->catch_up(c).ok()) std::abort();
    Outcome o;
    o.name = name + "_" + c;
    o.events = log->head();
    o.events_per_s = static_cast<double>(o.events) / std::chrono::duration<double>(Clock::now() - t).count();
    print(o);
  }
}

// The reference: raw sqlite3, the same columns (optionally an index by user), one prepared INSERT per row, one
// transaction per batch, WAL + synchronous=FULL.
Outcome run_sqlite(const std::string& name, int batch, bool user_index = false) {
  std::string path = fresh_db(name);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) std::abort();
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::fprintf(stderr, "%s: %s\n", sql, err);
      std::abort();
    }
  };
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec("CREATE TABLE events (seq INTEGER PRIMARY KEY, user_id TEXT NOT NULL, type TEXT NOT NULL, v INTEGER NOT NULL, "
       "client_ts INTEGER NOT NULL, received_at INTEGER NOT NULL, private INTEGER NOT NULL, track_id TEXT, "
       "position_ms INTEGER, skip INTEGER, reason TEXT, duration_ms INTEGER, context_uri TEXT, body TEXT);");
  if (user_index) exec("CREATE INDEX events_user ON events (user_id, seq);");
  sqlite3_stmt* ins = nullptr;
  const char* sql =
      "INSERT INTO events (user_id, type, v, client_ts, received_at, private, track_id, position_ms, skip, reason, "
      "duration_ms, context_uri, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  if (sqlite3_prepare_v2(db, sql, -1, &ins, nullptr) != SQLITE_OK) std::abort();
  Generator gen(42);
  std::vector<std::vector<Event>> batches;
  for (int i = 0; i < std::max(1, 200000 / batch); ++i) batches.push_back(gen.batch(batch));
  Outcome o;
  o.name = name;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(g_seconds);
  std::size_t bi = 0;
  while (Clock::now() < end) {
    const auto& b = batches[bi++ % batches.size()];
    const int64_t received = wall_clock_ms();
    exec("BEGIN IMMEDIATE");
    for (const Event& e : b) {
      sqlite3_bind_text(ins, 1, e.user.str().c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 2, event_type_name(e.type), -1, SQLITE_STATIC);
      sqlite3_bind_int64(ins, 3, e.version);
      sqlite3_bind_int64(ins, 4, e.timestamp_ms);
      sqlite3_bind_int64(ins, 5, received);
      sqlite3_bind_int64(ins, 6, e.private_session);
      if (const Playback* p = e.playback()) {
        sqlite3_bind_text(ins, 7, p->track.str().c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 8, p->position_ms);
        sqlite3_bind_int64(ins, 9, p->skip);
        sqlite3_bind_text(ins, 10, p->reason.c_str(), -1, SQLITE_TRANSIENT);
        if (p->duration_ms) sqlite3_bind_int64(ins, 11, *p->duration_ms);
        else sqlite3_bind_null(ins, 11);
        sqlite3_bind_text(ins, 12, p->context_uri.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_null(ins, 13);
      } else {
        for (int c = 7; c <= 12; ++c) sqlite3_bind_null(ins, c);
        std::string body = encode_body(e);
        sqlite3_bind_text(ins, 13, body.c_str(), -1, SQLITE_TRANSIENT);
      }
      if (sqlite3_step(ins) != SQLITE_DONE) std::abort();
      sqlite3_reset(ins);
    }
    exec("COMMIT");
    o.events += batch;
  }
  o.events_per_s = static_cast<double>(o.events) / std::chrono::duration<double>(Clock::now() - start).count();
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return o;
}

bool want(const std::string& name) { return g_only.empty() || name.find(g_only) != std::string::npos; }

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") g_seconds = std::stod(argv[i + 1]);
    else if (a == "--rate") g_rate = std::stod(argv[i + 1]);
    else if (a == "--dir") g_dir = argv[i + 1];
    else if (a == "--only") g_only = argv[i + 1];
    else if (a == "--derived") g_split = std::string(argv[i + 1]) != "one";  // split | one
    else if (a == "--derived-sync") g_derived_full_sync = std::string(argv[i + 1]) == "full";  // normal | full
    else if (a == "--derived-cache-kib") g_derived_cache_kib = std::stoi(argv[i + 1]);
    else if (a == "--max-batch") g_max_batch = std::stoi(argv[i + 1]);
  }
  bool tmp = g_dir.empty();
  if (tmp) g_dir = (std::filesystem::temp_directory_path() / ("segue-events-bench-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(g_dir);
  std::fprintf(stderr, "events bench: %.0f s per scenario in %s; derived state: %s, synchronous=%s, cache %d KiB\n",
               g_seconds, g_dir.c_str(), g_split ? "a file per consumer" : "the log's database",
               g_derived_full_sync ? "FULL" : "NORMAL", g_derived_cache_kib);
  if (want("sqlite_batched")) print(run_sqlite("sqlite_batched", 1000));
  // The same with an index by user, as Segue's table before this pipeline had.
  if (want("sqlite_batched_user_index")) print(run_sqlite("sqlite_batched_user_index", 1000, true));
  if (want("segue_log_batched")) print(run_segue("segue_log_batched", 1000, false, 0));
  if (want("segue_pipeline_batched")) print(run_segue("segue_pipeline_batched", 1000, true, 0));
  // Several clients sending 1,000 at a time: their appends share commits (group commit).
  if (want("segue_log_batched_x4")) print(run_segue("segue_log_batched_x4", 1000, false, 0, 4));
  if (want("segue_pipeline_batched_x4")) print(run_segue("segue_pipeline_batched_x4", 1000, true, 0, 4));
  if (want("segue_pipeline_paced")) print(run_segue("segue_pipeline_paced", 1000, true, g_rate, 4));
  if (want("segue_consumer")) run_consumers_alone(static_cast<int64_t>(g_seconds * 100000));
  if (want("sqlite_single")) print(run_sqlite("sqlite_single", 1));
  if (want("segue_log_single")) print(run_segue("segue_log_single", 1, false, 0));
  if (want("segue_pipeline_single")) print(run_segue("segue_pipeline_single", 1, true, 0));
  // Many clients each sending one event: concurrent appends share a commit (group commit).
  if (want("segue_log_single_x16")) print(run_segue("segue_log_single_x16", 1, false, 0, 16));
  if (want("segue_pipeline_single_x16")) print(run_segue("segue_pipeline_single_x16", 1, true, 0, 16));
  if (tmp) std::filesystem::remove_all(g_dir);
  return 0;
}
