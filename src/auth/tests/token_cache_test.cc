#include "auth/token_cache.h"

#include <gtest/gtest.h>

namespace segue::auth {
namespace {

TokenCache::Entry entry(const std::string& client) {
  TokenCache::Entry e;
  e.principal.client = ClientId(client);
  return e;
}

TEST(TokenCache, FindsWhatWasInserted) {
  TokenCache cache(10);
  cache.insert("k", entry("c1"), cache.generation());
  auto e = cache.find("k");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->principal.client.str(), "c1");
  EXPECT_FALSE(cache.find("other").has_value());
}

TEST(TokenCache, InsertAfterInvalidationIsDropped) {
  TokenCache cache(10);
  const uint64_t before = cache.generation();
  cache.erase({"unrelated"});  // a revocation committed while the principal was being loaded
  cache.insert("k", entry("c1"), before);
  EXPECT_FALSE(cache.find("k").has_value());
}

TEST(TokenCache, EraseForgetsKeys) {
  TokenCache cache(10);
  cache.insert("a", entry("c"), cache.generation());
  cache.insert("b", entry("c"), cache.generation());
  cache.erase({"a"});
  EXPECT_FALSE(cache.find("a").has_value());
  EXPECT_TRUE(cache.find("b").has_value());
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCache, EvictsOldestBeyondCapacity) {
  TokenCache cache(3);
  for (int i = 0; i < 5; ++i) cache.insert("k" + std::to_string(i), entry("c"), cache.generation());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.find("k0").has_value());
  EXPECT_FALSE(cache.find("k1").has_value());
  EXPECT_TRUE(cache.find("k4").has_value());
}

TEST(TokenCache, StaysBoundedUnderChurn) {
  TokenCache cache(4);
  for (int i = 0; i < 1000; ++i) {
    const std::string k = "k" + std::to_string(i % 7);
    cache.insert(k, entry("c"), cache.generation());
    if (i % 3 == 0) cache.erase({k});
  }
  EXPECT_LE(cache.size(), 4u);
}

}  // namespace
}  // namespace segue::auth
