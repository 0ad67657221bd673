// A rolling-window rate limiter keyed by string (a client id, a user id, an address).
// It approximates a sliding window with two fixed windows: the count of the previous window
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

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Decision {
    bool allowed;
    std::chrono::seconds retry_after;  // > 0 when refused
  };

  // At most `limit` requests per `window` for each key. limit == 0 disables the limiter.
  RateLimiter(uint32_t limit, std::chrono::seconds window);

  // Counts one request for `key` at `now` if it is within the limit.
  Decision acquire(std::string_view key, Clock::time_point now = Clock::now());
  // What acquire() would decide, without counting a request: lets a caller refuse before
  // doing expensive work it would only count afterwards (a database lookup of a bad token).
  Decision peek(std::string_view key, Clock::time_point now = Clock::now());

  uint32_t limit() const { return limit_; }

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
