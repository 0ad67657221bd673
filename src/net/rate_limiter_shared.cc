#include "net/rate_limiter_shared.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <functional>

#include "common/log.h"

namespace segue::net {
namespace {

// KEYS: pairs (the current window's key, the previous window's key); ARGV: this node's delta
// for each pair, then the TTL in seconds. Returns, per pair, the cluster-wide counts of both
// windows. Atomic (a script), so concurrent reports from several nodes add up exactly.
const redis::Script kReport{R"(
local ttl = ARGV[#ARGV]
local out = {}
for i = 1, #KEYS / 2 do
  local d = tonumber(ARGV[i])
  local n
  if d > 0 then
    n = redis.call('INCRBY', KEYS[2 * i - 1], d)
    redis.call('EXPIRE', KEYS[2 * i - 1], ttl)
  else
    n = tonumber(redis.call('GET', KEYS[2 * i - 1]) or 0)
  end
  out[2 * i - 1] = n
  out[2 * i] = tonumber(redis.call('GET', KEYS[2 * i]) or 0)
end
return out
)"};

constexpr std::size_t kMaxKeysPerScript = 500;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

SharedRateLimiter::SharedRateLimiter(SharedRateLimitOptions options, MetricsRegistry* metrics)
    : options_(std::move(options)),
      failures_(&(metrics ? *metrics : own_metrics_)
                     .counter("segue_rate_limit_redis_failures_total",
                              "Reports of rate-limit counts to Redis that failed (limits were then this node's own)",
                              {{"limit", options_.name}})),
      reports_(&(metrics ? *metrics : own_metrics_)
                    .counter("segue_rate_limit_redis_reports_total",
                             "Reports of rate-limit counts to Redis (one script call for many keys)", {{"limit", options_.name}})),
      shards_(16),
      client_(options_.address, options_.timeout, std::chrono::seconds(1)) {
  if (options_.window.count() <= 0) options_.window = std::chrono::seconds(1);
  if (options_.start_thread && options_.limit > 0) thread_ = std::thread([this] { run(); });
}

SharedRateLimiter::~SharedRateLimiter() {
  {
    std::lock_guard l(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SharedRateLimiter::Shard& SharedRateLimiter::shard_for(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

std::string SharedRateLimiter::redis_key(const std::string& key, int64_t index) const {
  return options_.key_prefix + options_.name + ":" + std::to_string(options_.window.count()) + ":" +
         std::to_string(index) + ":" + key;
}

// Moves `e` to window `index`: what it counted in the window that ended becomes the previous
// window's count, and its unreported part is queued for the next report.
void SharedRateLimiter::roll(Shard& s, const std::string& key, Entry& e, int64_t index) {
  if (e.index == index) return;
  if (e.pending > 0) s.rolled.push_back({key, e.index, e.pending});
  e.remote_prev = e.index == index - 1 ? e.remote_cur + e.in_flight + e.pending : 0;
  e.remote_cur = 0;
  e.in_flight = 0;
  e.pending = 0;
  e.index = index;
}

RateLimit::Decision SharedRateLimiter::decide(std::string_view key, bool count) {
  if (options_.limit == 0) return {true, std::chrono::seconds(0)};
  const int64_t win_ms = options_.window.count() * 1000;
  const int64_t t = wall_ms();
  const int64_t index = t / win_ms;
  const double into = static_cast<double>(t % win_ms) / static_cast<double>(win_ms);
  Shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  std::string k(key);
  auto it = s.entries.find(k);
  if (it == s.entries.end()) {
    if (!count) return {true, std::chrono::seconds(0)};
    it = s.entries.emplace(k, Entry{index}).first;
  }
  Entry& e = it->second;
  roll(s, k, e, index);
  auto d = rolling_window_decision(e.remote_prev, e.remote_cur + e.in_flight + e.pending, into, options_.limit,
                                   options_.window);
  if (d.allowed && count) {
    ++e.pending;
    s.dirty.insert(std::move(k));
  }
  return d;
}

Status SharedRateLimiter::sync_now() {
  std::lock_guard sync(sync_mu_);
  const int64_t index = wall_ms() / (options_.window.count() * 1000);
  // Take every pending count (they become in flight), and forget keys idle for two windows.
  std::vector<Report> reports;
  for (Shard& s : shards_) {
    std::lock_guard l(s.mu);
    for (auto& r : s.rolled) reports.push_back(std::move(r));
    s.rolled.clear();
    for (const std::string& k : s.dirty) {
      auto it = s.entries.find(k);
      if (it == s.entries.end() || it->second.pending == 0) continue;
      Entry& e = it->second;
      roll(s, k, e, std::max(e.index, index));
      if (e.pending == 0) continue;  // rolled: queued in s.rolled, taken next time
      reports.push_back({k, e.index, e.pending});
      e.in_flight += e.pending;
      e.pending = 0;
    }
    s.dirty.clear();
    std::erase_if(s.entries, [&](const auto& kv) {
      return kv.second.index < index - 1 && kv.second.pending == 0 && kv.second.in_flight == 0;
    });
  }
  if (reports.empty()) return {};
  const std::string ttl = std::to_string(2 * options_.window.count());
  Status result;
  for (std::size_t from = 0; from < reports.size(); from += kMaxKeysPerScript) {
    const std::size_t to = std::min(reports.size(), from + kMaxKeysPerScript);
    std::vector<std::string> keys, args;
    for (std::size_t i = from; i < to; ++i) {
      keys.push_back(redis_key(reports[i].key, reports[i].index));
      keys.push_back(redis_key(reports[i].key, reports[i].index - 1));
      args.push_back(std::to_string(reports[i].delta));
    }
    args.push_back(ttl);
    auto reply = client_.eval(kReport, keys, args);
    const bool ok = reply.ok() && (*reply)->type == REDIS_REPLY_ARRAY && (*reply)->elements == 2 * (to - from);
    for (std::size_t i = from; i < to; ++i) {
      const Report& r = reports[i];
      Shard& s = shard_for(r.key);
      std::lock_guard l(s.mu);
      auto it = s.entries.find(r.key);
      if (it == s.entries.end()) continue;
      Entry& e = it->second;
      if (ok) {
        const redisReply* const* el = (*reply)->element + 2 * (i - from);
        const double cur = static_cast<double>(el[0]->integer), prev = static_cast<double>(el[1]->integer);
        if (e.index == r.index) {
          e.in_flight -= std::min(e.in_flight, r.delta);
          e.remote_cur = cur;  // includes this report
          e.remote_prev = prev;
        } else if (e.index == r.index + 1) {
          e.remote_prev = std::max(e.remote_prev, cur);
        }
      } else if (e.index == r.index) {
        // Not reported: counted locally still, reported when Redis is back.
        e.in_flight -= std::min(e.in_flight, r.delta);
        e.pending += r.delta;
        s.dirty.insert(r.key);
      }
    }
    if (ok) {
      reports_->inc();
      continue;
    }
    failures_->inc();
    result = reply.ok() ? Status(Error::internal("redis: unexpected reply to the rate-limit script")) : Status(reply.error());
  }
  if (!result.ok()) {
    if (!std::exchange(lost_, true))
      log::warn("rate limits: cannot reach Redis, each node limits on its own until it is back",
                {{"limit", options_.name}, {"redis", options_.address.describe()}, {"error", result.error().message}});
  } else if (std::exchange(lost_, false)) {
    log::info("rate limits: shared through Redis again", {{"limit", options_.name}, {"redis", options_.address.describe()}});
  }
  return result;
}

void SharedRateLimiter::run() {
  for (;;) {
    {
      std::unique_lock l(stop_mu_);
      if (stop_cv_.wait_for(l, options_.sync_interval, [&] { return stopping_; })) return;
    }
    (void)sync_now();
  }
}

}  // namespace segue::net
