#include "recommend/evaluate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace segue::recommend {
namespace {

Interactions grid(int32_t users, int32_t items) {
  std::vector<Triple> t;
  for (int32_t u = 0; u < users; ++u)
    for (int32_t i = 0; i < items; ++i)
      if ((u + i) % 3 != 0) t.push_back({u, i, 1.0f + static_cast<float>(i)});
  return Interactions::from_triples(users, items, std::move(t));
}

TEST(Evaluate, TopKSkipsExcludedAndBreaksTiesByIndex) {
  std::vector<float> s{0.5f, 0.9f, 0.9f, 0.1f, 0.7f};
  std::vector<int32_t> ex{1};
  EXPECT_EQ(top_k(s, ex, 3), (std::vector<int32_t>{2, 4, 0}));
  EXPECT_EQ(top_k(s, {}, 10).size(), 5u);
  EXPECT_TRUE(top_k(s, {}, 0).empty());
}

TEST(Evaluate, SplitHidesTheFractionDeterministicallyAndLosesNothing) {
  auto all = grid(30, 20);
  auto a = split_per_user(all, 0.2, 5, 7);
  auto b = split_per_user(all, 0.2, 5, 7);
  auto c = split_per_user(all, 0.2, 5, 8);
  EXPECT_EQ(a.hidden, b.hidden);
  EXPECT_NE(a.hidden, c.hidden);
  for (int32_t u = 0; u < 30; ++u) {
    const auto n = all.items_of(u).size();
    EXPECT_EQ(a.hidden[static_cast<std::size_t>(u)].size(), static_cast<std::size_t>(std::llround(0.2 * static_cast<double>(n))));
    std::set<int32_t> together(a.train.items_of(u).begin(), a.train.items_of(u).end());
    for (int32_t i : a.hidden[static_cast<std::size_t>(u)]) EXPECT_TRUE(together.insert(i).second);
    EXPECT_EQ(together, std::set<int32_t>(all.items_of(u).begin(), all.items_of(u).end()));
  }
}

TEST(Evaluate, AnOracleScoresOneAndAnAntiOracleZero) {
  auto split = split_per_user(grid(30, 20), 0.25, 5, 1);
  auto oracle = evaluate(split, 5, [&](int32_t u, std::span<float> out) {
    std::fill(out.begin(), out.end(), 0.0f);
    for (int32_t i : split.hidden[static_cast<std::size_t>(u)]) out[static_cast<std::size_t>(i)] = 1.0f;
  });
  EXPECT_EQ(oracle.users, 30u);
  EXPECT_DOUBLE_EQ(oracle.recall, 1.0);
  EXPECT_NEAR(oracle.ndcg, 1.0, 1e-12);
  auto anti = evaluate(split, 5, [&](int32_t u, std::span<float> out) {
    std::fill(out.begin(), out.end(), 1.0f);
    for (int32_t i : split.hidden[static_cast<std::size_t>(u)]) out[static_cast<std::size_t>(i)] = 0.0f;
  });
  EXPECT_DOUBLE_EQ(anti.recall, 0.0);
}

}  // namespace
}  // namespace segue::recommend
