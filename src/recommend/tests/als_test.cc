#include "recommend/als.h"
#include "recommend/evaluate.h"

#include <gtest/gtest.h>

#include <random>

namespace segue::recommend {
namespace {

// Two tastes: users 0..19 play items 0..9, users 20..39 items 10..19, each some random 6 of
// their group's 10, with random play counts.
Interactions two_tastes(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Triple> t;
  for (int32_t u = 0; u < 40; ++u) {
    std::vector<int32_t> group(10);
    for (int32_t i = 0; i < 10; ++i) group[static_cast<std::size_t>(i)] = (u < 20 ? 0 : 10) + i;
    std::shuffle(group.begin(), group.end(), rng);
    for (int n = 0; n < 6; ++n) t.push_back({u, group[static_cast<std::size_t>(n)], static_cast<float>(1 + rng() % 50)});
  }
  return Interactions::from_triples(40, 20, std::move(t));
}

TEST(Als, EachSweepLowersTheLossItMinimises) {
  auto data = two_tastes(1);
  AlsOptions o;
  o.factors = 4;
  o.cg_steps = 4;
  o.threads = 1;
  double previous = 0;
  for (int it = 1; it <= 6; ++it) {
    o.iterations = it;
    const double loss = als_loss(data, train_als(data, o), o);
    if (it > 1) {
      EXPECT_LE(loss, previous * 1.0001) << "iteration " << it;
    }
    previous = loss;
  }
  o.iterations = 1;
  EXPECT_LT(previous, 0.8 * als_loss(data, train_als(data, o), o));
}

TEST(Als, RanksTheUsersOwnTasteAboveTheOther) {
  // Two factors for two tastes: a low rank is what makes the model generalise (with as many
  // factors as items it would learn the unplayed zeros exactly).
  auto data = two_tastes(2);
  AlsOptions o;
  o.factors = 2;
  o.iterations = 10;
  auto model = train_als(data, o);
  std::vector<float> s(20);
  for (int32_t u = 0; u < 40; ++u) {
    model.score(u, s);
    auto top = top_k(s, data.items_of(u), 4);  // the 4 of their group they have not played
    for (int32_t i : top) EXPECT_EQ(i < 10, u < 20) << "user " << u << " got item " << i;
  }
}

TEST(Als, FoldingInAUserGivesTheTasteOfTheirItems) {
  auto data = two_tastes(3);
  AlsOptions o;
  o.factors = 2;
  o.iterations = 10;
  auto model = train_als(data, o);
  // Someone new who played three of the second group's items.
  std::vector<int32_t> items{11, 14, 17};
  std::vector<float> w{5, 3, 9};
  Eigen::VectorXf s = model.fold_in(items, w, o);
  auto top = top_k(std::span<const float>(s.data(), 20), items, 5);
  for (int32_t i : top) EXPECT_GE(i, 10);
}

TEST(Als, TheSameSeedAndThreadsGiveTheSameModel) {
  auto data = two_tastes(4);
  AlsOptions o;
  o.factors = 6;
  o.iterations = 3;
  auto a = train_als(data, o);
  auto b = train_als(data, o);
  EXPECT_EQ(a.items, b.items);
  EXPECT_THROW(train_als(data, AlsOptions{.factors = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace segue::recommend
