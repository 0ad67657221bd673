#include "net/rate_limiter.h"

#include <gtest/gtest.h>

namespace segue::net {
namespace {
using namespace std::chrono_literals;
using TP = RateLimiter::Clock::time_point;
TP at(std::chrono::milliseconds ms) { return TP(ms + std::chrono::hours(1000)); }
}  // namespace

TEST(RateLimiter, AllowsUpToTheLimitThenRefusesWithRetryAfter) {
  RateLimiter rl(3, 10s);
  EXPECT_TRUE(rl.acquire("a", at(0ms)).allowed);
  EXPECT_TRUE(rl.acquire("a", at(1ms)).allowed);
  EXPECT_TRUE(rl.acquire("a", at(2ms)).allowed);
  auto d = rl.acquire("a", at(3ms));
  EXPECT_FALSE(d.allowed);
  EXPECT_GE(d.retry_after, 1s);
  EXPECT_LE(d.retry_after, 10s);
}

TEST(RateLimiter, PeekTellsTheDecisionWithoutCounting) {
  RateLimiter rl(2, 10s);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(rl.peek("a", at(0ms)).allowed);
  EXPECT_TRUE(rl.acquire("a", at(0ms)).allowed);
  EXPECT_TRUE(rl.peek("a", at(1ms)).allowed);
  EXPECT_TRUE(rl.acquire("a", at(1ms)).allowed);
  auto d = rl.peek("a", at(2ms));
  EXPECT_FALSE(d.allowed);
  EXPECT_GE(d.retry_after, 1s);
  EXPECT_FALSE(rl.acquire("a", at(2ms)).allowed);
  // the window rolls for peek as for acquire
  EXPECT_TRUE(rl.peek("a", at(25s)).allowed);
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter rl(1, 10s);
  EXPECT_TRUE(rl.acquire("a", at(0ms)).allowed);
  EXPECT_FALSE(rl.acquire("a", at(0ms)).allowed);
  EXPECT_TRUE(rl.acquire("b", at(0ms)).allowed);
}

TEST(RateLimiter, WindowRollsInsteadOfResettingAtTheBoundary) {
  RateLimiter rl(10, 10s);
  // Ten requests at the very end of one window...
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(rl.acquire("k", at(9900ms)).allowed);
  // ...still count just after the boundary: a fixed window would allow ten more here.
  EXPECT_FALSE(rl.acquire("k", at(10100ms)).allowed);
  // Half a window later, half of the previous window's weight has faded.
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += rl.acquire("k", at(15000ms)).allowed;
  EXPECT_EQ(allowed, 5);
  // Two windows later everything has faded.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(rl.acquire("k", at(30000ms)).allowed);
}

TEST(RateLimiter, ZeroLimitDisables) {
  RateLimiter rl(0, 1s);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(rl.acquire("x").allowed);
}

}  // namespace segue::net

namespace segue::net {
TEST(AddressKey, IPv6ByItsSlash64AndMappedIPv4AsIPv4) {
  EXPECT_EQ(address_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
  EXPECT_EQ(address_key("::ffff:198.51.100.4"), "198.51.100.4");
  EXPECT_EQ(address_key(""), "");
}
}  // namespace segue::net
