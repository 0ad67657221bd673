// Login backoff shared by every node of a cluster through Redis (issue 17): the same policy as
// LoginThrottle (free failures, then waits doubling up to a cap, forgotten after a quiet
// period), but the failures of a key and the time it may try again live in Redis, so attempts
// spread over the nodes count together and a key refused on one node is refused on all.
//
// Why not the counters of net::SharedRateLimiter (counted in memory, reported every 50 ms):
// backoff must hold from the very next attempt (the sixth wrong password is followed at once by
// a seventh, which the gateway may send to another node), so a failure is written before its
// answer is sent, and an attempt that this node does not already know to be refused asks Redis.
// Both are one EVALSHA (redis::Client) on a worker thread, never on a network thread: logins
// and token requests already take a worker (and Argon2 work) each, and an attempt refused
// is refused from memory when this node has seen its block.
//
// Redis state: a hash `segue:login:<name>:<key>` with the failures `f` and the wall time `u` (ms,
// Redis's clock: nodes' clocks do not matter) before which the key waits; PEXPIRE'd to
// forget_after after each failure (longer while a wait is longer), DEL on success.
//
// Redis away: every failure is also counted in this process (a LoginThrottle), and while Redis
// does not answer the decision is that local one, never laxer than a single node's; the first
// failure is logged, each counted (segue_login_backoff_redis_failures_total). Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/login_throttle.h"
#include "common/metrics.h"
#include "redis/redis.h"

namespace segue::auth {

struct SharedLoginThrottleOptions {
  std::string name;  // part of the Redis keys: backoffs with different names count apart
  LoginThrottle::Policy policy;
  redis::Address address;
  std::chrono::milliseconds timeout{250};  // each connect and command
  std::string key_prefix = "segue:login:";
};

class SharedLoginThrottle final : public LoginBackoff {
 public:
  explicit SharedLoginThrottle(SharedLoginThrottleOptions options, MetricsRegistry* metrics = nullptr);

  // Refused if this node knows the key waits (a block it read from Redis, or, while Redis is
  // away, its own count). Memory only.
  Decision check(std::string_view key) const override;
  // check(), then Redis's answer (one round trip). Blocks up to the timeout.
  Decision check_shared(std::string_view key) override;
  // Written to Redis before returning (and counted here too). Block up to the timeout.
  void failure(std::string_view key) override;
  void success(std::string_view key) override;
  bool shared() const override { return true; }

 private:
  // Runs the script for `key` ("check" or "fail"): the milliseconds the key must still wait,
  // or nullopt when Redis did not answer.
  std::optional<int64_t> run(std::string_view op, std::string_view key);
  void remember(std::string_view key, int64_t wait_ms);
  void lost(const Error& e);

  SharedLoginThrottleOptions options_;
  MetricsRegistry own_metrics_;
  Counter* failures_;
  LoginThrottle local_;  // this node's own count: the decision while Redis is away
  mutable std::mutex mu_;  // guards blocked_ and redis_ok_
  std::unordered_map<std::string, Clock::time_point> blocked_;  // waits read from Redis
  bool redis_ok_ = true;
  std::mutex client_mu_;  // one command at a time on the connection
  redis::Client client_;
};

}  // namespace segue::auth
