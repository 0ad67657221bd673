#include "recommend/made_for_you.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "user/preferences.h"

namespace segue::recommend {
namespace {

// Milliseconds of a UTC time.
int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string key(MixKind k, const char* zone, int64_t ms) {
  auto r = period_key(k, zone, ms);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : "";
}

TEST(PeriodKeyTest, DiscoverWeeklyTurnsAtMondayMidnightLocal) {
  // Monday 2026-12-07 00:00 in Berlin (CET, +1) is Sunday 23:00 UTC.
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Europe/Berlin", utc(2026, 12, 6, 22, 59, 59)), "2026-W49");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Europe/Berlin", utc(2026, 12, 6, 23, 0, 0)), "2026-W50");
  // The same instant is still Sunday in UTC and in New York, and Monday morning in Tokyo.
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "UTC", utc(2026, 12, 6, 23, 0, 0)), "2026-W49");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "America/New_York", utc(2026, 12, 7, 4, 59, 59)), "2026-W49");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "America/New_York", utc(2026, 12, 7, 5, 0, 0)), "2026-W50");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Asia/Tokyo", utc(2026, 12, 6, 14, 59, 59)), "2026-W49");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Asia/Tokyo", utc(2026, 12, 6, 15, 0, 0)), "2026-W50");
}

TEST(PeriodKeyTest, DaylightSavingTimeMovesTheBoundaryInUtc) {
  // Berlin went to summer time on Sunday 2026-03-29: Monday 00:00 CEST (+2) is 22:00 UTC.
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Europe/Berlin", utc(2026, 3, 29, 21, 59, 59)), "2026-W13");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Europe/Berlin", utc(2026, 3, 29, 22, 0, 0)), "2026-W14");
  // And back on Sunday 2026-10-25: Monday 00:00 CET (+1) is 23:00 UTC.
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Europe/Berlin", utc(2026, 10, 25, 22, 59, 59)), "2026-W43");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Europe/Berlin", utc(2026, 10, 25, 23, 0, 0)), "2026-W44");
  // The day of the change itself has 23 hours: the day key follows the local date.
  EXPECT_EQ(key(MixKind::kDailyMix, "Europe/Berlin", utc(2026, 3, 28, 23, 0, 0)), "2026-03-29");
  EXPECT_EQ(key(MixKind::kDailyMix, "Europe/Berlin", utc(2026, 3, 29, 21, 59, 59)), "2026-03-29");
  EXPECT_EQ(key(MixKind::kDailyMix, "Europe/Berlin", utc(2026, 3, 29, 22, 0, 0)), "2026-03-30");
}

TEST(PeriodKeyTest, IsoWeeksAcrossTheYearAndFridays) {
  // 2026 has 53 ISO weeks (it starts on a Thursday): New Year's Eve is in 2026-W53.
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "UTC", utc(2026, 12, 31, 12)), "2026-W53");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "UTC", utc(2027, 1, 3, 23, 59, 59)), "2026-W53");
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "UTC", utc(2027, 1, 4)), "2027-W01");
  // Release Radar's week starts on Friday 00:00 local: Friday 2026-12-04 to Thursday 12-10.
  EXPECT_EQ(key(MixKind::kReleaseRadar, "UTC", utc(2026, 12, 3, 23, 59, 59)), "2026-11-27");
  EXPECT_EQ(key(MixKind::kReleaseRadar, "UTC", utc(2026, 12, 4)), "2026-12-04");
  EXPECT_EQ(key(MixKind::kReleaseRadar, "UTC", utc(2026, 12, 10, 23, 59, 59)), "2026-12-04");
  EXPECT_EQ(key(MixKind::kReleaseRadar, "Pacific/Auckland", utc(2026, 12, 3, 11)), "2026-12-04");
}

TEST(PeriodKeyTest, CatchUpAfterAMissedWeekIsOneGeneration) {
  // The scheduler compares the current key with the last generation's: after two weeks down,
  // the keys differ once (one generation for the current week, none for the missed one).
  const std::string last = key(MixKind::kDiscoverWeekly, "Europe/Paris", utc(2026, 11, 23, 9));
  const std::string now = key(MixKind::kDiscoverWeekly, "Europe/Paris", utc(2026, 12, 8, 9));
  EXPECT_EQ(last, "2026-W48");
  EXPECT_EQ(now, "2026-W50");
  EXPECT_NE(last, now);
  EXPECT_EQ(key(MixKind::kDiscoverWeekly, "Europe/Paris", utc(2026, 12, 13, 22, 59)), now);
}

TEST(PeriodKeyTest, UnknownZonesAreRefused) {
  EXPECT_FALSE(period_key(MixKind::kDailyMix, "Mars/Olympus_Mons", 0).ok());
  EXPECT_FALSE(user::check_time_zone("Mars/Olympus_Mons").ok());
  EXPECT_FALSE(user::check_time_zone("../../etc/passwd").ok());
  EXPECT_FALSE(user::check_time_zone("").ok());
  EXPECT_TRUE(user::check_time_zone("UTC").ok());
  EXPECT_TRUE(user::check_time_zone("America/Argentina/Buenos_Aires").ok());
}

// Candidates of `artists` artists with `per` tracks each; factors one direction per artist.
struct Pool {
  std::vector<Candidate> candidates;
  FactorMatrix factors;
};

TEST(DiversifyTest, KeepsAtMostTwoPerArtistAndTheBestFirst) {
  Pool p;
  p.factors = FactorMatrix::Zero(30, 6);
  for (int i = 0; i < 30; ++i) {
    const int artist = i < 20 ? 0 : 1 + (i - 20);  // 20 tracks of one artist, then 10 artists
    p.candidates.push_back({"t" + std::to_string(i), "a" + std::to_string(artist), 30.0f - i, i});
    p.factors(i, artist % 6) = 1;
  }
  auto picked = diversify(p.candidates, &p.factors, 10, 2);
  ASSERT_EQ(picked.size(), 10u);
  EXPECT_EQ(picked[0], 0u);  // the most relevant first
  std::map<std::string, int> per;
  for (auto i : picked) ++per[p.candidates[i].artist];
  for (const auto& [a, n] : per) EXPECT_LE(n, 2) << a;
  EXPECT_EQ(per["a0"], 2);
  // Fewer candidates than asked: every one the cap allows, no more.
  auto few = diversify(p.candidates, &p.factors, 100, 2);
  EXPECT_EQ(few.size(), 2u + 10u);
}

TEST(DiversifyTest, PrefersSpreadOverNearDuplicates) {
  // Five artists each with one track; the three best-scored point the same way, two others
  // point elsewhere with slightly lower scores: MMR takes one of the cluster, then the others.
  std::vector<Candidate> c = {{"a", "x1", 1.00f, 0}, {"b", "x2", 0.99f, 1}, {"c", "x3", 0.98f, 2},
                              {"d", "x4", 0.90f, 3}, {"e", "x5", 0.89f, 4}};
  FactorMatrix f = FactorMatrix::Zero(5, 3);
  f(0, 0) = 1;
  f(1, 0) = 1;
  f(1, 1) = 0.05f;
  f(2, 0) = 1;
  f(2, 2) = 0.05f;
  f(3, 1) = 1;
  f(4, 2) = 1;
  auto picked = diversify(c, &f, 3, 2, 0.5f);
  ASSERT_EQ(picked.size(), 3u);
  EXPECT_EQ(picked[0], 0u);
  EXPECT_EQ(std::set<std::size_t>(picked.begin() + 1, picked.end()), (std::set<std::size_t>{3, 4}));
  // With relevance only (lambda 1), the order is the scores'.
  auto plain = diversify(c, &f, 3, 2, 1.0f);
  EXPECT_EQ(plain, (std::vector<std::size_t>{0, 1, 2}));
  // Deterministic.
  EXPECT_EQ(diversify(c, &f, 3, 2, 0.5f), picked);
  // Without factors: the per-artist cap and the scores alone.
  std::vector<Candidate> same_artist = {{"a", "x", 3, -1}, {"b", "x", 2, -1}, {"c", "x", 1, -1}, {"d", "y", 0, -1}};
  EXPECT_EQ(diversify(same_artist, nullptr, 4, 2), (std::vector<std::size_t>{0, 1, 3}));
}

FactorMatrix planted(const std::vector<int>& sizes, int dims, uint64_t seed, std::vector<int>& truth) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0, 0.08f);
  int rows = 0;
  for (int s : sizes) rows += s;
  FactorMatrix m(rows, dims);
  int r = 0;
  for (std::size_t g = 0; g < sizes.size(); ++g)
    for (int i = 0; i < sizes[g]; ++i, ++r) {
      for (int d = 0; d < dims; ++d) m(r, d) = noise(rng);
      m(r, static_cast<int>(g)) += 1.0f + 0.5f * static_cast<float>(i % 3);  // length varies; direction is the group
      truth.push_back(static_cast<int>(g));
    }
  return m;
}

TEST(KMeansTest, FindsPlantedGroups) {
  std::vector<int> truth;
  FactorMatrix m = planted({12, 9, 7}, 8, 7, truth);
  auto clusters = taste_clusters(m, 6, 4, 42);
  ASSERT_EQ(clusters.size(), truth.size());
  // Each planted group is one cluster, and different groups different clusters, largest first.
  std::map<int, std::set<int>> of_group;
  for (std::size_t i = 0; i < truth.size(); ++i) of_group[truth[i]].insert(clusters[i]);
  ASSERT_EQ(of_group.size(), 3u);
  EXPECT_EQ(of_group[0], (std::set<int>{0}));
  EXPECT_EQ(of_group[1], (std::set<int>{1}));
  EXPECT_EQ(of_group[2], (std::set<int>{2}));
  EXPECT_GT(silhouette(m, clusters, 3), 0.7);
}

TEST(KMeansTest, DropsSmallClustersAndKeepsOneTasteWhole) {
  std::vector<int> truth;
  // Two real groups and a stray pair: the pair is under the minimum size.
  FactorMatrix m = planted({10, 10, 2}, 8, 11, truth);
  auto clusters = taste_clusters(m, 6, 4, 42);
  std::map<int, std::set<int>> of_group;
  for (std::size_t i = 0; i < truth.size(); ++i) of_group[truth[i]].insert(clusters[i]);
  EXPECT_EQ(of_group[0].size(), 1u);
  EXPECT_EQ(of_group[1].size(), 1u);
  EXPECT_NE(*of_group[0].begin(), *of_group[1].begin());
  EXPECT_EQ(of_group[2], (std::set<int>{-1}));
  // One taste only: no split into several mixes.
  std::vector<int> one;
  FactorMatrix single = planted({16}, 8, 5, one);
  auto c1 = taste_clusters(single, 6, 4, 42);
  EXPECT_EQ(std::set<int>(c1.begin(), c1.end()), (std::set<int>{0}));
  // k-means itself is deterministic for a seed.
  EXPECT_EQ(kmeans(m, 3, 9), kmeans(m, 3, 9));
}

TEST(KMeansTest, SplitsTastesThatShareACommonDirection) {
  // As ALS factors do: every item leans toward a shared direction (mean cosine above 0.9), and
  // two tastes differ in a smaller part.
  std::mt19937_64 rng(3);
  std::normal_distribution<float> noise(0, 0.01f);
  FactorMatrix m(16, 6);
  for (int r = 0; r < 16; ++r) {
    for (int d = 0; d < 6; ++d) m(r, d) = noise(rng);
    m(r, 0) += 1.0f;
    m(r, r < 8 ? 1 : 2) += 0.4f;
  }
  auto clusters = taste_clusters(m, 6, 4, 42);
  EXPECT_EQ(std::set<int>(clusters.begin(), clusters.begin() + 8).size(), 1u);
  EXPECT_EQ(std::set<int>(clusters.begin() + 8, clusters.end()).size(), 1u);
  EXPECT_NE(clusters[0], clusters[8]);
  EXPECT_GE(std::min(clusters[0], clusters[8]), 0);
}

}  // namespace
}  // namespace segue::recommend
