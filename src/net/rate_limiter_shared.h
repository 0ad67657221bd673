// A rate limit counted across every node that shares one Redis (issue 17): N nodes together
// allow `limit` requests per window for a key, not N x limit. Same rolling-window approximation
// as RateLimiter (two fixed windows, the previous one weighted by its remaining overlap), with
// the windows numbered from the wall clock so that every node agrees on them.
//
// The network thread never waits for Redis. acquire() decides in memory against
//   (the cluster-wide counts of the key's two windows as of the last sync)
//   + (this node's requests not yet reported),
// and counts the request locally. A background thread, every `sync_interval` (50 ms), reports
// the keys counted since the last sync to Redis in one EVALSHA (a Lua script: INCRBY of the
// current window's key by this node's delta, EXPIRE 2 x window, GET of the previous window's
// key) and reads back the cluster-wide totals for those keys.
//
// Overshoot bound: a node decides on the cluster's count as of its last report for the key plus
// its own requests since, so the cluster admits beyond the limit at most what the other nodes
// admitted for that key since that report. With requests for the key reaching every node, a
// node reports within one sync interval plus a round trip (d = 50 ms + RTT), and within a
// window the cluster admits at most
//   limit + (N - 1) x (the requests for that key one node admits during d);
// a client spreading 6000 requests a minute over 3 nodes overshoots by about 2 x 5 = 10. A node
// that had no request for the key learns the count with its first report, d after its first
// request; so if a burst for one key starts on every node at once the cluster can admit up to
// N x limit, never more (each node alone never admits more than limit).
//
// Redis away: the node keeps deciding on what it knew plus its own count, so it falls back to a
// local limit (never laxer than a single node's); the first failure is logged, each counted
// (segue_rate_limit_redis_failures_total), unreported counts of the current window are kept and
// reported when Redis is back. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"
#include "net/rate_limiter.h"
#include "redis/redis.h"

namespace segue::net {

struct SharedRateLimitOptions {
  std::string name;  // part of the Redis keys: limiters with different names count apart
  uint32_t limit = 0;  // 0 disables the limit
  std::chrono::seconds window{60};
  redis::Address address;
  std::chrono::milliseconds sync_interval{50};
  std::chrono::milliseconds timeout{250};  // each connect and command
  std::string key_prefix = "segue:rl:";
  bool start_thread = true;  // false: counts move only in sync_now() (tests)
};

class SharedRateLimiter final : public RateLimit {
 public:
  explicit SharedRateLimiter(SharedRateLimitOptions options, MetricsRegistry* metrics = nullptr);
  ~SharedRateLimiter() override;  // stops the sync thread (unreported counts are dropped)

  Decision acquire(std::string_view key) override { return decide(key, true); }
  Decision peek(std::string_view key) override { return decide(key, false); }
  uint32_t limit() const override { return options_.limit; }

  // One sync on the calling thread (the sync thread's work): reports this node's counts and
  // reads back the cluster's. Error::unavailable when Redis is away. Blocks up to the timeout.
  Status sync_now();

 private:
  struct Entry {
    int64_t index = 0;       // the current window's number (wall clock / window)
    double remote_cur = 0;   // cluster-wide count of window `index`, as of the last sync
    double remote_prev = 0;  // cluster-wide count of window `index - 1`
    uint32_t in_flight = 0;  // this node's requests of window `index` being reported
    uint32_t pending = 0;    // this node's requests of window `index` not reported yet
  };
  struct Report {
    std::string key;
    int64_t index;
    uint32_t delta;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
    std::unordered_set<std::string> dirty;  // keys with pending counts
    std::vector<Report> rolled;             // counts of a window that ended before its report
  };
  Shard& shard_for(std::string_view key);
  void roll(Shard& s, const std::string& key, Entry& e, int64_t index);
  Decision decide(std::string_view key, bool count);
  std::string redis_key(const std::string& key, int64_t index) const;
  void run();

  SharedRateLimitOptions options_;
  MetricsRegistry own_metrics_;
  Counter* failures_;
  Counter* reports_;
  std::vector<Shard> shards_;
  std::mutex sync_mu_;  // one sync at a time; guards client_ and lost_
  redis::Client client_;
  bool lost_ = false;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace segue::net
