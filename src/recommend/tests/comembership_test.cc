// Playlist co-membership (recommend/comembership.h): RP3beta over playlists x tracks, checked
// against values computed by hand, and the z-scored blend.
#include "recommend/comembership.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace segue::recommend {
namespace {

std::map<std::string, float> scores_of(const CoMembership& m, std::vector<std::string> tracks) {
  std::map<std::string, float> out;
  for (const auto& [i, s] : m.score(tracks)) out[m.ids[static_cast<std::size_t>(i)]] = s;
  return out;
}

// Lists {a, b, c}, {a, b}, {c, d}. RP3beta (alpha 1, beta 0.2): sim(i, j) = sum over lists L
// holding both of 1/lists(i) * 1/|L|, divided by lists(j)^0.2.
TEST(CoMembership, NeighboursAreTheRandomWalkOverSharedPlaylists) {
  auto m = CoMembership::build({{"a", "b", "c"}, {"a", "b"}, {"c", "d"}});
  EXPECT_EQ(m.lists, 3);
  ASSERT_EQ(m.size(), 4);
  EXPECT_EQ(m.lists_per_track[static_cast<std::size_t>(*m.find("a"))], 2);
  EXPECT_EQ(m.lists_per_track[static_cast<std::size_t>(*m.find("d"))], 1);
  auto s = scores_of(m, {"a"});
  // a -> {a,b,c} (1/2) -> b (1/3), a -> {a,b} (1/2) -> b (1/2): (1/6 + 1/4) / 2^0.2.
  EXPECT_NEAR(s["b"], (1.0 / 6 + 1.0 / 4) / std::pow(2.0, 0.2), 1e-5);
  // a -> {a,b,c} (1/2) -> c (1/3): 1/6 / 2^0.2.
  EXPECT_NEAR(s["c"], (1.0 / 6) / std::pow(2.0, 0.2), 1e-5);
  // d shares no playlist with a: no score at all (and a is not its own neighbour).
  EXPECT_EQ(s.count("d"), 0u);
  EXPECT_EQ(s.count("a"), 0u);
  // Two seeds add up: d now comes in through c.
  auto two = scores_of(m, {"a", "c"});
  EXPECT_GT(two["d"], 0.0f);
  EXPECT_NEAR(two["b"], s["b"] + (1.0 / 2 * 1.0 / 3) / std::pow(2.0, 0.2), 1e-5);
}

TEST(CoMembership, ShortListsRepeatsAndUnknownTracksCountForNothing) {
  // {x} has one distinct track (repeated): left out, so x is not in the model. A repeat within a
  // list counts once: {a, b, a} is {a, b}.
  auto m = CoMembership::build({{"x", "x"}, {"a", "b", "a"}, {"", "a", "c"}});
  EXPECT_EQ(m.lists, 2);
  EXPECT_FALSE(m.find("x"));
  EXPECT_FALSE(m.find(""));
  EXPECT_EQ(m.lists_per_track[static_cast<std::size_t>(*m.find("a"))], 2);
  auto once = scores_of(m, {"a"});
  auto twice = scores_of(m, {"a", "a", "unknown"});
  EXPECT_EQ(once, twice);
  // a -> {a,b} (1/2) -> b (1/2): 1/4, b in one list.
  EXPECT_NEAR(once["b"], 0.25, 1e-6);
  auto none = CoMembership::build({});
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.score(std::vector<std::string>{"a"}).empty());
}

TEST(CoMembership, PopularTracksArePenalisedByBeta) {
  // b and c each share one list with a, but c is in five more lists: beta pushes it down.
  std::vector<std::vector<std::string>> lists{{"a", "b"}, {"a", "c"}};
  for (int i = 0; i < 5; ++i) lists.push_back({"c", "z" + std::to_string(i)});
  auto s = scores_of(CoMembership::build(lists), {"a"});
  EXPECT_GT(s["b"], s["c"]);
  EXPECT_NEAR(s["b"] / s["c"], std::pow(6.0, 0.2), 1e-4);
}

TEST(BlendAdd, AddsTheWeightedZScoreAndIgnoresFlatComponents) {
  std::vector<float> out{1, 1, 1, 1};
  const std::vector<float> x{0, 0, 0, 4};  // mean 1, deviation sqrt(3)
  blend_add(out, x, 2.0f);
  const float sd = std::sqrt(3.0f);
  EXPECT_NEAR(out[0], 1 + 2 * (0 - 1) / sd, 1e-5);
  EXPECT_NEAR(out[3], 1 + 2 * (4 - 1) / sd, 1e-5);
  const auto before = out;
  blend_add(out, std::vector<float>{5, 5, 5, 5}, 1.0f);  // no spread
  blend_add(out, std::vector<float>{1, 2}, 1.0f);        // wrong size
  EXPECT_EQ(out, before);
}

}  // namespace
}  // namespace segue::recommend
