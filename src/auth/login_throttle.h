// Backoff for password guessing: failures are counted per key (an account name, a client id,
// a network address) and, past a number of free failures, each further failure makes the key
// wait twice as long as the one before (base_delay, 2 x base_delay, ... up to max_delay) before
// it may try again. A success clears the key; a key left alone for `forget_after` starts over.
//
// The check is memory only, so it runs on a network thread before any password hashing is
// queued: a refused attempt costs no Argon2 work. Thread-safe; memory is bounded (`max_keys`:
// idle keys are swept, then the oldest are dropped).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace segue::auth {

// Login backoff as the handlers see it: `LoginThrottle` (below) counts in this process,
// `SharedLoginThrottle` (login_throttle_shared.h) across the nodes sharing Redis.
class LoginBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  struct Decision {
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // >= 1 s when refused
  };
  virtual ~LoginBackoff() = default;
  // May `key` try now, as far as this process knows? Memory only: a network thread asks it
  // before any work. Counts nothing.
  virtual Decision check(std::string_view key) const = 0;
  // The answer for the whole cluster when shared(): may wait for Redis (a worker thread asks
  // it, after check() allowed). Otherwise check().
  virtual Decision check_shared(std::string_view key) { return check(key); }
  // A failed attempt of `key`; a successful one (`key` starts over). May wait for Redis when
  // shared(): call them on a worker thread then.
  virtual void failure(std::string_view key) = 0;
  virtual void success(std::string_view key) = 0;
  virtual bool shared() const { return false; }
};

class LoginThrottle final : public LoginBackoff {
 public:
  struct Policy {
    uint32_t free_failures = 5;                  // failures before any wait
    std::chrono::milliseconds base_delay{1000};  // wait after the first failure past the free ones
    std::chrono::milliseconds max_delay{60'000};
    std::chrono::seconds forget_after{900};      // a key without failures this long starts over
    std::size_t max_keys = 100'000;
  };
  explicit LoginThrottle(Policy policy);
  LoginThrottle() : LoginThrottle(Policy{}) {}

  // May `key` try now? Does not count anything.
  Decision check(std::string_view key, Clock::time_point now) const;
  Decision check(std::string_view key) const override { return check(key, Clock::now()); }
  // Counts a failed attempt of `key`.
  void failure(std::string_view key, Clock::time_point now);
  void failure(std::string_view key) override { failure(key, Clock::now()); }
  // A successful attempt: `key` starts over.
  void success(std::string_view key) override;

  std::size_t size() const;
  const Policy& policy() const { return policy_; }

 private:
  struct Entry {
    uint32_t failures = 0;
    Clock::time_point last_failure{};
    Clock::time_point blocked_until{};
  };
  void sweep(Clock::time_point now);

  const Policy policy_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace segue::auth
