// The smart_playlists table, and the owner's plays read from the event pipeline's top-items
// table and the imported listens (on the real schemas: the events module's and recommend's
// migrations).
#include "recommend/smart_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "events/log.h"
#include "recommend/listen_store.h"
#include "store/testing.h"

namespace segue::recommend {
namespace {

class SmartStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-smart-" + std::to_string(::getpid()) + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    db_ = store::testing::open((dir_ / "db").string()).value();
    ASSERT_TRUE(db_->migrate("smart_playlists", smart_playlist_migrations()).ok());
    ASSERT_TRUE(db_->migrate("recommend", recommend_migrations()).ok());
    ASSERT_TRUE(db_->migrate("events", events::event_migrations()).ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  UserId a_{"aaaaaaaaaaaaaaaaaaaaaa"}, b_{"bbbbbbbbbbbbbbbbbbbbbb"};
  PlaylistId p1_{"pppppppppppppppppppppp"}, p2_{"qqqqqqqqqqqqqqqqqqqqqq"};
};

TEST_F(SmartStoreTest, RulesAreStoredReplacedMarkedAndDeleted) {
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                   SEGUE_TRY(put_smart(c, p1_, a_, R"({"all":[{"gt":{"year":1990}}]})"));
                   SEGUE_TRY(put_smart(c, p2_, b_, R"({"any":[{"is":{"saved":true}}]})"));
                   return mark_refreshed(c, p1_, 1234, "abc");
                 }).ok());
  std::optional<StoredSmart> one;
  std::vector<StoredSmart> all;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(one, load_smart(c, p1_));
                   SEGUE_ASSIGN_OR_RETURN(all, list_smart(c));
                   return {};
                 }).ok());
  ASSERT_TRUE(one);
  EXPECT_EQ(one->owner, a_);
  EXPECT_EQ(one->rules, R"({"all":[{"gt":{"year":1990}}]})");
  EXPECT_EQ(one->refreshed_at_ms, 1234);
  EXPECT_EQ(one->last_uris_hash, "abc");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].playlist, p1_);  // by owner
  EXPECT_EQ(all[1].playlist, p2_);
  // New rules make a refresh due again.
  ASSERT_TRUE(db_->write([&](store::Connection& c) { return put_smart(c, p1_, a_, R"({"all":[{"lt":{"year":1990}}]})"); }).ok());
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(one, load_smart(c, p1_));
                   return {};
                 }).ok());
  EXPECT_EQ(one->rules, R"({"all":[{"lt":{"year":1990}}]})");
  EXPECT_EQ(one->refreshed_at_ms, 0);
  EXPECT_EQ(one->last_uris_hash, "");
  ASSERT_TRUE(db_->write([&](store::Connection& c) { return delete_smart(c, p1_); }).ok());
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(one, load_smart(c, p1_));
                   SEGUE_ASSIGN_OR_RETURN(all, list_smart(c));
                   return {};
                 }).ok());
  EXPECT_FALSE(one);
  EXPECT_EQ(all.size(), 1u);
}

TEST_F(SmartStoreTest, PlaysComeFromTopItemsAndImportedListensSummed) {
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                   // Track plays (kind 0) of a and b, and an artist row (kind 2) that must not count.
                   SEGUE_TRY(c.exec("INSERT INTO event_user_top (user_id, kind, id, plays, s_short, s_medium, s_long, last_played) "
                                    "VALUES (?, 0, 't1', 4, 0, 0, 0, 5000), (?, 0, 't2', 1, 0, 0, 0, 7000), "
                                    "(?, 2, 't1', 9, 0, 0, 0, 9000), (?, 0, 't1', 50, 0, 0, 0, 9999)",
                                    {a_.str(), a_.str(), a_.str(), b_.str()}));
                   std::vector<StoredListen> listens = {
                       {a_, 6000, "A", "", "One", TrackId("t1"), "lastfm"},
                       {a_, 4000, "A", "", "One", TrackId("t1"), "lastfm"},
                       {a_, 3000, "C", "", "Three", TrackId("t3"), "lastfm"},
                       {a_, 8000, "X", "", "Unmatched", std::nullopt, "lastfm"},
                   };
                   SEGUE_TRY(insert_listens(c, listens));
                   return {};
                 }).ok());
  smart::UserFacts facts;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
                   SEGUE_TRY(add_event_plays(c, a_, facts));
                   return add_imported_plays(c, a_, facts);
                 }).ok());
  ASSERT_EQ(facts.plays.size(), 3u);
  EXPECT_EQ(facts.plays["t1"].count, 6);      // 4 from events + 2 imported
  EXPECT_EQ(facts.plays["t1"].last_ms, 6000);  // the later of the two sources
  EXPECT_EQ(facts.plays["t2"].count, 1);
  EXPECT_EQ(facts.plays["t2"].last_ms, 7000);
  EXPECT_EQ(facts.plays["t3"].count, 1);
  EXPECT_EQ(facts.plays["t3"].last_ms, 3000);
}

}  // namespace
}  // namespace segue::recommend
