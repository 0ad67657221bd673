#include "recommend/bandit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "recommend/tests/bandit_sim.h"

namespace segue::recommend {
namespace {

struct SimRun {
  double bandit = 0, uniform = 0, oracle = 0;  // mean expected reward per decision
};

// `rounds` single-slot decisions; rewards drawn from the planted probabilities, the figures
// compared are the expected rewards of the choices (less noise than the drawn ones).
SimRun simulate(Bandit& b, int rounds, int measure_from, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  SimRun r;
  int measured = 0;
  for (int t = 0; t < rounds; ++t) {
    const auto c = sim::random_context(rng);
    auto placed = b.rank(c, sim::arms(), rng, 1);
    EXPECT_TRUE(placed.ok());
    const std::size_t a = sim::index_of(placed.value()[0].arm);
    const double p = sim::click_probability(a, c);
    b.update(c, sim::arms()[a], unit(rng) < p ? 1.0 : 0.0);
    if (t < measure_from) continue;
    ++measured;
    r.bandit += p;
    double best = 0, sum = 0;
    for (std::size_t i = 0; i < sim::arms().size(); ++i) {
      best = std::max(best, sim::click_probability(i, c));
      sum += sim::click_probability(i, c);
    }
    r.oracle += best;
    r.uniform += sum / static_cast<double>(sim::arms().size());
  }
  r.bandit /= measured;
  r.oracle /= measured;
  r.uniform /= measured;
  return r;
}

TEST(Bandit, LearnsTheBestShelfForTheHourAndApproachesTheOracle) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    // The same seed twice: the same contexts and draws, measured over all rounds and the last half.
    Bandit b1({.epsilon = 0.05, .alpha = 0.3, .lambda = 1.0}), b2 = b1;
    const SimRun all = simulate(b1, 6000, 0, seed);
    const SimRun late = simulate(b2, 6000, 3000, seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::printf(
        "seed %llu: all rounds bandit %.4f uniform %.4f oracle %.4f; rounds 3000-6000 bandit %.4f "
        "oracle %.4f\n",
        static_cast<unsigned long long>(seed), all.bandit, all.uniform, all.oracle, late.bandit,
        late.oracle);
    // Over the whole run (learning included) well above choosing at random...
    EXPECT_GT(all.bandit, all.uniform + 0.6 * (all.oracle - all.uniform));
    // ...and once it has seen 3,000 decisions, within 5% of the oracle (epsilon = 0.05 alone
    // costs about 0.05 * 3/4 of the gap between the best and an average arm).
    EXPECT_GT(late.bandit, 0.95 * late.oracle);
  }
}

// A bandit with some history, for the propensity tests.
Bandit trained(double epsilon) {
  Bandit b({.epsilon = epsilon, .alpha = 0.3, .lambda = 1.0});
  sim::train(b, 1500, 99);
  return b;
}

TEST(Bandit, SingleSlotPropensitiesSumToOneAndMatchTheDrawnFrequencies) {
  const Bandit b = trained(0.2);
  std::vector<std::string> arms = sim::arms();
  arms.push_back("because_you_listened:7");  // a family never seen: the largest bonus
  const BanditContext c{
      .hour = 8.5, .weekday = 2, .device = Device::kSpeaker, .discovery_share = 0.3};
  const auto p = b.probabilities(c, arms);
  ASSERT_EQ(p.size(), arms.size());
  double total = 0;
  for (double q : p) total += q;
  EXPECT_NEAR(total, 1.0, 1e-12);
  const std::size_t greedy = b.greedy_order(c, arms)[0];
  EXPECT_DOUBLE_EQ(p[greedy], 0.8 + 0.2 / 5);
  BanditRng rng(5);
  std::map<std::string, int> seen;
  const int draws = 200000;
  for (int i = 0; i < draws; ++i) {
    auto placed = b.rank(c, arms, rng, 1);
    ASSERT_TRUE(placed.ok());
    ASSERT_EQ(placed->size(), 1u);
    const auto& top = (*placed)[0];
    const std::size_t at =
        static_cast<std::size_t>(std::find(arms.begin(), arms.end(), top.arm) - arms.begin());
    ASSERT_EQ(top.propensity, p[at]);  // the logged propensity is the policy's probability
    ++seen[top.arm];
  }
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const double sd = std::sqrt(p[a] * (1 - p[a]) / draws);
    EXPECT_NEAR(seen[arms[a]] / static_cast<double>(draws), p[a], 5 * sd) << arms[a];
  }
}

TEST(Bandit, SlatePropensitiesAreConditionalAndTheirProductIsThePrefixFrequency) {
  const Bandit b = trained(0.3);
  const auto& arms = sim::arms();
  const BanditContext c{.hour = 19, .weekday = 5, .device = Device::kSmartphone};
  BanditRng rng(11);
  std::map<std::pair<std::string, std::string>, int> pairs;
  std::map<std::pair<std::string, std::string>, double> exact;
  const int draws = 200000;
  for (int i = 0; i < draws; ++i) {
    auto placed = b.rank(c, arms, rng);
    ASSERT_TRUE(placed.ok());
    ASSERT_EQ(placed->size(), arms.size());
    std::vector<std::string> remaining = arms;
    double prefix = 1;
    for (std::size_t k = 0; k < placed->size(); ++k) {
      const auto& pl = (*placed)[k];
      ASSERT_EQ(pl.position, static_cast<int>(k));
      const auto at = std::find(remaining.begin(), remaining.end(), pl.arm);
      ASSERT_NE(at, remaining.end());
      const auto p = b.probabilities(c, remaining);
      ASSERT_EQ(pl.propensity, p[static_cast<std::size_t>(at - remaining.begin())]);
      remaining.erase(at);
      if (k < 2) prefix *= pl.propensity;
    }
    EXPECT_EQ(placed->back().propensity, 1.0);  // the last arm has nowhere else to go
    const auto key = std::make_pair((*placed)[0].arm, (*placed)[1].arm);
    ++pairs[key];
    exact[key] = prefix;
  }
  // All 12 ordered pairs of the first two positions occur, each as often as the product of
  // the two logged propensities says, and those products sum to 1.
  ASSERT_EQ(pairs.size(), 12u);
  double total = 0;
  for (const auto& [key, count] : pairs) {
    const double q = exact[key];
    total += q;
    EXPECT_NEAR(count / static_cast<double>(draws), q, 5 * std::sqrt(q * (1 - q) / draws))
        << key.first << ", " << key.second;
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST(Bandit, WithoutExplorationTheRankingIsTheGreedyOrderWithPropensityOne) {
  Bandit b({.epsilon = 0.0, .alpha = 0.3, .lambda = 1.0});
  sim::train(b, 500, 3);
  const BanditContext c{.hour = 13, .weekday = 0, .device = Device::kComputer};
  const auto order = b.greedy_order(c, sim::arms());
  BanditRng rng(1);
  for (int i = 0; i < 20; ++i) {
    auto placed = b.rank(c, sim::arms(), rng);
    ASSERT_TRUE(placed.ok());
    for (std::size_t k = 0; k < order.size(); ++k) {
      EXPECT_EQ((*placed)[k].arm, sim::arms()[order[k]]);
      EXPECT_EQ((*placed)[k].propensity, 1.0);
      EXPECT_FALSE((*placed)[k].explored);
    }
  }
}

TEST(Bandit, ArmsOfAFamilyShareAModelAndTiesKeepTheCallersOrder) {
  Bandit b({.epsilon = 0.0, .alpha = 0.0, .lambda = 1.0});
  const BanditContext c{.hour = 9, .device = Device::kSmartphone};
  for (int i = 0; i < 50; ++i) {
    b.update(c, "because_you_listened:42", 1.0);
    b.update(c, "recently_played", 0.2);
  }
  EXPECT_EQ(b.families(), 2u);
  EXPECT_EQ(b.observations("because_you_listened:7"), 50u);  // the same family as :42
  EXPECT_EQ(Bandit::family("because_you_listened:7"), "because_you_listened");
  EXPECT_NEAR(b.expected_reward(c, "because_you_listened:7"), 1.0, 0.05);
  EXPECT_NEAR(b.expected_reward(c, "recently_played"), 0.2, 0.05);
  BanditRng rng(1);
  std::vector<std::string> arms{"recently_played", "because_you_listened:7",
                                "because_you_listened:42"};
  auto placed = b.rank(c, arms, rng);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ((*placed)[0].arm, "because_you_listened:7");
  EXPECT_EQ((*placed)[1].arm, "because_you_listened:42");
  std::swap(arms[1], arms[2]);
  placed = b.rank(c, arms, rng);
  EXPECT_EQ((*placed)[0].arm, "because_you_listened:42");
  EXPECT_EQ((*placed)[2].arm, "recently_played");
}

TEST(Bandit, AnUnseenShelfIsTriedBeforeOneKnownToBePoor) {
  Bandit b({.epsilon = 0.0, .alpha = 0.5, .lambda = 1.0});
  BanditRng data(4);
  for (int i = 0; i < 400; ++i) b.update(sim::random_context(data), "new_releases", 0.0);
  const std::vector<std::string> arms{"new_releases", "daily_mix_2"};
  // (A device the data never had would leave new_releases uncertain there too: a bonus of
  // alpha on its one-hot entry alone.)
  const BanditContext c{.hour = 22, .weekday = 6, .device = Device::kComputer};
  const auto s = b.scores(c, arms);
  EXPECT_LT(s[0], 0.2);
  EXPECT_GT(s[1], s[0]);
  BanditRng rng(1);
  EXPECT_EQ((*b.rank(c, arms, rng))[0].arm, "daily_mix_2");
}

TEST(Bandit, BadArmsAreRejected) {
  const Bandit b;
  BanditRng rng(1);
  const std::vector<std::string> twice{"jump_back_in", "new_releases", "jump_back_in"};
  auto r = b.rank({}, twice, rng);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("jump_back_in"), std::string::npos);
  const std::vector<std::string> empty_id{"jump_back_in", ""};
  EXPECT_FALSE(b.rank({}, empty_id, rng).ok());
  EXPECT_TRUE(b.rank({}, std::vector<std::string>{}, rng)->empty());
  Bandit w;
  EXPECT_FALSE(w.update({}, "jump_back_in", std::nan("")));
  EXPECT_EQ(w.families(), 0u);
  EXPECT_THROW(Bandit({.epsilon = 1.5}), std::invalid_argument);
}

TEST(Bandit, FeaturesAreCyclicInTheHourAndOneHotInTheDevice) {
  const auto a = bandit_features({.hour = 23.99, .device = Device::kSpeaker});
  const auto b = bandit_features({.hour = 0.0, .device = Device::kSpeaker});
  const auto c = bandit_features({.hour = 24.0, .device = Device::kSpeaker});
  EXPECT_LT((a - b).norm(), 0.01);  // midnight is next to 23:59
  EXPECT_LT((c - b).norm(), 1e-12);
  EXPECT_EQ(a.size(), kBanditFeatures);
  EXPECT_EQ(parse_device("CastAudio"), Device::kSpeaker);
  EXPECT_EQ(parse_device("Smartphone"), Device::kSmartphone);
  EXPECT_EQ(parse_device("toaster"), Device::kOther);
  EXPECT_STREQ(device_name(parse_device("computer")), "computer");
  const auto s = bandit_features({.device = Device::kSmartphone});
  const auto t = bandit_features({.device = Device::kTablet});
  EXPECT_DOUBLE_EQ((s - t).squaredNorm(), 2.0);  // two one-hot entries differ
}

TEST(Bandit, ContextsRoundTripThroughTheirLoggedJsonAndBadOnesAreRefused) {
  const BanditContext c{.hour = 21.25,
                        .weekday = 6,
                        .device = Device::kAutomobile,
                        .discovery_share = 0.375,
                        .skip_share = 0.5,
                        .home_share = 0.125};
  auto back = context_from_json(context_to_json(c));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->hour, 21.25);
  EXPECT_EQ(back->weekday, 6);
  EXPECT_EQ(back->device, Device::kAutomobile);
  EXPECT_EQ(back->discovery_share, 0.375);
  EXPECT_EQ(back->skip_share, 0.5);
  EXPECT_EQ(back->home_share, 0.125);
  auto partial = context_from_json(R"({"hour":7,"device":"Smartphone"})");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->device, Device::kSmartphone);
  EXPECT_EQ(partial->weekday, 0);
  for (const char* bad :
       {R"({"hour":24})", R"({"hour":"7"})", R"({"weekday":7})", R"({"weekday":1.5})",
        R"({"skip_share":1.2})", R"({"device":3})", "[1]", "{"}) {
    auto r = context_from_json(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  auto named = context_from_json(R"({"weekday":9})");
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().message.find("weekday"), std::string::npos);
}

TEST(Bandit, StateRoundTripsThroughJsonToTheSameBits) {
  Bandit b({.epsilon = 0.15, .alpha = 0.4, .lambda = 2.0}, "2026-12-07T22:00:00Z");
  sim::train(b, 800, 21);
  b.update({.hour = 3}, "because_you_listened:9", 1.0);
  const std::string json = b.to_json();
  auto back = Bandit::from_json(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->version(), "2026-12-07T22:00:00Z");
  EXPECT_EQ(back->options().epsilon, 0.15);
  EXPECT_EQ(back->families(), b.families());
  EXPECT_EQ(back->to_json(), json);
  std::vector<std::string> arms = sim::arms();
  arms.push_back("because_you_listened:1");
  std::mt19937_64 ctx(8);
  for (int i = 0; i < 200; ++i) {
    const auto c = sim::random_context(ctx);
    EXPECT_EQ(back->scores(c, arms), b.scores(c, arms));
    BanditRng r1(i), r2(i);
    const auto x = b.rank(c, arms, r1), y = back->rank(c, arms, r2);
    for (std::size_t k = 0; k < arms.size(); ++k) {
      EXPECT_EQ((*x)[k].arm, (*y)[k].arm);
      EXPECT_EQ((*x)[k].propensity, (*y)[k].propensity);
    }
  }
  // Learning continues identically from the restored state.
  b.update({.hour = 12}, "new_releases", 1.0);
  back->update({.hour = 12}, "new_releases", 1.0);
  EXPECT_EQ(back->to_json(), b.to_json());
}

TEST(Bandit, BrokenStateIsRefusedWithAReason) {
  Bandit b;
  b.update({.hour = 7}, "jump_back_in", 1.0);
  const std::string good = b.to_json();
  EXPECT_FALSE(Bandit::from_json(good.substr(0, good.size() / 2)).ok());
  EXPECT_FALSE(Bandit::from_json("[]").ok());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  auto other = Bandit::from_json(replace("segue.bandit/1", "segue.bandit/2"));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("format"), std::string::npos);
  EXPECT_FALSE(Bandit::from_json(replace("linucb-egreedy/1", "thompson/1")).ok());
  EXPECT_FALSE(Bandit::from_json(replace("\"a\":[", "\"a\":[1,")).ok());  // d*d + 1 entries
  // A(0, 0) made negative: not positive definite, so no posterior.
  std::string negative = good;
  const auto a0 = negative.find("\"a\":[") + 5;
  negative.replace(a0, negative.find(',', a0) - a0, "\"-5\"");
  auto np = Bandit::from_json(negative);
  ASSERT_FALSE(np.ok());
  EXPECT_NE(np.error().message.find("positive definite"), std::string::npos) << np.error().message;
}

}  // namespace
}  // namespace segue::recommend
