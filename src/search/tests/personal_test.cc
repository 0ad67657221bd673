#include "search/personal.h"

#include <gtest/gtest.h>

namespace segue::search {
namespace {

Hit hit(Kind kind, std::string id) {
  Hit h;
  h.kind = kind;
  h.id = std::move(id);
  return h;
}

// A user who saved tracks t1, t2 and album a1, and recently played t2 and t3.
PersonalSignals signals(int* saved_calls = nullptr) {
  PersonalSignals s;
  s.saved = [saved_calls](Kind kind, const std::vector<std::string>& ids) -> std::optional<std::vector<bool>> {
    if (saved_calls) ++*saved_calls;
    std::vector<bool> out;
    for (const auto& id : ids)
      out.push_back(kind == Kind::kTrack ? (id == "t1" || id == "t2") : id == "a1");
    return out;
  };
  s.recent_tracks = [] { return std::optional<std::vector<std::string>>({"t2", "t3"}); };
  return s;
}

TEST(PersonalBoost, TheWeightsOfEachSignal) {
  std::vector<Hit> hits = {hit(Kind::kTrack, "t1"), hit(Kind::kTrack, "t2"), hit(Kind::kTrack, "t3"),
                           hit(Kind::kTrack, "t4"), hit(Kind::kAlbum, "a1"), hit(Kind::kAlbum, "a2"),
                           hit(Kind::kArtist, "t1"), hit(Kind::kPlaylist, "a1")};
  auto b = personal_boosts(hits, signals());
  ASSERT_EQ(b.size(), hits.size());
  EXPECT_DOUBLE_EQ(b[0], 0.6);  // saved track
  EXPECT_DOUBLE_EQ(b[1], 1.0);  // saved and played recently: 0.6 + 0.4
  EXPECT_DOUBLE_EQ(b[2], 0.4);  // played recently
  EXPECT_DOUBLE_EQ(b[3], 0.0);  // neither
  EXPECT_DOUBLE_EQ(b[4], 1.0);  // saved album
  EXPECT_DOUBLE_EQ(b[5], 0.0);
  EXPECT_DOUBLE_EQ(b[6], 0.0);  // artists and playlists get no boost, whatever their id
  EXPECT_DOUBLE_EQ(b[7], 0.0);
}

TEST(PersonalBoost, TheSumIsCappedAndTheWeightsCanBeChanged) {
  PersonalWeights w;
  w.saved_track = 0.9;
  w.recent_track = 0.9;
  auto b = personal_boosts({hit(Kind::kTrack, "t2"), hit(Kind::kTrack, "t3")}, signals(), w);
  EXPECT_DOUBLE_EQ(b[0], 1.0);
  EXPECT_DOUBLE_EQ(b[1], 0.9);
}

TEST(PersonalBoost, MissingOrFailedSignalsCountZeroAndNothingIsAskedWithoutHitsOfTheKind) {
  PersonalSignals failing;
  failing.saved = [](Kind, const std::vector<std::string>&) -> std::optional<std::vector<bool>> { return std::nullopt; };
  auto b = personal_boosts({hit(Kind::kTrack, "t1"), hit(Kind::kAlbum, "a1")}, failing);
  EXPECT_EQ(b, (std::vector<double>{0.0, 0.0}));
  int calls = 0;
  auto only_artists = personal_boosts({hit(Kind::kArtist, "x")}, signals(&calls));
  EXPECT_EQ(only_artists, std::vector<double>{0.0});
  EXPECT_EQ(calls, 0);
  auto boost = make_personal_boost(signals());
  EXPECT_EQ(boost({hit(Kind::kTrack, "t1")}), std::vector<double>{0.6});
}

}  // namespace
}  // namespace segue::search
