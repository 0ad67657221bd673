// A simulated home for the bandit tests: four shelves whose click probability peaks at a
// different time of day (a planted best arm that changes with the hour), with a device effect,
// and a position-dependent examination probability for slates.
#pragma once

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "recommend/bandit.h"

namespace segue::recommend::sim {

inline const std::vector<std::string>& arms() {
  static const std::vector<std::string> a{"discover_weekly", "daily_mix_1", "jump_back_in",
                                          "new_releases"};
  return a;
}

// Click probability of arm `a` (index into arms()) in context `c` at the top position.
inline double click_probability(std::size_t a, const BanditContext& c) {
  static constexpr double peaks[] = {20.0, 14.0, 8.0, 2.0};
  double p = 0.1 + 0.4 * (1 + std::cos(2 * std::numbers::pi * (c.hour - peaks[a]) / 24.0)) / 2;
  if (a == 0 && c.device == Device::kSmartphone) p += 0.05;  // discovery on the phone
  if (a == 2 && c.device == Device::kSpeaker) p += 0.05;     // familiar music on the speaker
  return p;
}

// The share of users who look at position k at all (rewards there are scaled by it).
inline double examination(std::size_t k) { return k == 0 ? 1.0 : k == 1 ? 0.6 : 0.4; }

inline BanditContext random_context(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  BanditContext c;
  c.hour = 24.0 * unit(rng);
  c.weekday = static_cast<int>(rng() % 7);
  static constexpr Device devices[] = {Device::kComputer, Device::kSmartphone, Device::kSpeaker};
  c.device = devices[rng() % 3];
  c.discovery_share = unit(rng);
  c.skip_share = unit(rng);
  c.home_share = unit(rng);
  return c;
}

inline std::size_t index_of(const std::string& arm) {
  for (std::size_t i = 0; i < arms().size(); ++i)
    if (arms()[i] == arm) return i;
  return arms().size();
}

// Trains `b` on `rounds` single-slot decisions of its own, from `seed`.
inline void train(Bandit& b, int rounds, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int t = 0; t < rounds; ++t) {
    const auto c = random_context(rng);
    const auto placed = b.rank(c, arms(), rng, 1);
    const std::size_t a = index_of(placed.value()[0].arm);
    b.update(c, arms()[a], unit(rng) < click_probability(a, c) ? 1.0 : 0.0);
  }
}

}  // namespace segue::recommend::sim
