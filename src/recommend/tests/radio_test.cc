// Radio's rules without a database (recommend/radio.h): seed URIs, feedback from a station's
// history, and how a batch is picked from candidates.
#include "recommend/radio.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace segue::recommend {
namespace {

constexpr const char* kId = "4iV5W9uYEdYUVa79Axb7Rh";

TEST(RadioSeed, ParsesEveryKindAndBothSchemesAndRadioUris) {
  auto t = parse_radio_seed(std::string("spotify:track:") + kId);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, SeedKind::kTrack);
  EXPECT_EQ(t->id, kId);
  EXPECT_EQ(t->context_uri(), std::string("segue:radio:segue:track:") + kId);
  auto p = parse_radio_seed(std::string("segue:playlist:") + kId);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, SeedKind::kPlaylist);
  // A radio's own context URI names the same station.
  auto again = parse_radio_seed(p->context_uri());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, SeedKind::kPlaylist);
  EXPECT_EQ(again->uri(), p->uri());
  EXPECT_EQ(parse_radio_seed(std::string("segue:album:") + kId)->kind, SeedKind::kAlbum);
  EXPECT_EQ(parse_radio_seed(std::string("segue:artist:") + kId)->kind, SeedKind::kArtist);
}

TEST(RadioSeed, RefusesWhatIsNotASeed) {
  for (std::string bad : {"", "segue:show:4iV5W9uYEdYUVa79Axb7Rh", "segue:track:", "segue:track:not-base62!",
                          "http://x/track/4iV5W9uYEdYUVa79Axb7Rh", "segue:radio:", "segue:radio:segue:radio:x"}) {
    auto r = parse_radio_seed(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

// Tracks "<artist><n>", artist = the first letter; artist A's neighbour is B (0.5), B's is A (1).
std::vector<std::string> artists_of(const std::string& track) { return {track.substr(0, 1)}; }
std::vector<std::pair<std::string, float>> neighbors_of(const std::string& artist) {
  if (artist == "A") return {{"B", 0.5f}};
  if (artist == "B") return {{"A", 1.0f}};
  return {};
}

TEST(RadioFeedback, SkipsPushDownPlaysPullUpAndNeighboursFollow) {
  RadioHistory h;
  h.played = {"A1", "A2"};
  h.skipped = {"C1"};
  FeedbackWeights w;
  auto fb = radio_feedback(h, artists_of, neighbors_of, w);
  EXPECT_FLOAT_EQ(fb.adjust["A"], 2 * w.play);
  EXPECT_FLOAT_EQ(fb.adjust["B"], w.neighbor * 2 * w.play * 0.5f);
  EXPECT_FLOAT_EQ(fb.adjust["C"], -w.skip);
  EXPECT_EQ(fb.dropped, std::unordered_set<std::string>{"C"});
  // An artist skipped as often as played through stays; its net is what moves it.
  h.skipped = {"A3", "A4"};
  fb = radio_feedback(h, artists_of, neighbors_of, w);
  EXPECT_TRUE(fb.dropped.empty());
  EXPECT_FLOAT_EQ(fb.adjust["A"], 2 * w.play - 2 * w.skip);
  EXPECT_LT(fb.adjust["B"], 0) << "a skipped artist's neighbour goes down too";
  // Bounded: many skips cannot bury an artist deeper than the cap.
  h.played.clear();
  h.skipped.assign(50, "B1");
  fb = radio_feedback(h, artists_of, neighbors_of, w);
  EXPECT_FLOAT_EQ(fb.adjust["B"], -w.cap);
  EXPECT_FLOAT_EQ(fb.adjust["A"], -w.cap);
}

TEST(RadioFeedback, KeepsOnlyTheNewestHistory) {
  RadioHistory h;
  h.skipped.assign(RadioHistory::kMaxHistory, "C1");
  h.skipped.insert(h.skipped.begin(), 100, "D1");  // older than the bound: forgotten
  auto fb = radio_feedback(h, artists_of, neighbors_of);
  EXPECT_TRUE(fb.dropped.count("C"));
  EXPECT_FALSE(fb.dropped.count("D"));
}

std::vector<RadioCandidate> pool() {
  // Tier 0: A1..A4 and B1..B3 by score; tier 2: C1, C2.
  return {{"A1", "A", 1.0f, 0}, {"A2", "A", 0.9f, 0}, {"A3", "A", 0.8f, 0}, {"A4", "A", 0.7f, 0},
          {"B1", "B", 0.6f, 0}, {"B2", "B", 0.5f, 0}, {"B3", "B", 0.4f, 0}, {"C1", "C", 1.0f, 2},
          {"C2", "C", 0.9f, 2}};
}

TEST(PickRadio, FewPerArtistWhileOthersRemainAndSeedTiersBeforeFiller) {
  auto out = pick_radio(pool(), {}, {}, 6, 2);
  // Two of A, two of B under the cap, then A's next best (over the cap, still like the seeds)
  // before the filler tier.
  EXPECT_EQ(out, (std::vector<std::string>{"A1", "A2", "B1", "B2", "A3", "A4"}));
  out = pick_radio(pool(), {}, {}, 9, 2);
  EXPECT_EQ(out.size(), 9u);
  EXPECT_EQ(out[7], "C1");
}

TEST(PickRadio, NeverRepeatsHistoryNorATrackTwice) {
  auto cands = pool();
  cands.push_back({"A1", "A", 5.0f, 2});  // the same track again from another tier
  auto out = pick_radio(cands, {}, {"A2", "B1"}, 20, 2);
  std::set<std::string> distinct(out.begin(), out.end());
  EXPECT_EQ(distinct.size(), out.size());
  EXPECT_FALSE(distinct.count("A2"));
  EXPECT_FALSE(distinct.count("B1"));
  EXPECT_EQ(out.size(), 7u);
  EXPECT_EQ(out.front(), "A1") << "a track takes its best tier";
}

TEST(PickRadio, AnEarlySkippedArtistDropsOutWhileOthersRemain) {
  RadioHistory h;
  h.played = {"A1"};
  h.skipped = {"B1"};
  auto fb = radio_feedback(h, artists_of, neighbors_of);
  std::unordered_set<std::string> seen{"A1", "B1"};
  auto out = pick_radio(pool(), fb, seen, 5, 2);
  // A2, A3 (A over the cap stays in tier 0), then the filler, and B only at the very end.
  EXPECT_EQ(out, (std::vector<std::string>{"A2", "A3", "A4", "C1", "C2"}));
  out = pick_radio(pool(), fb, seen, 20, 2);
  EXPECT_EQ(out.back(), "B3");
  EXPECT_EQ(out.size(), 7u);
}

TEST(PickRadio, PlaysThroughPullAnArtistUpWithinItsTier) {
  // Without feedback A2 (0.9) leads B1 (0.6); after B is played through twice B1 leads.
  RadioHistory h;
  h.played = {"B2", "B3"};
  auto fb = radio_feedback(h, artists_of, [](const std::string&) { return std::vector<std::pair<std::string, float>>{}; });
  std::vector<RadioCandidate> c{{"A2", "A", 0.9f, 0}, {"B1", "B", 0.6f, 0}};
  EXPECT_EQ(pick_radio(c, {}, {}, 1, 2), std::vector<std::string>{"A2"});
  EXPECT_EQ(pick_radio(c, fb, {"B2", "B3"}, 1, 2), std::vector<std::string>{"B1"});
}

}  // namespace
}  // namespace segue::recommend
