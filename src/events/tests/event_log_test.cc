#include "events/event_log.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace segue::events {
namespace {
using namespace std::chrono;

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-events-" + std::to_string(::getpid()) + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto db = store::testing::open((dir_ / "db").string());
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    ASSERT_TRUE(db_->migrate("events", event_migrations()).ok());
    log_ = std::make_unique<EventLog>(*db_);
  }
  void TearDown() override {
    log_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  PlaybackEvent end(int i, int64_t pos, bool skip) {
    PlaybackEvent e;
    e.type = EventType::kTrackEnd;
    e.track = TrackId(std::string(21, 'A') + static_cast<char>('a' + i));
    e.position_ms = pos;
    e.skip = skip;
    e.timestamp_ms = 1'700'000'000'000 + i * 1000;
    return e;
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<EventLog> log_;
  const UserId user_{"uuuuuuuuuuuuuuuuuuuuuu"};
};

TEST(PlayRule, ThirtySecondsOrPlayedToTheEnd) {
  PlaybackEvent e;
  e.type = EventType::kTrackEnd;
  e.position_ms = 29999;
  e.skip = true;
  EXPECT_FALSE(counts_as_play(e));
  e.position_ms = 30000;
  EXPECT_TRUE(counts_as_play(e));
  e.position_ms = 20000;
  e.skip = false;  // a 20 s track played to its end
  EXPECT_TRUE(counts_as_play(e));
  e.type = EventType::kTrackStart;
  EXPECT_FALSE(counts_as_play(e));
}

TEST(Validate, NamesTheBadField) {
  PlaybackEvent e;
  e.track = TrackId("../etc/passwd");
  e.timestamp_ms = 1'700'000'000'000;
  auto s = validate(e, system_clock::now());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.rfind("track_id", 0), 0u);
  e.track = TrackId("AAAAAAAAAAAAAAAAAAAAAA");
  e.position_ms = -1;
  EXPECT_EQ(validate(e, system_clock::now()).error().message.rfind("position_ms", 0), 0u);
  e.position_ms = 0;
  e.timestamp_ms = 4'000'000'000'000;
  EXPECT_EQ(validate(e, system_clock::now()).error().message.rfind("timestamp", 0), 0u);
}

TEST_F(EventLogTest, RecentlyPlayedListsOnlyPlaysNewestFirstWithCursors) {
  std::vector<PlaybackEvent> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(end(i, i % 2 ? 40000 : 5000, true));  // odd ones count
  ASSERT_TRUE(log_->append(user_, batch).ok());
  auto page = log_->recently_played(user_, 3, std::nullopt, std::nullopt);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->items[0].track.str().back(), 'j');  // i = 9
  EXPECT_EQ(page->items[2].track.str().back(), 'f');  // i = 5
  auto older = log_->recently_played(user_, 3, page->items.back().played_at_ms, std::nullopt);
  ASSERT_EQ(older->items.size(), 2u);
  EXPECT_FALSE(older->has_more);
  auto newer = log_->recently_played(user_, 1, std::nullopt, older->items.front().played_at_ms);
  ASSERT_EQ(newer->items.size(), 1u);
  EXPECT_EQ(newer->items[0].track.str().back(), 'f');
  EXPECT_TRUE(newer->has_more);
}

TEST_F(EventLogTest, OtherUsersPlaysAreInvisible) {
  ASSERT_TRUE(log_->append(UserId("vvvvvvvvvvvvvvvvvvvvvv"), {end(1, 60000, false)}).ok());
  EXPECT_TRUE(log_->recently_played(user_, 50, std::nullopt, std::nullopt)->items.empty());
}

}  // namespace
}  // namespace segue::events
