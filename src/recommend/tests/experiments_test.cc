#include "recommend/experiments.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

namespace segue::recommend {
namespace {

std::string user(int i) { return "user-" + std::to_string(i); }

Experiment make(std::string name, std::vector<ExperimentArm> arms, std::string salt = {}) {
  auto e = Experiment::make(std::move(name), std::move(arms), std::move(salt));
  EXPECT_TRUE(e.ok());
  return std::move(e).value();
}

TEST(Experiments, BucketingIsStableAndFollowsTheWeights) {
  const auto e = make("home-order", {{"control", 0.5}, {"bandit", 0.3}, {"bandit-greedy", 0.2}});
  const auto again =
      make("home-order", {{"control", 0.5}, {"bandit", 0.3}, {"bandit-greedy", 0.2}});
  const int n = 100000;
  std::vector<int> count(3, 0);
  for (int i = 0; i < n; ++i) {
    const std::size_t a = e.assign_index(user(i));
    ASSERT_EQ(a, again.assign_index(user(i)));
    ASSERT_EQ(a, e.assign_index(user(i)));
    ++count[a];
  }
  const double w[] = {0.5, 0.3, 0.2};
  for (int a = 0; a < 3; ++a) {
    const double sd = std::sqrt(n * w[a] * (1 - w[a]));
    EXPECT_NEAR(count[static_cast<std::size_t>(a)], n * w[a], 4.5 * sd)
        << e.arms()[static_cast<std::size_t>(a)].name;
  }
  // The documented hash, computed independently (Python: the top 53 bits of the first 8 bytes
  // of hashlib.sha256(b"\x1fhome-order\x1fuser-0"), times 2^-53): a change of hash would
  // move every user to another arm.
  EXPECT_DOUBLE_EQ(e.unit("user-0"), 0.23489744903286758);
  EXPECT_EQ(e.assign("user-0"), "control");
}

TEST(Experiments, DifferentExperimentsAndSaltsDrawIndependently) {
  const auto a = make("shelf-order", {{"x", 1}, {"y", 1}});
  const auto b = make("card-order", {{"x", 1}, {"y", 1}});
  const auto a2 = make("shelf-order", {{"x", 1}, {"y", 1}}, "2026-12");
  const int n = 100000;
  int joint[2][2] = {{0, 0}, {0, 0}};
  int moved = 0;
  for (int i = 0; i < n; ++i) {
    const auto ia = a.assign_index(user(i));
    ++joint[ia][b.assign_index(user(i))];
    moved += ia != a2.assign_index(user(i));
  }
  // Independent halves: each quarter 25,000 give or take 4.5 standard deviations.
  const double sd = std::sqrt(n * 0.25 * 0.75);
  for (auto& row : joint)
    for (int c : row) EXPECT_NEAR(c, n * 0.25, 4.5 * sd);
  EXPECT_NEAR(moved, n * 0.5, 4.5 * std::sqrt(n * 0.25));
}

TEST(Experiments, ChangingWeightsMovesOnlyTheUsersItMust) {
  const auto before = make("home-order", {{"control", 50}, {"bandit", 50}});
  const auto after = make("home-order", {{"control", 40}, {"bandit", 60}});
  int moved = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto b = before.assign_index(user(i)), a = after.assign_index(user(i));
    if (b == 1) {
      ASSERT_EQ(a, 1u);  // nobody leaves the arm that grew
    } else if (a == 1) {
      ++moved;
    }
  }
  EXPECT_NEAR(moved, 2000, 4.5 * std::sqrt(20000 * 0.1 * 0.9));
  const auto off = make("home-order", {{"control", 1}, {"paused", 0}, {"bandit", 1}});
  for (int i = 0; i < 5000; ++i) EXPECT_NE(off.assign(user(i)), "paused");
}

TEST(Experiments, BadDefinitionsAreRejected) {
  EXPECT_FALSE(Experiment::make("", {{"a", 1}}).ok());
  EXPECT_FALSE(Experiment::make("e", {}).ok());
  EXPECT_FALSE(Experiment::make("e", {{"a", 1}, {"a", 2}}).ok());
  EXPECT_FALSE(Experiment::make("e", {{"a", -1}, {"b", 2}}).ok());
  EXPECT_FALSE(Experiment::make("e", {{"a", 0}, {"b", 0}}).ok());
  EXPECT_FALSE(Experiment::make("e", {{"a", std::nan("")}}).ok());
  EXPECT_FALSE(Experiment::make("e", {{"", 1}}).ok());
}

TEST(Experiments, WilsonIntervalsMatchHandComputedValues) {
  auto p = wilson(5, 10);
  EXPECT_DOUBLE_EQ(p.rate, 0.5);
  EXPECT_NEAR(p.low, 0.236593, 1e-6);
  EXPECT_NEAR(p.high, 0.763407, 1e-6);
  p = wilson(0, 10);  // z^2/n / (1 + z^2/n)
  EXPECT_EQ(p.low, 0.0);
  EXPECT_NEAR(p.high, 0.277532, 1e-6);
  p = wilson(10, 10);
  EXPECT_NEAR(p.low, 0.722468, 1e-6);
  EXPECT_NEAR(p.high, 1.0, 1e-12);
  p = wilson(0, 0);
  EXPECT_EQ(p.low, 0.0);
  EXPECT_EQ(p.high, 1.0);
  p = wilson(12, 10);  // clamped
  EXPECT_EQ(p.successes, 10u);
  EXPECT_DOUBLE_EQ(p.rate, 1.0);
}

TEST(Experiments, CountersAreExactUnderConcurrencyAndSummarised) {
  const auto e = make("home-order", {{"control", 1}, {"bandit", 1}});
  ExperimentCounters counters(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counters.add(0, ExperimentCounters::Kind::kImpression);
        if (i % 10 == 0) counters.add(0, ExperimentCounters::Kind::kClick);
        if (i % 20 == 0) counters.add(0, ExperimentCounters::Kind::kPlay);
        counters.add(1, ExperimentCounters::Kind::kImpression, 2);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(counters.add(2, ExperimentCounters::Kind::kClick));
  const auto s = counters.summary(e);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].arm, "control");
  EXPECT_EQ(s[0].impressions, 40000u);
  EXPECT_EQ(s[0].clicks, 4000u);
  EXPECT_EQ(s[0].plays, 2000u);
  EXPECT_DOUBLE_EQ(s[0].ctr.rate, 0.1);
  EXPECT_LT(s[0].ctr.low, 0.1);
  EXPECT_GT(s[0].ctr.high, 0.1);
  EXPECT_NEAR(s[0].ctr.high - s[0].ctr.low, 2 * 1.96 * std::sqrt(0.1 * 0.9 / 40000), 1e-4);
  EXPECT_DOUBLE_EQ(s[0].play_rate.rate, 0.05);
  EXPECT_EQ(s[1].impressions, 80000u);
  EXPECT_EQ(s[1].clicks, 0u);
  EXPECT_EQ(s[1].ctr.low, 0.0);
}

}  // namespace
}  // namespace segue::recommend
