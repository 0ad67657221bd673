#include "recommend/neighbors.h"

#include <gtest/gtest.h>

#include <cmath>

namespace segue::recommend {
namespace {

// users x items:   i0 i1 i2 i3
//            u0     1  1  0  0
//            u1     1  1  1  0
//            u2     0  1  1  0
//            u3     0  0  1  1
Interactions small() {
  return Interactions::from_triples(4, 4, {{0, 0, 3}, {0, 1, 1}, {1, 0, 1}, {1, 1, 2}, {1, 2, 1}, {2, 1, 1}, {2, 2, 5},
                                           {3, 2, 1}, {3, 3, 1}});
}

float sim(const ItemNeighbors& m, int32_t i, int32_t j) {
  auto nb = m.neighbors_of(i);
  auto s = m.similarities_of(i);
  for (std::size_t k = 0; k < nb.size(); ++k)
    if (nb[k] == j) return s[k];
  return 0;
}

TEST(ItemNeighbors, CosineOfBinaryColumns) {
  NeighborOptions o;
  o.similarity = NeighborOptions::Similarity::kCosine;
  auto m = ItemNeighbors::build(small(), o);
  // i0 = {u0,u1}, i1 = {u0,u1,u2}, i2 = {u1,u2,u3}, i3 = {u3}
  EXPECT_NEAR(sim(m, 0, 1), 2 / std::sqrt(2.0 * 3.0), 1e-6);
  EXPECT_NEAR(sim(m, 1, 2), 2 / 3.0, 1e-6);
  EXPECT_NEAR(sim(m, 2, 3), 1 / std::sqrt(3.0), 1e-6);
  EXPECT_EQ(sim(m, 0, 3), 0.0f);  // no common user: not a neighbour
  EXPECT_EQ(sim(m, 1, 1), 0.0f);  // never its own neighbour
  // Most similar first.
  ASSERT_EQ(m.neighbors_of(1).size(), 2u);
  EXPECT_EQ(m.neighbors_of(1)[0], 0);  // 0.816 > 0.667
}

TEST(ItemNeighbors, Rp3betaIsTheWalkProbabilityOverPopularity) {
  NeighborOptions o;  // RP3beta, alpha 1, beta 0.5, binary
  auto m = ItemNeighbors::build(small(), o);
  // From i2 (users u1,u2,u3: 1/3 each) to i3: only via u3 (2 items: 1/2) -> 1/6, over deg(i3)^0.5 = 1.
  EXPECT_NEAR(sim(m, 2, 3), 1.0 / 6.0, 1e-6);
  // From i2 to i1: via u1 (3 items) 1/3*1/3 + via u2 (2 items) 1/3*1/2 = 5/18, over sqrt(3).
  EXPECT_NEAR(sim(m, 2, 1), (5.0 / 18.0) / std::sqrt(3.0), 1e-6);
  // Not symmetric: from i3 to i2 = 1 * 1/2 / sqrt(3).
  EXPECT_NEAR(sim(m, 3, 2), 0.5 / std::sqrt(3.0), 1e-6);
}

TEST(ItemNeighbors, KeepsTheBestAndScoresUsersBySumming) {
  NeighborOptions o;
  o.similarity = NeighborOptions::Similarity::kCosine;
  o.neighbors = 1;
  auto m = ItemNeighbors::build(small(), o);
  for (int32_t i = 0; i < 4; ++i) EXPECT_LE(m.neighbors_of(i).size(), 1u);
  std::vector<float> out(4, 7.0f);
  std::vector<int32_t> items{0, 3};
  std::vector<float> w{1, 1};
  m.score(items, w, out);
  // i0's best is i1, i3's best is i2.
  EXPECT_NEAR(out[1], 2 / std::sqrt(6.0), 1e-6);
  EXPECT_NEAR(out[2], 1 / std::sqrt(3.0), 1e-6);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[3], 0.0f);
}

}  // namespace
}  // namespace segue::recommend
