#include "auth/login_throttle.h"

#include <gtest/gtest.h>

namespace segue::auth {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;

LoginThrottle::Policy policy() {
  LoginThrottle::Policy p;
  p.free_failures = 3;
  p.base_delay = 1000ms;
  p.max_delay = 8000ms;
  p.forget_after = 600s;
  return p;
}

TEST(LoginThrottle, FreeFailuresThenDoublingWaitsUpToTheCap) {
  LoginThrottle t(policy());
  const Clock::time_point t0{};
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(t.check("alice", t0).allowed);
    t.failure("alice", t0);
  }
  EXPECT_TRUE(t.check("alice", t0).allowed);  // three free failures
  t.failure("alice", t0);                      // fourth: wait 1 s
  auto d = t.check("alice", t0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 1s);
  EXPECT_TRUE(t.check("alice", t0 + 1s).allowed);
  t.failure("alice", t0 + 1s);  // fifth: 2 s
  EXPECT_EQ(t.check("alice", t0 + 1s).retry_after, 2s);
  auto at = t0 + 3s;
  for (int i = 0; i < 10; ++i) t.failure("alice", at);
  EXPECT_EQ(t.check("alice", at).retry_after, 8s);  // capped
  EXPECT_TRUE(t.check("bob", at).allowed);         // keys are independent
}

TEST(LoginThrottle, SuccessAndTimeForget) {
  LoginThrottle t(policy());
  const Clock::time_point t0{};
  for (int i = 0; i < 5; ++i) t.failure("k", t0);
  EXPECT_FALSE(t.check("k", t0).allowed);
  t.success("k");
  EXPECT_TRUE(t.check("k", t0).allowed);
  for (int i = 0; i < 5; ++i) t.failure("k", t0);
  // Long after: the count starts over, so one more failure is free.
  t.failure("k", t0 + 700s);
  EXPECT_TRUE(t.check("k", t0 + 700s).allowed);
}

TEST(LoginThrottle, StaysBounded) {
  auto p = policy();
  p.max_keys = 100;
  LoginThrottle t(p);
  Clock::time_point now{};
  for (int i = 0; i < 10'000; ++i) {
    now += 1ms;
    t.failure("addr-" + std::to_string(i), now);
  }
  EXPECT_LE(t.size(), 101u);
}

}  // namespace
}  // namespace segue::auth
