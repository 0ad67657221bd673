// SharedRateLimiter against a real Redis (redis/testing.h): two limiters stand for two nodes
// sharing it. Together they must allow the limit, not twice it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/ids.h"
#include "net/rate_limiter_shared.h"
#include "redis/testing.h"

namespace segue::net {
namespace {
using namespace std::chrono_literals;

class SharedRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (redis_.url().empty()) GTEST_SKIP() << redis_.skip_reason();
    auto a = redis::parse_url(redis_.url());
    ASSERT_TRUE(a.ok()) << redis_.url();
    address_ = *a;
  }
  // A node's limiter; every test counts under keys of its own.
  std::unique_ptr<SharedRateLimiter> node(uint32_t limit, bool thread, std::chrono::seconds window = 3600s) {
    SharedRateLimitOptions o;
    o.name = "user";
    o.limit = limit;
    o.window = window;
    o.address = address_;
    o.key_prefix = prefix_;
    o.start_thread = thread;
    return std::make_unique<SharedRateLimiter>(std::move(o), &metrics_);
  }
  redis::testing::TestRedis redis_;
  redis::Address address_;
  std::string prefix_ = "segue:test:rl:" + random_base62_id() + ":";
  MetricsRegistry metrics_;
};

TEST_F(SharedRateLimiterTest, TwoNodesTogetherAllowTheLimitWhenSyncedBetweenRequests) {
  auto a = node(20, false), b = node(20, false);
  int allowed = 0;
  for (int i = 0; i < 40; ++i) {
    SharedRateLimiter& n = i % 2 ? *b : *a;
    if (n.acquire("u:alice").allowed) ++allowed;
    ASSERT_TRUE(a->sync_now().ok());
    ASSERT_TRUE(b->sync_now().ok());
  }
  // A node learns the cluster's count when it reports its own, so each decides without the
  // other's latest request (made after its last report): at most one over the limit here.
  EXPECT_GE(allowed, 20);
  EXPECT_LE(allowed, 21);
  for (SharedRateLimiter* n : {a.get(), b.get()}) {
    auto d = n->acquire("u:alice");
    EXPECT_FALSE(d.allowed);
    EXPECT_GT(d.retry_after.count(), 0);
    EXPECT_FALSE(n->peek("u:alice").allowed);
  }
  // Another key, and the same key under another limiter's name, are counted apart.
  EXPECT_TRUE(a->acquire("u:bob").allowed);
  SharedRateLimitOptions o;
  o.name = "client";
  o.limit = 20;
  o.window = 3600s;
  o.address = address_;
  o.key_prefix = prefix_;
  o.start_thread = false;
  SharedRateLimiter other(o);
  EXPECT_TRUE(other.acquire("u:alice").allowed);
}

TEST_F(SharedRateLimiterTest, BackgroundSyncKeepsTwoNodesWithinTheDocumentedBound) {
  // Requests alternate between the nodes, one every 2 ms, while each syncs every 50 ms on its
  // own thread. Alone, each would allow 100 (200 together). Shared: 100 plus what a node admits
  // before it hears of the other's counts (one sync interval and a round trip: about 13 at this
  // rate; the bound below leaves room for a loaded machine).
  auto a = node(100, true), b = node(100, true);
  int allowed = 0;
  for (int i = 0; i < 400; ++i) {
    SharedRateLimiter& n = i % 2 ? *b : *a;
    if (n.acquire("u:carol").allowed) ++allowed;
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_GE(allowed, 100);
  EXPECT_LE(allowed, 140) << "the nodes did not share their counts";
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(a->acquire("u:carol").allowed);
  EXPECT_FALSE(b->acquire("u:carol").allowed);
}

TEST_F(SharedRateLimiterTest, ANodeThatJoinsLaterSeesTheClusterCount) {
  auto a = node(10, false);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(a->acquire("u:dave").allowed);
  ASSERT_TRUE(a->sync_now().ok());
  auto b = node(10, false);
  EXPECT_TRUE(b->acquire("u:dave").allowed);  // before its first sync it knows nothing yet
  ASSERT_TRUE(b->sync_now().ok());
  EXPECT_FALSE(b->acquire("u:dave").allowed);
}

TEST(SharedRateLimiterWithoutRedis, FallsBackToTheLocalLimitAndCountsTheFailure) {
  SharedRateLimitOptions o;
  o.name = "user";
  o.limit = 5;
  o.window = 3600s;
  o.address.socket_path = "/nonexistent/redis.sock";
  o.start_thread = false;
  MetricsRegistry metrics;
  SharedRateLimiter n(o, &metrics);
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    if (n.acquire("u:erin").allowed) ++allowed;
    EXPECT_FALSE(n.sync_now().ok());
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_NE(metrics.render().find("segue_rate_limit_redis_failures_total{limit=\"user\"} 10"), std::string::npos)
      << metrics.render();
}

}  // namespace
}  // namespace segue::net
