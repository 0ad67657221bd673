// Rate limits keyed by string (a client id, a user id, an address). `RateLimit` is what handlers
// hold; `RateLimiter` (here) counts in this process, `SharedRateLimiter` (shared_rate_limiter.h)
// counts across the nodes sharing Redis.
// RateLimiter: a rolling-window rate limiter. It approximates a sliding window with two fixed windows: the count of the previous window
// weighted by how much of it still overlaps the rolling window, plus the current count.
// Thread-safe (sharded locks); O(1) per call; memory bounded by sweeping idle keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace segue::net {

// The key an address is limited by: an IPv4 address as it is, an IPv6 address by its /64 (one
// host usually holds a whole /64, so limits per full IPv6 address would be free to step
// around), an IPv4-mapped IPv6 address as the IPv4 address. Anything else is returned as is.
std::string address_key(std::string_view ip);

// A rate limit as a handler sees it. acquire() and peek() never block on I/O (network threads
// call them). Thread-safe.
class RateLimit {
 public:
  using Clock = std::chrono::steady_clock;
  struct Decision {
    bool allowed;
    std::chrono::seconds retry_after;  // > 0 when refused
  };
  virtual ~RateLimit() = default;
  // Counts one request for `key` if it is within the limit.
  virtual Decision acquire(std::string_view key) = 0;
  // What acquire() would decide, without counting a request.
  virtual Decision peek(std::string_view key) = 0;
  virtual uint32_t limit() const = 0;
};

// The two-window decision: `previous` weighted by the share of the rolling window it still
// overlaps (1 - `into`, `into` in [0, 1) the elapsed share of the current window) plus `current`;
// one more request is allowed while that stays within `limit`. Otherwise retry_after says when
// the weighted count will have dropped enough.
RateLimit::Decision rolling_window_decision(double previous, double current, double into, uint32_t limit,
                                            std::chrono::seconds window);

class RateLimiter final : public RateLimit {
 public:

  // At most `limit` requests per `window` for each key. limit == 0 disables the limiter.
  RateLimiter(uint32_t limit, std::chrono::seconds window);

  // Counts one request for `key` at `now` if it is within the limit.
  Decision acquire(std::string_view key, Clock::time_point now);
  Decision acquire(std::string_view key) override { return acquire(key, Clock::now()); }
  // What acquire() would decide, without counting a request: lets a caller refuse before
  // doing expensive work it would only count afterwards (a database lookup of a bad token).
  Decision peek(std::string_view key, Clock::time_point now);
  Decision peek(std::string_view key) override { return peek(key, Clock::now()); }

  uint32_t limit() const override { return limit_; }

 private:
  struct Entry {
    int64_t window_index = 0;
    uint32_t current = 0;
    uint32_t previous = 0;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
  };
  Shard& shard_for(std::string_view key);
  Decision decide(std::string_view key, Clock::time_point now, bool count);

  uint32_t limit_;
  std::chrono::seconds window_;
  std::vector<Shard> shards_;
};

}  // namespace segue::net
