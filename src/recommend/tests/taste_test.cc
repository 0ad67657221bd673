// The taste consumer through a real event log (both layouts: derived state in the log's
// database, and in a database of its own that the log migrates for it).
#include "recommend/taste.h"

#include <gtest/gtest.h>

#include "events/tests/test_util.h"

namespace segue::recommend {
namespace {

using namespace segue::events;
using namespace segue::events::testing;

class TasteTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { db_ = tmp_.open(); }
  std::unique_ptr<EventLog> open_log() {
    EventLogOptions o;
    o.lookup = lookup_track;
    o.start_threads = false;
    o.extra_consumers = {&taste_};
    if (GetParam()) o.derived_databases = derived_files(tmp_.derived_dir());
    auto log = EventLog::open(*db_, o);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
    return log.ok() ? std::move(*log) : nullptr;
  }
  static Event click(const UserId& u, const std::string& uri, int64_t ts) {
    Event e;
    e.type = EventType::kSearchClick;
    e.user = u;
    e.timestamp_ms = ts;
    e.payload = SearchClick{"q", uri, 0};
    return e;
  }
  TempDb tmp_;
  std::unique_ptr<store::Database> db_;
  TasteConsumer taste_;
};

INSTANTIATE_TEST_SUITE_P(Layouts, TasteTest, ::testing::Values(false, true),
                         [](const auto& i) { return i.param ? "own_database" : "log_database"; });

TEST_P(TasteTest, PlaysEarlySkipsAndClicksAreSummedPrivateSessionsAreNot) {
  auto log = open_log();
  ASSERT_TRUE(log);
  const int64_t t1 = kT0, t2 = kT0 + 10 * kDayMs;
  auto appended = log->append({
                              play_start(user(1), 1, t1),                          // not a signal
                              play_end(user(1), 1, t1),                            // play
                              play_end(user(1), 1, t2),                            // play
                              play_end(user(1), 2, t1, 5000, true),                // early skip
                              play_end(user(1), 3, t1, 45000, true),               // late skip: a play
                              play_end(user(1), 4, t1, 10000, false),              // a short track played to its end: a play
                              play_end(user(1), 5, t1, 90000, false, true),        // private: nothing
                              click(user(1), "segue:artist:" + artist(3).str(), t2),  // click on an artist
                              click(user(1), "segue:playlist:" + id22("pl", 1), t2),  // not an item we learn from
                              play_end(user(2), 1, t2),
                          });
  ASSERT_TRUE(appended.ok()) << appended.error().message;
  ASSERT_TRUE(log->catch_up().ok());
  auto rows = TasteConsumer::of_user(log->derived_db(TasteConsumer::kName), user(1));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  std::map<std::pair<int, std::string>, TasteRow> by;
  for (auto& r : *rows) by[{static_cast<int>(r.kind), r.id}] = r;
  ASSERT_EQ(by.size(), 5u);
  const auto& one = by.at({0, track(1).str()});
  EXPECT_EQ(one.plays, 2);
  EXPECT_EQ(one.skips, 0);
  EXPECT_DOUBLE_EQ(one.play_score, play_weight(t1, kTasteHalfLifeMs) + play_weight(t2, kTasteHalfLifeMs));
  EXPECT_EQ(one.last_ms, t2);
  const auto& two = by.at({0, track(2).str()});
  EXPECT_EQ(two.plays, 0);
  EXPECT_EQ(two.skips, 1);
  EXPECT_GT(two.skip_score, 0);
  EXPECT_EQ(by.at({0, track(3).str()}).plays, 1);
  const auto& art = by.at({2, artist(3).str()});
  EXPECT_EQ(art.clicks, 1);
  EXPECT_EQ(art.plays, 0);
  EXPECT_EQ(by.at({0, track(4).str()}).plays, 1);
  EXPECT_FALSE(by.count({0, track(5).str()}));

  // Every row, for training: both users.
  std::set<std::string> users;
  int n = 0;
  ASSERT_TRUE(TasteConsumer::for_each(log->derived_db(TasteConsumer::kName), [&](TasteRow&& r) {
                ++n;
                users.insert(r.user.str());
              }).ok());
  EXPECT_EQ(n, 6);
  EXPECT_EQ(users.size(), 2u);

  // Deleting a user's history takes their signals with it, and only theirs.
  ASSERT_TRUE(log->delete_history(user(1)).ok());
  auto after = TasteConsumer::of_user(log->derived_db(TasteConsumer::kName), user(1));
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
  auto other = TasteConsumer::of_user(log->derived_db(TasteConsumer::kName), user(2));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->size(), 1u);
}

TEST_P(TasteTest, AReplayRebuildsTheSameSums) {
  auto log = open_log();
  ASSERT_TRUE(log);
  std::vector<Event> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(play_end(user(i % 3), i % 11, kT0 + i * 60000, i % 4 ? 60000 : 3000, i % 4 == 0));
  ASSERT_TRUE(log->append(batch).ok());
  ASSERT_TRUE(log->catch_up().ok());
  auto dump = [&] {
    std::vector<std::tuple<std::string, std::string, int64_t, int64_t, double>> out;
    EXPECT_TRUE(TasteConsumer::for_each(log->derived_db(TasteConsumer::kName), [&](TasteRow&& r) {
                  out.emplace_back(r.user.str(), r.id, r.plays, r.skips, r.play_score);
                }).ok());
    return out;
  };
  auto before = dump();
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(log->drop_and_replay(TasteConsumer::kName).ok());
  ASSERT_TRUE(log->catch_up().ok());
  auto again = dump();
  ASSERT_EQ(before.size(), again.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(std::get<2>(before[i]), std::get<2>(again[i]));
    EXPECT_EQ(std::get<3>(before[i]), std::get<3>(again[i]));
    EXPECT_NEAR(std::get<4>(before[i]), std::get<4>(again[i]), 1e-9 * std::abs(std::get<4>(before[i])));
  }
}

// Plays started from home are its rewards when they lasted 30 s or more: a track_end or skip
// whose source is "home:<section>", not a private one, kept with the clicks (kind "play").
TEST_P(TasteTest, PlaysOfThirtySecondsStartedFromHomeAreRewards) {
  auto log = open_log();
  ASSERT_TRUE(log);
  auto from = [](Event e, const std::string& source) {
    std::get<Playback>(e.payload).source = source;
    return e;
  };
  Event home_click;
  home_click.type = EventType::kHomeClick;
  home_click.user = user(1);
  home_click.timestamp_ms = kT0;
  home_click.payload = HomeClick{"made_for_you", "segue:playlist:" + id22("pl", 1), 0};
  ASSERT_TRUE(log->append({
                              home_click,
                              from(play_start(user(1), 1, kT0 + 1), "home:made_for_you"),             // a start: no
                              from(play_end(user(1), 1, kT0 + 2, 30000), "home:made_for_you"),        // yes (30 s)
                              from(play_end(user(1), 2, kT0 + 3, 29999, true), "home:made_for_you"),  // 29.999 s: no
                              from(play_end(user(1), 3, kT0 + 4, 20000, false), "home:new_releases"), // a short track to its end: no
                              from(play_end(user(1), 4, kT0 + 5, 45000, true), "home:new_releases"),  // a late skip: yes
                              play_end(user(1), 5, kT0 + 6, 90000),                                   // not from home
                              from(play_end(user(1), 6, kT0 + 7, 90000), "search:blue"),              // another source
                              from(play_end(user(1), 7, kT0 + 8, 90000, false, true), "home:made_for_you"),  // private
                              from(play_end(user(2), 1, kT0 + 9, 60000), "home:jump_back_in"),
                          })
                  .ok());
  ASSERT_TRUE(log->catch_up().ok());
  auto& db = log->derived_db(TasteConsumer::kName);
  std::vector<std::string> rewards;
  ASSERT_TRUE(TasteConsumer::home_clicks_since(db, kT0, [&](const HomeClickRow& r) {
                rewards.push_back(r.user.str() + "|" + r.kind + "|" + r.section + "|" + r.item_uri);
              }).ok());
  const std::string u1 = user(1).str(), u2 = user(2).str();
  EXPECT_EQ(rewards, (std::vector<std::string>{
                         u1 + "|click|made_for_you|segue:playlist:" + id22("pl", 1),
                         u1 + "|play|made_for_you|segue:track:" + track(1).str(),
                         u1 + "|play|new_releases|segue:track:" + track(4).str(),
                         u2 + "|play|jump_back_in|segue:track:" + track(1).str(),
                     }));
  auto plays = TasteConsumer::home_plays_of(db, user(1), kT0);
  ASSERT_TRUE(plays.ok()) << plays.error().message;
  ASSERT_EQ(plays->size(), 2u);
  EXPECT_EQ((*plays)[0].at_ms, kT0 + 2);
  EXPECT_EQ((*plays)[1].at_ms, kT0 + 5);
  EXPECT_TRUE(TasteConsumer::home_plays_of(db, user(1), kT0 + 6)->empty());
  // Deleting a user's history takes their rewards, and only theirs.
  ASSERT_TRUE(log->delete_history(user(1)).ok());
  EXPECT_TRUE(TasteConsumer::home_plays_of(db, user(1), 0)->empty());
  EXPECT_EQ(TasteConsumer::home_plays_of(db, user(2), 0)->size(), 1u);
}

}  // namespace
}  // namespace segue::recommend
