#include "recommend/recommender.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <vector>

namespace segue::recommend {
namespace {

// 300 users, 40 items: items 0-19 are taste A, 20-39 taste B; every user has 6 items of one
// taste with play counts spread over three orders of magnitude.
Interactions two_tastes() {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> count(1, 1000);
  std::vector<Triple> t;
  for (int32_t u = 0; u < 300; ++u) {
    const int32_t base = u % 2 == 0 ? 0 : 20;
    std::vector<int32_t> pick(20);
    for (int32_t k = 0; k < 20; ++k) pick[static_cast<std::size_t>(k)] = base + k;
    std::shuffle(pick.begin(), pick.end(), rng);
    for (int k = 0; k < 6; ++k) t.push_back({u, pick[static_cast<std::size_t>(k)], count(rng)});
  }
  return Interactions::from_triples(300, 40, t);
}

RecommenderOptions small_options(float ease_weight) {
  RecommenderOptions o;
  // Two factors for two tastes: a low rank is what makes ALS generalise here (als_test.cc).
  o.als.factors = 2;
  o.als.regularization = 1;
  o.als.alpha = 10;
  o.ease_weight = ease_weight;
  o.ease.lambda = 10;
  return o;
}

// The lowest score among taste A's items the user does not have, and the highest of taste B's.
std::pair<float, float> margins(const std::vector<float>& s, const std::vector<int32_t>& have) {
  float worst_a = 1e30f, best_b = -1e30f;
  for (int32_t i = 0; i < 40; ++i) {
    if (std::find(have.begin(), have.end(), i) != have.end()) continue;
    if (i < 20) worst_a = std::min(worst_a, s[static_cast<std::size_t>(i)]);
    else best_b = std::max(best_b, s[static_cast<std::size_t>(i)]);
  }
  return {worst_a, best_b};
}

TEST(Recommender, ScoresAUserItNeverSawByTheirTaste) {
  auto data = two_tastes();
  for (float ease_weight : {0.0f, 0.25f}) {
    auto m = Recommender::train(data, small_options(ease_weight));
    EXPECT_EQ(m.has_ease(), ease_weight > 0);
    ASSERT_EQ(m.items(), 40);
    // A newcomer with three taste-A items, not in the training data.
    std::vector<int32_t> have{2, 11, 17};
    std::vector<float> plays{50, 3, 700};
    std::vector<float> s(40);
    m.score_user(have, plays, s);
    auto [worst_a, best_b] = margins(s, have);
    EXPECT_GT(worst_a, best_b) << "ease_weight " << ease_weight;
  }
}

TEST(Recommender, OnlyTheOrderOfAUsersPlaysMatters) {
  auto m = Recommender::train(two_tastes(), small_options(0.25f));
  // Two taste-B items and one taste-A item.
  std::vector<int32_t> have{21, 30, 5};
  std::vector<float> light{1, 5, 2}, heavy{1000, 50000, 2000}, reordered{1, 2, 5};
  std::vector<float> a(40), b(40), c(40);
  m.score_user(have, light, a);
  m.score_user(have, heavy, b);
  m.score_user(have, reordered, c);
  for (std::size_t i = 0; i < 40; ++i) EXPECT_NEAR(a[i], b[i], 1e-4) << i;
  // Another favourite (the taste-A item) changes the scores.
  float diff = 0;
  for (std::size_t i = 0; i < 40; ++i) diff = std::max(diff, std::abs(a[i] - c[i]));
  EXPECT_GT(diff, 1e-3f);
}

TEST(Recommender, RejectsBadInput) {
  auto m = Recommender::train(two_tastes(), small_options(0.25f));
  std::vector<float> out(40), short_out(3);
  std::vector<int32_t> have{1, 2};
  std::vector<float> one{1};
  std::vector<float> two{1, 1};
  EXPECT_THROW(m.score_user(have, one, out), std::invalid_argument);
  EXPECT_THROW(m.score_user(have, two, short_out), std::invalid_argument);
  std::vector<int32_t> unknown{1, 40};
  EXPECT_THROW(m.score_user(unknown, two, out), std::invalid_argument);
  RecommenderOptions bad = small_options(-1);
  EXPECT_THROW(Recommender::train(two_tastes(), bad), std::invalid_argument);
}

}  // namespace
}  // namespace segue::recommend
