// SharedLoginThrottle against a real Redis (redis/testing.h): two throttles stand for two nodes
// sharing it. Failures on either count together, a wait set by one holds on the other, and the
// state in Redis expires.
#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <chrono>
#include <thread>

#include "auth/login_throttle_shared.h"
#include "common/ids.h"
#include "redis/testing.h"

namespace segue::auth {
namespace {
using namespace std::chrono_literals;

class SharedLoginThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (redis_.url().empty()) GTEST_SKIP() << redis_.skip_reason();
    auto a = redis::parse_url(redis_.url());
    ASSERT_TRUE(a.ok()) << redis_.url();
    address_ = *a;
  }
  // A node's backoff: 3 free failures, then 1 s doubling up to 8 s, forgotten after 60 s.
  std::unique_ptr<SharedLoginThrottle> node() {
    SharedLoginThrottleOptions o;
    o.name = "login_account";
    o.policy = LoginThrottle::Policy{3, 1000ms, 8000ms, 60s, 1000};
    o.address = address_;
    o.key_prefix = prefix_;
    return std::make_unique<SharedLoginThrottle>(std::move(o), &metrics_);
  }
  redis::testing::TestRedis redis_;
  redis::Address address_;
  std::string prefix_ = "segue:test:login:" + random_base62_id() + ":";
  MetricsRegistry metrics_;
};

TEST_F(SharedLoginThrottleTest, FailuresOnTwoNodesCountTogetherAndTheWaitHoldsOnBoth) {
  auto a = node(), b = node();
  // Three free failures, spread over the nodes: each node alone has seen at most two.
  a->failure("login:alice");
  b->failure("login:alice");
  a->failure("login:alice");
  EXPECT_TRUE(a->check_shared("login:alice").allowed);
  EXPECT_TRUE(b->check_shared("login:alice").allowed);
  // The fourth, on b, makes the key wait 1 s: a, which never saw it, refuses at once.
  b->failure("login:alice");
  EXPECT_TRUE(a->check("login:alice").allowed) << "a has not asked Redis yet: memory knows nothing";
  auto d = a->check_shared("login:alice");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 1s);
  EXPECT_FALSE(a->check("login:alice").allowed) << "a remembers the wait it read";
  EXPECT_FALSE(b->check("login:alice").allowed);
  // The fifth (on a) doubles the wait, as a third node reads it. (b refuses from memory with
  // the wait it knew, without asking Redis: refused either way.)
  a->failure("login:alice");
  EXPECT_EQ(node()->check_shared("login:alice").retry_after, 2s);
  EXPECT_FALSE(b->check_shared("login:alice").allowed);
  // Other keys are not affected.
  EXPECT_TRUE(a->check_shared("login:bob").allowed);
  EXPECT_TRUE(b->check_shared("login:bob").allowed);
}

TEST_F(SharedLoginThrottleTest, ASuccessOnOneNodeStartsTheKeyOverOnAll) {
  auto a = node(), b = node();
  for (int i = 0; i < 3; ++i) a->failure("login:carol");
  b->success("login:carol");
  // Counting starts over: three more free failures on a before a wait.
  for (int i = 0; i < 3; ++i) {
    a->failure("login:carol");
    EXPECT_TRUE(b->check_shared("login:carol").allowed) << i;
  }
  b->failure("login:carol");
  EXPECT_FALSE(a->check_shared("login:carol").allowed);
}

TEST_F(SharedLoginThrottleTest, TheStateInRedisExpiresAfterForgetAfter) {
  auto a = node();
  a->failure("login:dave");
  redis::Client c(address_);
  auto ttl = c.command({"PTTL", prefix_ + "login_account:login:dave"});
  ASSERT_TRUE(ttl.ok());
  ASSERT_EQ((*ttl)->type, REDIS_REPLY_INTEGER);
  EXPECT_GT((*ttl)->integer, 55'000);
  EXPECT_LE((*ttl)->integer, 60'000);
  a->success("login:dave");
  auto gone = c.command({"EXISTS", prefix_ + "login_account:login:dave"});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ((*gone)->integer, 0);
}

TEST_F(SharedLoginThrottleTest, AWaitEndsOnEveryNode) {
  auto a = node(), b = node();
  for (int i = 0; i < 4; ++i) a->failure("login:erin");
  EXPECT_FALSE(b->check_shared("login:erin").allowed);
  std::this_thread::sleep_for(1100ms);
  EXPECT_TRUE(b->check("login:erin").allowed);
  EXPECT_TRUE(b->check_shared("login:erin").allowed);
  EXPECT_TRUE(a->check_shared("login:erin").allowed);
}

TEST(SharedLoginThrottleWithoutRedis, FallsBackToThisNodesOwnCountAndCountsTheFailures) {
  SharedLoginThrottleOptions o;
  o.name = "login_account";
  o.policy = LoginThrottle::Policy{3, 1000ms, 8000ms, 60s, 1000};
  o.address.socket_path = "/nonexistent/redis.sock";
  MetricsRegistry metrics;
  SharedLoginThrottle n(o, &metrics);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(n.check_shared("login:frank").allowed) << i;
    n.failure("login:frank");
  }
  EXPECT_TRUE(n.check_shared("login:frank").allowed);
  n.failure("login:frank");
  auto d = n.check("login:frank");  // memory only: the local count decides while Redis is away
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 1s);
  EXPECT_TRUE(n.check("login:grace").allowed);
  EXPECT_NE(metrics.render().find("segue_login_backoff_redis_failures_total{backoff=\"login_account\"}"), std::string::npos);
  EXPECT_EQ(metrics.render().find("segue_login_backoff_redis_failures_total{backoff=\"login_account\"} 0"), std::string::npos)
      << metrics.render();
}

}  // namespace
}  // namespace segue::auth
