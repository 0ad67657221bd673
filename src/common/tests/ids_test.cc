#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace segue {

TEST(Ids, RandomIdsAre22Base62CharactersAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = random_base62_id();
    EXPECT_TRUE(is_base62_id(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Ids, DerivedIdsAreStableAndDependOnNamespace) {
  EXPECT_EQ(derived_base62_id("track", "a/b.flac"), derived_base62_id("track", "a/b.flac"));
  EXPECT_NE(derived_base62_id("track", "a/b.flac"), derived_base62_id("album", "a/b.flac"));
  EXPECT_NE(derived_base62_id("track", "a/b.flac"), derived_base62_id("track", "a/c.flac"));
  EXPECT_TRUE(is_base62_id(derived_base62_id("x", "")));
}

TEST(Ids, Base62EncodesZeroAndMaxValue) {
  unsigned char zero[16] = {};
  EXPECT_EQ(base62_encode_128(zero), std::string(22, '0'));
  unsigned char max[16];
  std::fill(std::begin(max), std::end(max), 0xFF);
  // 2^128 - 1 in base 62 is 22 digits starting with '7'.
  EXPECT_EQ(base62_encode_128(max), "7n42DGM5Tflk9n8mt7Fhc7");
}

TEST(Ids, RejectsMalformedIds) {
  EXPECT_FALSE(is_base62_id(""));
  EXPECT_FALSE(is_base62_id("abc"));
  EXPECT_FALSE(is_base62_id("../../../../etc/passwd0"));
  EXPECT_FALSE(is_base62_id("0123456789012345678901-"));
  EXPECT_FALSE(is_base62_id("012345678901234567890_"));
  EXPECT_TRUE(is_base62_id("4iV5W9uYEdYUVa79Axb7Rh"));
}

TEST(Ids, ParsesUrisOfTheRightKindOnly) {
  EXPECT_EQ(parse_uri("segue:track:4iV5W9uYEdYUVa79Axb7Rh", "track"), "4iV5W9uYEdYUVa79Axb7Rh");
  EXPECT_EQ(parse_uri("spotify:track:4iV5W9uYEdYUVa79Axb7Rh", "track"), "4iV5W9uYEdYUVa79Axb7Rh");
  EXPECT_EQ(parse_uri("segue:album:4iV5W9uYEdYUVa79Axb7Rh", "track"), std::nullopt);
  EXPECT_EQ(parse_uri("segue:track:short", "track"), std::nullopt);
  EXPECT_EQ(parse_uri("segue:tracks:4iV5W9uYEdYUVa79Axb7Rh", "track"), std::nullopt);
}

}  // namespace segue
