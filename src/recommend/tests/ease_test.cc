#include "recommend/ease.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace segue::recommend {
namespace {

TEST(Ease, MatchesTheClosedFormOnTwoItems) {
  // Items 0 (users 0,1,2) and 1 (users 0,1) are modelled; item 2 (user 2 only) is not.
  auto data = Interactions::from_triples(3, 3, {{0, 0, 4}, {0, 1, 9}, {1, 0, 1}, {1, 1, 1}, {2, 0, 7}, {2, 2, 3}});
  EaseOptions o;
  o.lambda = 1;
  o.min_users = 2;
  auto m = EaseModel::train(data, o);
  ASSERT_EQ(m.modelled(), 2);
  EXPECT_FALSE(m.modelled(2));
  // X^T X + I = [[4, 2], [2, 3]], P = [[3, -2], [-2, 4]] / 8, B_ij = -P_ij / P_jj.
  EXPECT_NEAR(m.weight(0, 1), 0.25 / 0.5, 1e-5);
  EXPECT_NEAR(m.weight(1, 0), 0.25 / 0.375, 1e-5);
  EXPECT_EQ(m.weight(0, 0), 0.0f);
  EXPECT_EQ(m.weight(0, 2), 0.0f);

  std::vector<int32_t> items{0};
  std::vector<float> weights{123};  // binary weighting: the count does not matter
  std::vector<float> out(3, 5.0f);
  m.score(items, weights, out);
  EXPECT_NEAR(out[1], 0.5f, 1e-5);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[2], std::numeric_limits<float>::lowest());
}

TEST(Ease, RecoversPlantedGroups) {
  // Items 0-9 are taste A, 10-19 taste B; each user has 4 items of one taste.
  std::mt19937 rng(7);
  std::vector<Triple> t;
  for (int32_t u = 0; u < 200; ++u) {
    const int32_t base = u % 2 == 0 ? 0 : 10;
    std::vector<int32_t> pick(10);
    for (int32_t k = 0; k < 10; ++k) pick[k] = base + k;
    std::shuffle(pick.begin(), pick.end(), rng);
    for (int k = 0; k < 4; ++k) t.push_back({u, pick[static_cast<std::size_t>(k)], 1});
  }
  auto data = Interactions::from_triples(200, 20, t);
  EaseOptions o;
  o.lambda = 10;
  auto m = EaseModel::train(data, o);
  ASSERT_EQ(m.modelled(), 20);
  std::vector<int32_t> items{1, 4, 7};
  std::vector<float> weights{1, 1, 1};
  std::vector<float> out(20);
  m.score(items, weights, out);
  float worst_a = std::numeric_limits<float>::max(), best_b = std::numeric_limits<float>::lowest();
  for (int32_t i = 0; i < 10; ++i)
    if (i != 1 && i != 4 && i != 7) worst_a = std::min(worst_a, out[static_cast<std::size_t>(i)]);
  for (int32_t i = 10; i < 20; ++i) best_b = std::max(best_b, out[static_cast<std::size_t>(i)]);
  EXPECT_GT(worst_a, best_b);
}

TEST(Ease, RejectsBadInput) {
  auto data = Interactions::from_triples(2, 2, {{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}});
  EaseOptions bad;
  bad.lambda = 0;
  EXPECT_THROW(EaseModel::train(data, bad), std::invalid_argument);
  auto m = EaseModel::train(data, EaseOptions{});
  std::vector<int32_t> items{5};
  std::vector<float> weights{1}, out(2), short_out(1);
  EXPECT_THROW(m.score(items, weights, out), std::out_of_range);
  std::vector<int32_t> ok{0};
  EXPECT_THROW(m.score(ok, weights, short_out), std::invalid_argument);
}

}  // namespace
}  // namespace segue::recommend
