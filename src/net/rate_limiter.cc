#include "net/rate_limiter.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstring>
#include <functional>

namespace segue::net {

std::string address_key(std::string_view ip) {
  std::string s(ip);
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) != 1) return s;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a6.s6_addr, kMapped, 12) == 0) {
    char buf[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, a6.s6_addr + 12, buf, sizeof buf) ? std::string(buf) : s;
  }
  std::memset(a6.s6_addr + 8, 0, 8);
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a6, buf, sizeof buf) ? std::string(buf) + "/64" : s;
}

RateLimiter::RateLimiter(uint32_t limit, std::chrono::seconds window)
    : limit_(limit), window_(window.count() > 0 ? window : std::chrono::seconds(1)), shards_(16) {}

RateLimiter::Shard& RateLimiter::shard_for(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

RateLimiter::Decision RateLimiter::acquire(std::string_view key, Clock::time_point now) {
  return decide(key, now, /*count=*/true);
}

RateLimiter::Decision RateLimiter::peek(std::string_view key, Clock::time_point now) {
  return decide(key, now, /*count=*/false);
}

RateLimiter::Decision RateLimiter::decide(std::string_view key, Clock::time_point now, bool count) {
  if (limit_ == 0) return {true, std::chrono::seconds(0)};
  const int64_t win_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(window_).count();
  const int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const int64_t index = t / win_ns;
  const double into = static_cast<double>(t % win_ns) / static_cast<double>(win_ns);

  Shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  if (s.entries.size() > 100000) {
    // Forget keys idle for two windows: they carry no weight any more.
    std::erase_if(s.entries, [&](const auto& kv) { return kv.second.window_index < index - 1; });
  }
  if (!count && !s.entries.count(std::string(key))) return {true, std::chrono::seconds(0)};
  Entry copy;
  Entry& e = count ? s.entries[std::string(key)] : (copy = s.entries.at(std::string(key)));
  if (e.window_index != index) {
    e.previous = (e.window_index == index - 1) ? e.current : 0;
    e.current = 0;
    e.window_index = index;
  }
  auto d = rolling_window_decision(e.previous, e.current, into, limit_, window_);
  if (d.allowed && count) ++e.current;
  return d;
}

RateLimit::Decision rolling_window_decision(double previous, double current, double into, uint32_t limit,
                                            std::chrono::seconds window) {
  double weighted = previous * (1.0 - into) + current;
  if (weighted + 1 <= limit) return {true, std::chrono::seconds(0)};
  // When will the weighted count drop enough? The previous window's weight decays linearly;
  // if the current window alone is full, the caller must wait for the next window.
  double wait_s;
  const double window_s = static_cast<double>(window.count());
  if (current + 1 > limit) {
    wait_s = (1.0 - into) * window_s;
  } else if (previous > 0) {
    double need = weighted + 1 - limit;  // how much previous weight must fade
    wait_s = need / previous * window_s;
  } else {
    wait_s = 1;
  }
  auto secs = static_cast<int64_t>(std::ceil(wait_s));
  return {false, std::chrono::seconds(std::max<int64_t>(1, secs))};
}

}  // namespace segue::net
