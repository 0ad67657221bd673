#include "api/spotify/params.h"

#include <gtest/gtest.h>

#include "api/spotify/objects.h"

namespace segue::api::spotify {
namespace {
net::Request with_query(std::vector<std::pair<std::string, std::string>> q) {
  net::Request r;
  r.query = std::move(q);
  return r;
}
}  // namespace

TEST(Params, LimitFollowsSpotifyBounds) {
  EXPECT_EQ(*limit_param(with_query({}), 20, 50), 20);
  EXPECT_EQ(*limit_param(with_query({{"limit", "50"}}), 20, 50), 50);
  EXPECT_FALSE(limit_param(with_query({{"limit", "51"}}), 20, 50).ok());
  EXPECT_FALSE(limit_param(with_query({{"limit", "0"}}), 20, 50).ok());
  auto bad = limit_param(with_query({{"limit", "x"}}), 20, 50);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("limit"), std::string::npos);
}

TEST(Params, OffsetMustBeNonNegative) {
  EXPECT_EQ(*offset_param(with_query({{"offset", "7"}})), 7);
  EXPECT_FALSE(offset_param(with_query({{"offset", "-1"}})).ok());
}

TEST(Params, IdsAreValidatedAndCounted) {
  std::string a(22, 'a'), b(22, 'b');
  auto ids = ids_param(with_query({{"ids", a + "," + b}}), 50);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 2u);
  EXPECT_FALSE(ids_param(with_query({{"ids", a + ",../x"}}), 50).ok());
  EXPECT_FALSE(ids_param(with_query({{"ids", a + "," + b}}), 1).ok());
  EXPECT_FALSE(ids_param(with_query({}), 50).ok());
  auto uri = ids_param(with_query({{"ids", "segue:track:" + a}}), 50);
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ((*uri)[0], a);
}

TEST(Params, IdsFromJsonBody) {
  net::Request r;
  r.raw.body() = R"({"ids":[")" + std::string(22, 'c') + R"("]})";
  auto ids = ids_from_query_or_body(r, 50);
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  EXPECT_EQ(ids->size(), 1u);
  r.raw.body() = R"({"ids": 5})";
  EXPECT_FALSE(ids_from_query_or_body(r, 50).ok());
  r.raw.body() = "{not json";
  EXPECT_FALSE(ids_from_query_or_body(r, 50).ok());
  // A bare array, as Spotify's TypeScript SDK sends it for saveTracks/saveAlbums.
  r.raw.body() = R"([")" + std::string(22, 'd') + R"("])";
  auto bare = ids_from_query_or_body(r, 50);
  ASSERT_TRUE(bare.ok()) << bare.error().message;
  EXPECT_EQ((*bare)[0], std::string(22, 'd'));
  r.raw.body() = "5";
  EXPECT_FALSE(ids_from_query_or_body(r, 50).ok());
}

TEST(Objects, Iso8601Formats) {
  EXPECT_EQ(iso8601_ms(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(iso8601(1700000000123), "2023-11-14T22:13:20Z");
}

}  // namespace segue::api::spotify
