// Recency weighting (docs/formats/event-log.md): an item's score is the sum over its plays of
// 2^((played_at - kEpoch) / half_life). Scores only ever add and subtract, so a play counts
// once however late it arrives and whatever the order; the score now is score * 2^(-(now -
// kEpoch) / half_life), and ordering by score is ordering by the decayed value at any instant.
// The exponent is clamped to +-1000 (doubles reach 2^1023): with the shortest half-life (7 days)
// this holds until 2043, when scores need re-basing to a later epoch. Pure functions.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace segue::events {

inline constexpr int64_t kDecayEpochMs = 1'704'067'200'000LL;  // 2024-01-01T00:00:00Z
inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// Half-lives: popularity (per track, album, artist) and the three ranges of top items.
inline constexpr int64_t kPopularityHalfLifeMs = 30 * kDayMs;
inline constexpr int64_t kShortTermHalfLifeMs = 7 * kDayMs;
inline constexpr int64_t kMediumTermHalfLifeMs = 30 * kDayMs;
inline constexpr int64_t kLongTermHalfLifeMs = 365 * kDayMs;
// Windows: an item appears in short_term / medium_term only if played within them.
inline constexpr int64_t kShortTermWindowMs = 28 * kDayMs;
inline constexpr int64_t kMediumTermWindowMs = 182 * kDayMs;

inline double decay_exponent(int64_t t_ms, int64_t half_life_ms) {
  return std::clamp(static_cast<double>(t_ms - kDecayEpochMs) / static_cast<double>(half_life_ms), -1000.0, 1000.0);
}

// The weight of one play at `t_ms`.
inline double play_weight(int64_t t_ms, int64_t half_life_ms) {
  return std::exp2(decay_exponent(t_ms, half_life_ms));
}

// A score's decayed value at `now_ms` (1.0 for a single play happening now).
inline double decayed(double score, int64_t now_ms, int64_t half_life_ms) {
  return score * std::exp2(-decay_exponent(now_ms, half_life_ms));
}

inline int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace segue::events
