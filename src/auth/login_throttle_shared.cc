#include "auth/login_throttle_shared.h"

#include <hiredis/hiredis.h>

#include <algorithm>

#include "common/log.h"

namespace segue::auth {
namespace {

// KEYS[1]: the key's hash. ARGV: op ("check" or "fail"), free failures, base delay ms, max delay
// ms, forget after ms. Returns the milliseconds the key must still wait (0: it may try). Time
// is Redis's (TIME), so every node agrees whatever its clock.
const redis::Script kBackoff{R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local u = tonumber(redis.call('HGET', KEYS[1], 'u') or 0)
if ARGV[1] == 'fail' then
  local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
  local free = tonumber(ARGV[2])
  if f > free then
    local n = math.min(f - free - 1, 30)
    local d = math.min(tonumber(ARGV[3]) * (2 ^ n), tonumber(ARGV[4]))
    if now + d > u then
      u = now + d
      redis.call('HSET', KEYS[1], 'u', string.format('%d', u))
    end
  end
  redis.call('PEXPIRE', KEYS[1], string.format('%d', math.max(tonumber(ARGV[5]), u - now)))
end
if u > now then return u - now end
return 0
)"};

LoginBackoff::Decision refused_for(std::chrono::milliseconds left) {
  return {false, std::chrono::seconds(std::max<int64_t>(1, (left.count() + 999) / 1000))};
}

}  // namespace

SharedLoginThrottle::SharedLoginThrottle(SharedLoginThrottleOptions options, MetricsRegistry* metrics)
    : options_(std::move(options)),
      failures_(&(metrics ? *metrics : own_metrics_)
                     .counter("segue_login_backoff_redis_failures_total",
                              "Login-backoff reads and writes Redis did not answer (decided by this node's own count)",
                              {{"backoff", options_.name}})),
      local_(options_.policy),
      client_(options_.address, options_.timeout, std::chrono::seconds(1)) {}

LoginBackoff::Decision SharedLoginThrottle::check(std::string_view key) const {
  const auto now = Clock::now();
  {
    std::lock_guard l(mu_);
    auto it = blocked_.find(std::string(key));
    if (it != blocked_.end() && now < it->second)
      return refused_for(std::chrono::duration_cast<std::chrono::milliseconds>(it->second - now));
    if (redis_ok_) return {};
  }
  return local_.check(key, now);
}

LoginBackoff::Decision SharedLoginThrottle::check_shared(std::string_view key) {
  if (auto d = check(key); !d.allowed) return d;
  auto wait = run("check", key);
  if (!wait) return local_.check(key);
  if (*wait <= 0) return {};
  remember(key, *wait);
  return refused_for(std::chrono::milliseconds(*wait));
}

void SharedLoginThrottle::failure(std::string_view key) {
  local_.failure(key);
  if (auto wait = run("fail", key); wait && *wait > 0) remember(key, *wait);
}

void SharedLoginThrottle::success(std::string_view key) {
  local_.success(key);
  {
    std::lock_guard l(mu_);
    blocked_.erase(std::string(key));
  }
  std::lock_guard c(client_mu_);
  auto r = client_.command({"DEL", options_.key_prefix + options_.name + ":" + std::string(key)});
  if (!r.ok()) lost(r.error());
}

std::optional<int64_t> SharedLoginThrottle::run(std::string_view op, std::string_view key) {
  const LoginThrottle::Policy& p = options_.policy;
  Result<redis::Reply> r = Error::internal("unreachable");
  {
    std::lock_guard c(client_mu_);
    r = client_.eval(kBackoff, {options_.key_prefix + options_.name + ":" + std::string(key)},
                     {std::string(op), std::to_string(p.free_failures), std::to_string(p.base_delay.count()),
                      std::to_string(p.max_delay.count()),
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(p.forget_after).count())});
  }
  if (!r.ok() || (*r)->type != REDIS_REPLY_INTEGER) {
    lost(r.ok() ? Error::internal("redis: unexpected reply to the login-backoff script") : r.error());
    return std::nullopt;
  }
  std::lock_guard l(mu_);
  if (!std::exchange(redis_ok_, true))
    log::info("login backoff: shared through Redis again", {{"backoff", options_.name}, {"redis", options_.address.describe()}});
  return static_cast<int64_t>((*r)->integer);
}

void SharedLoginThrottle::remember(std::string_view key, int64_t wait_ms) {
  const auto now = Clock::now();
  std::lock_guard l(mu_);
  if (blocked_.size() >= options_.policy.max_keys) {
    std::erase_if(blocked_, [&](const auto& kv) { return kv.second <= now; });
    if (blocked_.size() >= options_.policy.max_keys) blocked_.clear();  // a cache of Redis: safe to drop
  }
  auto& until = blocked_[std::string(key)];
  until = std::max(until, now + std::chrono::milliseconds(wait_ms));
}

void SharedLoginThrottle::lost(const Error& e) {
  failures_->inc();
  std::lock_guard l(mu_);
  if (std::exchange(redis_ok_, false))
    log::warn("login backoff: cannot reach Redis, each node counts failures on its own until it is back",
              {{"backoff", options_.name}, {"redis", options_.address.describe()}, {"error", e.message}});
}

}  // namespace segue::auth
