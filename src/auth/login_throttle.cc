#include "auth/login_throttle.h"

#include <algorithm>

namespace segue::auth {

LoginThrottle::LoginThrottle(Policy policy) : policy_(policy) {}

LoginThrottle::Decision LoginThrottle::check(std::string_view key, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || now >= it->second.blocked_until) return {};
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.blocked_until - now);
  auto secs = std::max<int64_t>(1, (left.count() + 999) / 1000);
  return {false, std::chrono::seconds(secs)};
}

void LoginThrottle::failure(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= policy_.max_keys) sweep(now);
  Entry& e = entries_[std::string(key)];
  if (e.failures > 0 && now - e.last_failure >= policy_.forget_after) e = Entry{};
  ++e.failures;
  e.last_failure = now;
  if (e.failures <= policy_.free_failures) return;
  // 2^(n-1) x base, without overflowing: the shift is capped well before the cap is reached.
  const uint32_t n = std::min<uint32_t>(e.failures - policy_.free_failures - 1, 30);
  auto delay = policy_.base_delay * (int64_t{1} << n);
  delay = std::min(delay, policy_.max_delay);
  e.blocked_until = std::max(e.blocked_until, now + delay);
}

void LoginThrottle::success(std::string_view key) {
  std::lock_guard lock(mu_);
  entries_.erase(std::string(key));
}

std::size_t LoginThrottle::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void LoginThrottle::sweep(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& kv) {
    return now - kv.second.last_failure >= policy_.forget_after && now >= kv.second.blocked_until;
  });
  // Still full (a flood of distinct keys): forget the half that failed longest ago.
  if (entries_.size() >= policy_.max_keys) {
    std::vector<Clock::time_point> times;
    times.reserve(entries_.size());
    for (const auto& kv : entries_) times.push_back(kv.second.last_failure);
    auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
    std::nth_element(times.begin(), mid, times.end());
    const auto cut = *mid;
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.last_failure < cut; });
  }
}

}  // namespace segue::auth
