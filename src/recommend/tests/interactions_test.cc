#include "recommend/interactions.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace segue::recommend {
namespace {

TEST(Interactions, MergesRepeatsDropsNonPositiveAndKeepsBothOrientations) {
  auto m = Interactions::from_triples(3, 4, {{2, 1, 1.0f}, {0, 3, 2.0f}, {2, 1, 4.0f}, {1, 0, 0.0f}, {0, 1, 1.5f},
                                             {1, 2, -1.0f}, {1, 2, 0.5f}});
  EXPECT_EQ(m.nnz(), 3u);  // (0,1), (0,3), (2,1); (1,0) is 0 and (1,2) sums to -0.5
  ASSERT_EQ(m.items_of(0).size(), 2u);
  EXPECT_EQ(m.items_of(0)[0], 1);
  EXPECT_EQ(m.items_of(0)[1], 3);
  EXPECT_FLOAT_EQ(m.weights_of(0)[1], 2.0f);
  EXPECT_TRUE(m.items_of(1).empty());
  ASSERT_EQ(m.users_of(1).size(), 2u);
  EXPECT_EQ(m.users_of(1)[0], 0);
  EXPECT_EQ(m.users_of(1)[1], 2);
  EXPECT_FLOAT_EQ(m.item_weights(1)[1], 5.0f);
  EXPECT_EQ(m.item_degrees(), (std::vector<int32_t>{0, 2, 0, 1}));
}

TEST(Interactions, RefusesIndicesOutsideTheMatrix) {
  EXPECT_THROW(Interactions::from_triples(2, 2, {{2, 0, 1.0f}}), std::invalid_argument);
  EXPECT_THROW(Interactions::from_triples(2, 2, {{0, -1, 1.0f}}), std::invalid_argument);
}

}  // namespace
}  // namespace segue::recommend
