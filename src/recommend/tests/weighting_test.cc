#include "recommend/weighting.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace segue::recommend {
namespace {

std::vector<float> apply(const Weighting& w, std::vector<float> in) {
  std::vector<float> out(in.size(), -1.0f);
  w.apply(in, out);
  return out;
}

TEST(Weighting, RankCountsLargerWeightsOfTheSameUser) {
  Weighting w{Weighting::Kind::kRank};
  // 100 is the favourite; both 5s have one larger weight; 1 has three.
  auto v = apply(w, {5, 100, 5, 1});
  EXPECT_FLOAT_EQ(v[0], 0.75f);
  EXPECT_FLOAT_EQ(v[1], 1.0f);
  EXPECT_FLOAT_EQ(v[2], 0.75f);
  EXPECT_FLOAT_EQ(v[3], 0.25f);
  // A heavy listener with the same order gets the same values.
  EXPECT_EQ(apply(w, {5000, 100000, 5000, 1000}), v);
}

TEST(Weighting, LogDividedByTheUsersLargest) {
  Weighting w{Weighting::Kind::kLog};
  w.per_user_max = true;
  const float e = std::exp(1.0f);
  auto v = apply(w, {e - 1, e * e - 1});  // log1p: 1 and 2
  EXPECT_NEAR(v[0], 0.5f, 1e-6);
  EXPECT_NEAR(v[1], 1.0f, 1e-6);
  w.per_user_max = false;
  w.epsilon = 10;
  EXPECT_NEAR(apply(w, {10})[0], std::log(2.0f), 1e-6);
  EXPECT_EQ(apply(Weighting{Weighting::Kind::kBinary}, {3, 7}), (std::vector<float>{1, 1}));
  EXPECT_EQ(apply(Weighting{Weighting::Kind::kRaw}, {3, 7}), (std::vector<float>{3, 7}));
}

TEST(Weighting, ReweightTransformsEachUserOnItsOwn) {
  auto data = Interactions::from_triples(2, 3, {{0, 0, 10}, {0, 2, 1}, {1, 1, 1000}, {1, 2, 2000}});
  auto r = reweight(data, Weighting{Weighting::Kind::kRank});
  ASSERT_EQ(r.nnz(), data.nnz());
  ASSERT_EQ(r.items_of(0).size(), 2u);
  EXPECT_EQ(r.items_of(0)[1], 2);
  EXPECT_FLOAT_EQ(r.weights_of(0)[0], 1.0f);   // item 0 is user 0's favourite
  EXPECT_FLOAT_EQ(r.weights_of(0)[1], 0.5f);
  EXPECT_FLOAT_EQ(r.weights_of(1)[0], 0.5f);   // 1000 < 2000
  EXPECT_FLOAT_EQ(r.weights_of(1)[1], 1.0f);
}

TEST(Weighting, RejectsMismatchedSizes) {
  std::vector<float> in{1, 2}, out(1);
  EXPECT_THROW(Weighting{}.apply(in, out), std::invalid_argument);
}

}  // namespace
}  // namespace segue::recommend
