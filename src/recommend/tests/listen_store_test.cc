#include "recommend/listen_store.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <tuple>

namespace segue::recommend {
namespace {

class ListenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-listens-" + std::to_string(::getpid()) + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    db_ = store::testing::open((dir_ / "db").string()).value();
    ASSERT_TRUE(db_->migrate("recommend", recommend_migrations()).ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  UserId a_{"aaaaaaaaaaaaaaaaaaaaaa"}, b_{"bbbbbbbbbbbbbbbbbbbbbb"};
};

TEST_F(ListenStoreTest, ImportsOnceResolvesLaterAndAggregates) {
  std::vector<StoredListen> rows;
  for (int i = 0; i < 1200; ++i)  // more than one statement's worth
    rows.push_back({i % 2 ? a_ : b_, 1000 + i, "Artist " + std::to_string(i % 3), "", "Song " + std::to_string(i % 5),
                    i % 5 == 0 ? std::optional<TrackId>(TrackId("track0")) : std::nullopt, "lastfm"});
  int64_t added = 0;
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(added, insert_listens(c, rows));
                   return {};
                 }).ok());
  EXPECT_EQ(added, 1200);
  // The same export again adds nothing.
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(added, insert_listens(c, rows));
                   return {};
                 }).ok());
  EXPECT_EQ(added, 0);
  ListenCounts counts;
  std::vector<UnmatchedName> names;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(counts, count_listens(c));
                   SEGUE_ASSIGN_OR_RETURN(names, load_unmatched_names(c, 100));
                   return {};
                 }).ok());
  EXPECT_EQ(counts.total, 1200);
  EXPECT_EQ(counts.matched, 240);
  EXPECT_EQ(names.size(), 12u);  // 3 artists x 4 songs (song 0 is matched)
  // A later scan brings "Song 1" by "Artist 1": its listens get the track.
  int64_t set = 0;
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(set, set_listen_track(c, {"Artist 1", "Song 1", ""}, TrackId("track1")));
                   return {};
                 }).ok());
  EXPECT_EQ(set, 80);  // i = 1 mod 15
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> agg;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
                   return for_each_listen_aggregate(c, [&](ListenAggregate&& x) {
                     agg[{x.user.str(), x.track.str()}] = {x.plays, x.last_ms};
                   });
                 }).ok());
  // track0: i = 0 mod 5, split by parity (b_ even, a_ odd); track1: i = 1 mod 15 (odd and even).
  auto at = [&](const UserId& u, const char* t) { return agg[std::make_pair(u.str(), std::string(t))]; };
  EXPECT_EQ(at(b_, "track0").first, 120);
  EXPECT_EQ(at(a_, "track0").first, 120);
  EXPECT_EQ(at(a_, "track0").second, 1000 + 1195);
  EXPECT_EQ(at(a_, "track1").first + at(b_, "track1").first, 80);
}

}  // namespace
}  // namespace segue::recommend

namespace segue::recommend {
namespace {

TEST_F(ListenStoreTest, NamesRoundTripWhateverCharactersTheyHold) {
  // Quotes, backslashes, braces, commas, the word NULL, an empty album, non-ASCII: what the
  // PostgreSQL path's array literals must escape.
  const std::vector<std::string> names = {"Say \"Hi\" \\ {a,b}", "NULL", "", "Ünïcode, ✓", "\\", "{}", "a\tb"};
  std::vector<StoredListen> rows;
  for (std::size_t i = 0; i < names.size(); ++i)
    rows.push_back({a_, static_cast<int64_t>(i), names[i].empty() ? "x" : names[i], names[(i + 1) % names.size()],
                    names[i].empty() ? "x" : names[i], std::nullopt, "listenbrainz"});
  rows.push_back(rows[0]);  // the same listen twice in one batch
  int64_t added = 0;
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(added, insert_listens(c, rows));
                   return {};
                 }).ok());
  EXPECT_EQ(added, static_cast<int64_t>(names.size()));
  std::set<std::tuple<std::string, std::string, std::string>> got, want;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(auto un, load_unmatched_names(c, 100));
                   for (auto& u : un) got.insert({u.artist, u.album, u.title});
                   return {};
                 }).ok());
  for (std::size_t i = 0; i < names.size(); ++i) want.insert({rows[i].artist, rows[i].album, rows[i].title});
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace segue::recommend
