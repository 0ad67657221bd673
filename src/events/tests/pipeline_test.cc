// The log and its consumers on a real SQLite database: atomic appends, exactly-once consumers
// across failures and restarts, replay, privacy, top items, popularity and concurrency.
#include <gtest/gtest.h>

#include <thread>

#include "events/tests/test_util.h"
#include "store/testing.h"

namespace segue::events {
namespace {
using namespace segue::events::testing;
using namespace std::chrono_literals;

// Parameter: each consumer's derived state in a database of its own (EventLogOptions::derived_dir)
// or all in the log's.
class PipelineTest : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<EventLog> open_log(bool threads = false, std::vector<Consumer*> extra = {}) {
    EventLogOptions o;
    o.lookup = lookup_track;
    o.start_threads = threads;
    o.extra_consumers = std::move(extra);
    o.runner.max_batch = 500;
    if (GetParam()) o.derived_databases = derived_files(tmp_.derived_dir());
    auto log = EventLog::open(*db_, o);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
    return log.ok() ? std::move(*log) : nullptr;
  }
  // A mix: starts, counted ends, short skips, private plays and searches, over users 0-3.
  std::vector<Event> mixed_batch(int n, int salt, int64_t t0 = kT0) {
    std::vector<Event> out;
    for (int i = 0; i < n; ++i) {
      int k = i + salt * 1000;
      UserId u = user(k % 4);
      int64_t ts = t0 + k * 1000;
      switch (k % 6) {
        case 0: out.push_back(play_start(u, k % 23, ts)); break;
        case 1: out.push_back(play_end(u, k % 23, ts)); break;
        case 2: out.push_back(play_end(u, k % 23, ts, 5000, true)); break;  // short skip: no play
        case 3: out.push_back(play_end(u, k % 31, ts, 45000, true)); break;  // long skip: a play
        case 4: out.push_back(play_end(u, k % 23, ts, 90000, false, true)); break;  // private
        default: {
          Event e;
          e.type = EventType::kSearch;
          e.user = u;
          e.timestamp_ms = ts;
          e.payload = Search{"query " + std::to_string(k), k % 50};
          out.push_back(e);
        }
      }
    }
    return out;
  }
  int64_t count_rows(const std::string& table, store::Database* db = nullptr) {
    int64_t n = -1;
    EXPECT_TRUE((db ? db : db_.get())->read([&](store::Connection& c) -> Status {
                     SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT COUNT(*) FROM " + table));
                     n = v.value_or(0);
                     return {};
                   }).ok());
    return n;
  }

  TempDb tmp_;
  std::unique_ptr<store::Database> db_ = tmp_.open();
};

TEST_P(PipelineTest, AppendGivesConsecutiveOffsetsAndValidates) {
  auto log = open_log();
  auto r = log->append(mixed_batch(130, 0));  // 64 + 8 * 8 + 2: every statement size
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->first, 1);
  EXPECT_EQ(r->last, 130);
  EXPECT_EQ(log->head(), 130);
  auto bad = mixed_batch(3, 0);
  std::get<Playback>(bad[1].payload).position_ms = -4;
  auto rejected = log->append(bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().message.rfind("events[1].position_ms:", 0), 0u) << rejected.error().message;
  EXPECT_EQ(count_rows("event_log"), 130);
  auto all = log->log().read(0, 1000);
  ASSERT_TRUE(all.ok());
  auto sent = mixed_batch(130, 0);
  ASSERT_EQ(all->size(), 130u);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ((*all)[i].offset, static_cast<int64_t>(i + 1));
    Event got = (*all)[i];
    got.offset = 0;
    got.received_ms = 0;
    EXPECT_EQ(got, sent[i]) << i;
  }
}

TEST_P(PipelineTest, AFailedAppendLeavesNothingAndOffsetsContinue) {
  auto log = open_log();
  ASSERT_TRUE(log->append(mixed_batch(10, 0)).ok());
  // Make the database refuse one row in the middle of the next batch.
  ASSERT_TRUE(db_->write([](store::Connection& c) {
                   if (store::testing::on_postgres())
                     return c.exec_script(
                         "CREATE FUNCTION fail_one() RETURNS trigger AS $$ BEGIN IF NEW.client_ts = 42000000000000 "
                         "THEN RAISE EXCEPTION 'injected'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; "
                         "CREATE TRIGGER fail_one BEFORE INSERT ON event_log FOR EACH ROW EXECUTE FUNCTION fail_one()");
                   return c.exec_script("CREATE TRIGGER fail_one BEFORE INSERT ON event_log WHEN NEW.client_ts = 42000000000000 "
                                        "BEGIN SELECT RAISE(ABORT, 'injected'); END");
                 }).ok());
  auto batch = mixed_batch(200, 1);
  Event poison = play_end(user(1), 1, 1);
  poison.timestamp_ms = 42'000'000'000'000LL;
  batch.insert(batch.begin() + 150, poison);
  auto r = log->log().append(batch);  // the log itself: no validation in front
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(count_rows("event_log"), 10);
  EXPECT_EQ(log->head(), 10);
  auto next = log->append(mixed_batch(5, 2));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first, 11);
}

TEST_P(PipelineTest, RecentlyPlayedReadsTheHistoryConsumer) {
  auto log = open_log(/*threads=*/true);
  std::vector<Event> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(play_end(user(1), i, kT0 + i * 1000, i % 2 ? 40000 : 5000, true));
  ASSERT_TRUE(log->append(batch).ok());
  // Read-your-writes: no explicit wait.
  auto page = log->recently_played(user(1), 3, std::nullopt, std::nullopt);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->items[0].track, track(9));
  EXPECT_EQ(page->items[2].track, track(5));
  auto older = log->recently_played(user(1), 3, page->items.back().played_at_ms, std::nullopt);
  ASSERT_EQ(older->items.size(), 2u);
  EXPECT_FALSE(older->has_more);
}

// A consumer with its own table whose apply fails half-way through a batch on demand.
class FlakyConsumer final : public Consumer {
 public:
  const std::string& name() const override { return name_; }
  Status apply(store::Connection& c, std::span<const Event> events) override {
    std::size_t i = 0;
    for (const Event& e : events) {
      if (fail_next_ && ++i > events.size() / 2) {
        fail_next_ = false;
        ++failures;
        return Error::unavailable("injected failure half-way");
      }
      SEGUE_TRY(c.exec("INSERT INTO flaky_counts (user_id, n) VALUES (?, 1) ON CONFLICT (user_id) DO UPDATE SET n = flaky_counts.n + 1",
                       {e.user.str()}));
    }
    return {};
  }
  Status reset(store::Connection& c) override {
    SEGUE_TRY(c.exec("DELETE FROM flaky_counts"));
    return {};
  }
  Status forget_user(store::Connection& c, const UserId& user, std::span<const Event>) override {
    SEGUE_TRY(c.exec("DELETE FROM flaky_counts WHERE user_id = ?", {user.str()}));
    return {};
  }
  bool fail_next_ = false;
  int failures = 0;

 private:
  const std::string name_ = "flaky";
};

TEST_P(PipelineTest, AFailedBatchRollsBackAndIsAppliedExactlyOnceOnRetry) {
  std::unique_ptr<store::Database> derived;  // the consumer's table goes where derived state lives
  if (GetParam()) {
    std::filesystem::create_directories(tmp_.derived_dir());
    derived = std::move(*store::Database::open_sqlite(tmp_.derived_dir() + "/flaky.db"));
  }
  ASSERT_TRUE((derived ? derived : db_)->write([](store::Connection& c) {
                   return c.exec_script("CREATE TABLE flaky_counts (user_id TEXT PRIMARY KEY, n BIGINT NOT NULL)");
                 }).ok());
  derived.reset();
  FlakyConsumer flaky;
  auto log = open_log(false, {&flaky});
  ASSERT_TRUE(log->append(mixed_batch(1000, 0)).ok());
  flaky.fail_next_ = true;
  EXPECT_FALSE(log->catch_up("flaky").ok());
  auto st = log->consumers();
  EXPECT_EQ(st.back().committed, 0);
  ASSERT_TRUE(st.back().last_error.has_value());
  ASSERT_TRUE(log->catch_up().ok());
  EXPECT_EQ(flaky.failures, 1);
  int64_t total = 0;
  ASSERT_TRUE(log->derived_db("flaky").read([&](store::Connection& c) -> Status {
                   return c.query("SELECT SUM(n) FROM flaky_counts", {}, [&](const store::Row& r) { total = r.i64(0); });
                 }).ok());
  EXPECT_EQ(total, 1000);
  for (const auto& s : log->consumers()) {
    EXPECT_EQ(s.committed, 1000) << s.name;
    EXPECT_EQ(s.lag, 0) << s.name;
    EXPECT_FALSE(s.last_error.has_value());
  }
  expect_consistent(*db_, *log, lookup_track);
}

TEST_P(PipelineTest, ConsumersResumeAfterTheirCommittedOffsetAfterAReopen) {
  {
    auto log = open_log();
    ASSERT_TRUE(log->append(mixed_batch(1200, 0)).ok());
    ASSERT_TRUE(log->catch_up("history").ok());  // the others stay behind
    auto st = log->consumers();
    EXPECT_EQ(st[0].committed, 1200);
    EXPECT_EQ(st[1].committed, 0);
    EXPECT_EQ(st[1].lag, 1200);
  }
  db_.reset();
  db_ = tmp_.open();
  auto log = open_log();
  EXPECT_EQ(log->head(), 1200);
  auto st = log->consumers();
  EXPECT_EQ(st[0].committed, 1200);
  EXPECT_EQ(st[2].committed, 0);
  ASSERT_TRUE(log->append(mixed_batch(300, 5)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  for (const auto& s : log->consumers()) EXPECT_EQ(s.committed, 1500) << s.name;
  expect_consistent(*db_, *log, lookup_track);
}

TEST_P(PipelineTest, DropAndReplayRebuildsIdenticalState) {
  auto log = open_log();
  for (int b = 0; b < 4; ++b) ASSERT_TRUE(log->append(mixed_batch(700, b)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  Recount before = read_derived(*log);
  int pop_before = log->popularity(ItemKind::kTrack, track(1).str());
  for (const char* name : {"history", "popularity", "top_items"}) ASSERT_TRUE(log->drop_and_replay(name).ok());
  EXPECT_EQ(count_rows("event_history", &log->derived_db("history")), 0);
  EXPECT_EQ(log->popularity(ItemKind::kTrack, track(1).str()), 0);
  EXPECT_EQ(log->drop_and_replay("nope").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(log->catch_up().ok());
  Recount after = read_derived(*log);
  EXPECT_EQ(after.history_per_user, before.history_per_user);
  EXPECT_EQ(after.user_top, before.user_top);
  ASSERT_EQ(after.items.size(), before.items.size());
  for (const auto& [k, v] : before.items) {
    EXPECT_EQ(after.items[k].first, v.first);
    EXPECT_NEAR(after.items[k].second, v.second, 1e-9 * v.second);
  }
  EXPECT_EQ(log->popularity(ItemKind::kTrack, track(1).str()), pop_before);
  expect_consistent(*db_, *log, lookup_track);
}

TEST_P(PipelineTest, PrivateSessionEventsAreLoggedButNeverCounted) {
  auto log = open_log();
  std::vector<Event> batch = {play_end(user(1), 1, kT0, 90000, false, /*priv=*/true),
                              play_end(user(1), 2, kT0 + 1000, 90000, false, true),
                              play_end(user(1), 3, kT0 + 2000)};
  ASSERT_TRUE(log->append(batch).ok());
  ASSERT_TRUE(log->catch_up().ok());
  auto page = log->recently_played(user(1), 50, std::nullopt, std::nullopt);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].track, track(3));
  EXPECT_FALSE(log->play_stats(ItemKind::kTrack, track(1).str()).has_value());
  EXPECT_EQ(log->popularity(ItemKind::kTrack, track(1).str()), 0);
  EXPECT_EQ(log->popularity(ItemKind::kTrack, track(3).str()), 100);
  auto top = log->top_tracks(user(1), TimeRange::kLongTerm, 10, 0);
  ASSERT_EQ(top->items.size(), 1u);
  EXPECT_EQ(top->items[0].id, track(3).str());
  auto exported = log->export_user(user(1));
  ASSERT_EQ(exported->size(), 3u);  // the user's own export includes private events
  EXPECT_TRUE((*exported)[0].private_session);
}

TEST_P(PipelineTest, DeleteHistoryRemovesTheUserAndKeepsCountsConsistent) {
  auto log = open_log();
  std::vector<Event> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(play_end(user(i % 2), i % 6, kT0 + i * 1000));
  batch.push_back(play_end(user(0), 77, kT0));  // a track only user 0 played
  ASSERT_TRUE(log->append(batch).ok());
  ASSERT_TRUE(log->catch_up().ok());
  // More of user 0's events that no consumer has applied yet when the delete comes.
  ASSERT_TRUE(log->append({play_end(user(0), 1, kT0 + 99000), play_end(user(1), 1, kT0 + 99000)}).ok());
  ASSERT_TRUE(log->catch_up("history").ok());
  ASSERT_TRUE(log->delete_history(user(0)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  EXPECT_TRUE(log->recently_played(user(0), 50, std::nullopt, std::nullopt)->items.empty());
  EXPECT_TRUE(log->export_user(user(0))->empty());
  EXPECT_EQ(log->top_tracks(user(0), TimeRange::kLongTerm, 50, 0)->total, 0);
  EXPECT_EQ(log->recently_played(user(1), 50, std::nullopt, std::nullopt)->items.size(), 21u);
  EXPECT_FALSE(log->play_stats(ItemKind::kTrack, track(77).str()).has_value());
  // User 1's plays of track 1 (i = 1, 7, ..., 37, and one more) all arrived today: shared counts
  // take kMaxSharedPlaysPerUserTrackDay of them.
  EXPECT_EQ(log->play_stats(ItemKind::kTrack, track(1).str())->plays, kMaxSharedPlaysPerUserTrackDay);
  expect_consistent(*db_, *log, lookup_track);
  for (const auto& s : log->consumers()) EXPECT_EQ(s.lag, 0) << s.name;
  // Offsets are never reused after a delete.
  auto r = log->append({play_end(user(1), 1, kT0)});
  EXPECT_EQ(r->first, 44);
}

TEST_P(PipelineTest, TopItemsByRange) {
  auto log = open_log();
  const int64_t now = wall_clock_ms();
  std::vector<Event> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(play_end(user(1), 1, now - 200 * kDayMs + i));
  for (int i = 0; i < 3; ++i) batch.push_back(play_end(user(1), 2, now - 60 * kDayMs + i));
  for (int i = 0; i < 2; ++i) batch.push_back(play_end(user(1), 3, now - 1 * kDayMs + i));
  batch.push_back(play_end(user(2), 4, now));
  ASSERT_TRUE(log->append(batch).ok());
  ASSERT_TRUE(log->catch_up().ok());
  auto ids = [](const TopPage& p) {
    std::vector<std::string> out;
    for (const auto& i : p.items) out.push_back(i.id);
    return out;
  };
  auto short_term = log->top_tracks(user(1), TimeRange::kShortTerm, 10, 0);
  EXPECT_EQ(ids(*short_term), std::vector<std::string>{track(3).str()});
  auto medium = log->top_tracks(user(1), TimeRange::kMediumTerm, 10, 0);
  EXPECT_EQ(ids(*medium), (std::vector<std::string>{track(3).str(), track(2).str()}));
  auto long_term = log->top_tracks(user(1), TimeRange::kLongTerm, 10, 0);
  EXPECT_EQ(ids(*long_term), (std::vector<std::string>{track(1).str(), track(2).str(), track(3).str()}));
  EXPECT_EQ(long_term->items[0].plays, 5);
  auto paged = log->top_tracks(user(1), TimeRange::kLongTerm, 1, 1);
  EXPECT_EQ(ids(*paged), std::vector<std::string>{track(2).str()});
  EXPECT_EQ(paged->total, 3);
  auto artists = log->top_artists(user(1), TimeRange::kLongTerm, 10, 0);
  EXPECT_EQ(ids(*artists), (std::vector<std::string>{artist(1).str(), artist(2).str(), artist(3).str()}));
  EXPECT_EQ(parse_time_range("medium_term"), TimeRange::kMediumTerm);
  EXPECT_FALSE(parse_time_range("forever"));
}

TEST_P(PipelineTest, PopularityFollowsRecentPlays) {
  auto log = open_log();
  const int64_t now = wall_clock_ms();
  std::vector<Event> batch;
  auto plays = [&](int t, int n, int64_t at) {
    for (int i = 0; i < n; ++i) batch.push_back(play_end(user(i % 3), t, at + i));
  };
  plays(1, 3, now);
  plays(6, 5, now);
  plays(11, 1, now);
  plays(16, 20, now - 365 * kDayMs);  // played a lot, a year ago
  ASSERT_TRUE(log->append(batch).ok());
  ASSERT_TRUE(log->catch_up().ok());
  auto pop = [&](int t) { return log->popularity(ItemKind::kTrack, track(t).str()); };
  EXPECT_EQ(pop(6), 100);
  EXPECT_GT(pop(6), pop(1));
  EXPECT_GT(pop(1), pop(11));
  EXPECT_GT(pop(11), pop(16));
  EXPECT_EQ(pop(2), 0);  // never played
  EXPECT_EQ(log->popularity(ItemKind::kArtist, artist(1).str()), 100);  // every track above is by artist 1
  EXPECT_GT(log->popularity(ItemKind::kAlbum, album_of(6).str()), 0);
  auto top = log->top_tracks_of_artist(artist(1), 3);
  EXPECT_EQ(top, (std::vector<TrackId>{track(6), track(1), track(11)}));
  // 20 plays by three users, all arriving today: at most kMaxSharedPlaysPerUserTrackDay each.
  EXPECT_EQ(log->play_stats(ItemKind::kTrack, track(16).str())->plays, 3 * kMaxSharedPlaysPerUserTrackDay);
}

// Issue 14: one user moved a track from popularity 0 to 100 with one batch of 1,000 plays.
TEST_P(PipelineTest, OneUsersShareOfSharedCountsIsBoundedPerTrackAndDay) {
  auto log = open_log();  // max_batch 500: the 1,000 plays are applied in two batches
  const int64_t now = wall_clock_ms();
  std::vector<Event> honest;
  for (int u = 0; u < 3; ++u)
    for (int i = 0; i < 2; ++i) honest.push_back(play_end(user(u), 1, now - 3600'000 + u * 10'000 + i * 1000));
  ASSERT_TRUE(log->append(honest).ok());
  std::vector<Event> flood;
  for (int i = 0; i < 1000; ++i) flood.push_back(play_end(user(9), 2, now - 20 * kDayMs + i * 60'000));
  ASSERT_TRUE(log->append(flood).ok());
  // Timestamped ahead of its arrival: weighted at its arrival.
  ASSERT_TRUE(log->append({play_end(user(8), 3, now + kDayMs - 60'000)}).ok());
  ASSERT_TRUE(log->catch_up().ok());

  EXPECT_EQ(log->play_stats(ItemKind::kTrack, track(1).str())->plays, 6);
  EXPECT_EQ(log->play_stats(ItemKind::kTrack, track(2).str())->plays, kMaxSharedPlaysPerUserTrackDay);
  EXPECT_EQ(log->popularity(ItemKind::kTrack, track(1).str()), 100);
  EXPECT_LT(log->popularity(ItemKind::kTrack, track(2).str()), 100);
  EXPECT_LE(log->play_stats(ItemKind::kTrack, track(3).str())->last_played_ms, wall_clock_ms());
  // The user's own top items still count every play.
  auto top = log->top_tracks(user(9), TimeRange::kLongTerm, 1, 0);
  ASSERT_EQ(top->items.size(), 1u);
  EXPECT_EQ(top->items[0].plays, 1000);
  expect_consistent(*db_, *log, lookup_track);

  // More plays the same day stay bounded; a replay from the log gives the same counts.
  ASSERT_TRUE(log->append({play_end(user(9), 2, now)}).ok());
  ASSERT_TRUE(log->catch_up().ok());
  EXPECT_EQ(log->play_stats(ItemKind::kTrack, track(2).str())->plays, kMaxSharedPlaysPerUserTrackDay);
  ASSERT_TRUE(log->drop_and_replay("popularity").ok());
  ASSERT_TRUE(log->catch_up().ok());
  EXPECT_EQ(log->play_stats(ItemKind::kTrack, track(2).str())->plays, kMaxSharedPlaysPerUserTrackDay);
  expect_consistent(*db_, *log, lookup_track);

  // Forgetting the user takes back exactly the plays that were counted.
  ASSERT_TRUE(log->delete_history(user(9)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  EXPECT_FALSE(log->play_stats(ItemKind::kTrack, track(2).str()).has_value());
  EXPECT_EQ(log->play_stats(ItemKind::kTrack, track(1).str())->plays, 6);
  expect_consistent(*db_, *log, lookup_track);
}

TEST_P(PipelineTest, ConcurrentAppendsWhileConsumersRun) {
  auto log = open_log(/*threads=*/true);
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int b = 0; b < 25; ++b) ASSERT_TRUE(log->append(mixed_batch(100, t * 100 + b)).ok());
    });
  }
  // Readers at the same time.
  std::thread reader([&] {
    for (int i = 0; i < 50; ++i) {
      (void)log->popularity(ItemKind::kTrack, track(1).str());
      (void)log->consumers();
      std::this_thread::sleep_for(1ms);
    }
  });
  for (auto& p : producers) p.join();
  reader.join();
  EXPECT_EQ(log->head(), 10000);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    bool done = true;
    for (const auto& s : log->consumers()) done &= s.lag == 0;
    if (done || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(10ms);
  }
  for (const auto& s : log->consumers()) {
    EXPECT_EQ(s.lag, 0) << s.name;
    EXPECT_EQ(s.applied, 10000u) << s.name;
  }
  EXPECT_EQ(count_rows("event_log"), 10000);
  expect_consistent(*db_, *log, lookup_track);
}

// Two processes on one database both running the consumers (the nodes of a cluster): each
// hears only its own appends, yet both apply every event (the other's too, once a quiet second
// shows them the stream's head), the derived tables count each event once, and each process's
// memory (popularity) ends equal to the tables.
TEST_P(PipelineTest, TwoProcessesRunningTheConsumersApplyEachEventOnce) {
  auto one = open_log(/*threads=*/true);
  auto db2 = tmp_.open();
  ASSERT_TRUE(db2);
  EventLogOptions o;
  o.lookup = lookup_track;
  o.start_threads = true;
  o.runner.max_batch = 500;
  if (GetParam()) o.derived_databases = derived_files(tmp_.derived_dir());
  auto opened = EventLog::open(*db2, o);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto two = std::move(*opened);
  std::thread a([&] {
    for (int b = 0; b < 20; ++b) {
      auto r = one->append(mixed_batch(50, b));
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  });
  std::thread b([&] {
    for (int b = 0; b < 20; ++b) {
      auto r = two->append(mixed_batch(50, 100 + b));
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  });
  a.join();
  b.join();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    bool done = one->head() == 2000 && two->head() == 2000;
    for (auto* log : {one.get(), two.get()})
      for (const auto& s : log->consumers()) done &= s.lag == 0;
    if (done || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(20ms);
  }
  for (auto* log : {one.get(), two.get()}) {
    EXPECT_EQ(log->head(), 2000);
    for (const auto& s : log->consumers()) EXPECT_EQ(s.lag, 0) << s.name;
  }
  EXPECT_EQ(count_rows("event_log"), 2000);
  expect_consistent(*db_, *one, lookup_track);
  expect_consistent(*db_, *two, lookup_track);
}

// Two processes on one database, as the nodes of a cluster: the consumers' state is shared, each
// process's memory is its own.
class TwoNodesTest : public PipelineTest {
 protected:
  std::unique_ptr<EventLog> open_other(bool threads, std::function<void(const std::string&)> after_batch_read = {}) {
    other_db_ = tmp_.open();
    EXPECT_TRUE(other_db_);
    EventLogOptions o;
    o.lookup = lookup_track;
    o.start_threads = threads;
    o.runner.max_batch = 500;
    o.runner.after_batch_read = std::move(after_batch_read);
    if (GetParam()) o.derived_databases = derived_files(tmp_.derived_dir());
    auto opened = EventLog::open(*other_db_, o);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(*opened) : nullptr;
  }
  // `n` counted plays of `track_n` by `u`, a second apart from `t0`.
  static std::vector<Event> plays_of(const UserId& u, int track_n, int n, int64_t t0) {
    std::vector<Event> out;
    for (int i = 0; i < n; ++i) out.push_back(play_end(u, track_n, t0 + i * 1000));
    return out;
  }
  std::unique_ptr<store::Database> other_db_;
};

// One node deletes a history whose newest plays the other node applied: what each consumer
// applied is what the database says, not what the deleting node last committed itself; and the
// other node's popularity in memory drops the user's plays within a second or so.
TEST_P(TwoNodesTest, ADeleteForgetsThePlaysTheOtherNodeApplied) {
  auto one = open_log();
  auto two = open_other(/*threads=*/true);
  ASSERT_TRUE(one && two);
  ASSERT_TRUE(one->append(plays_of(user(0), 1, 3, kT0)).ok());   // user 0 alone plays track 1
  ASSERT_TRUE(one->append(plays_of(user(1), 2, 4, kT0)).ok());
  ASSERT_TRUE(one->catch_up().ok());
  ASSERT_TRUE(two->append(plays_of(user(0), 3, 3, kT0 + 60'000)).ok());  // the newest plays, track 3
  auto deadline = std::chrono::steady_clock::now() + 10s;
  auto caught_up = [&] {
    for (const auto& s : two->consumers())
      if (s.committed != 10) return false;
    return true;
  };
  while (!caught_up() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(caught_up()) << "node two did not apply its plays";
  ASSERT_EQ(two->play_stats(ItemKind::kTrack, track(3).str())->plays, 3);
  for (const auto& s : one->consumers()) ASSERT_EQ(s.committed, 7) << s.name;  // node one has not seen them

  ASSERT_TRUE(one->delete_history(user(0)).ok());
  EXPECT_TRUE(one->export_user(user(0))->empty());
  expect_consistent(*db_, *one, lookup_track);
  EXPECT_TRUE(one->recently_played(user(0), 50, std::nullopt, std::nullopt)->items.empty());
  EXPECT_EQ(one->recently_played(user(1), 50, std::nullopt, std::nullopt)->items.size(), 4u);
  EXPECT_FALSE(one->play_stats(ItemKind::kTrack, track(1).str()).has_value());
  EXPECT_FALSE(one->play_stats(ItemKind::kTrack, track(3).str()).has_value());
  EXPECT_EQ(count_rows("event_history WHERE user_id = '" + user(0).str() + "'", &one->derived_db("history")), 0);
  // Node two, asked nothing: its memory follows the tables.
  deadline = std::chrono::steady_clock::now() + 5s;
  while (two->play_stats(ItemKind::kTrack, track(3).str()).has_value() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(two->play_stats(ItemKind::kTrack, track(3).str()).has_value()) << "node two still counts the deleted plays";
  EXPECT_FALSE(two->play_stats(ItemKind::kTrack, track(1).str()).has_value());
  expect_consistent(*db_, *two, lookup_track);
  EXPECT_TRUE(two->recently_played(user(0), 50, std::nullopt, std::nullopt)->items.empty());
}

// A node that read a batch holding a user's events before another node deleted them does not
// bring them back when it applies the batch afterwards.
TEST_P(TwoNodesTest, ABatchReadBeforeAnotherNodesDeleteDoesNotBringTheEventsBack) {
  auto one = open_log();
  ASSERT_TRUE(one);
  std::vector<Event> batch = plays_of(user(0), 1, 20, kT0);
  for (Event& e : plays_of(user(1), 2, 20, kT0)) batch.push_back(e);
  ASSERT_TRUE(one->append(batch).ok());
  bool deleted = false;
  auto two = open_other(/*threads=*/false, [&](const std::string&) {
    if (deleted) return;
    deleted = true;
    ASSERT_TRUE(one->delete_history(user(0)).ok());  // between node two's read and its commit
  });
  ASSERT_TRUE(two);
  ASSERT_TRUE(two->catch_up().ok());
  ASSERT_TRUE(deleted);
  for (const auto& s : two->consumers()) EXPECT_EQ(s.committed, 40) << s.name;
  EXPECT_EQ(count_rows("event_log"), 20);
  EXPECT_EQ(count_rows("event_history WHERE user_id = '" + user(0).str() + "'", &two->derived_db("history")), 0);
  EXPECT_EQ(count_rows("event_history WHERE user_id = '" + user(1).str() + "'", &two->derived_db("history")), 20);
  EXPECT_FALSE(two->play_stats(ItemKind::kTrack, track(1).str()).has_value());
  expect_consistent(*db_, *two, lookup_track);
  ASSERT_TRUE(one->catch_up().ok());
  expect_consistent(*db_, *one, lookup_track);
}

INSTANTIATE_TEST_SUITE_P(Databases, TwoNodesTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Split" : "OneFile"; });

INSTANTIATE_TEST_SUITE_P(Databases, PipelineTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Split" : "OneFile"; });

TEST(Migration, PlaybackEventsRowsMoveIntoTheLog) {
  TempDb tmp;
  auto db = store::testing::open(tmp.path());
  ASSERT_TRUE(db.ok());
  auto v1 = event_migrations();
  v1.resize(1);
  ASSERT_TRUE((*db)->migrate("events", v1).ok());
  ASSERT_TRUE((*db)->write([](store::Connection& c) -> Status {
                     for (int i = 1; i <= 3; ++i)
                       SEGUE_TRY(c.exec("INSERT INTO playback_events (seq, user_id, type, track_id, position_ms, skip, "
                                        "reason, context_uri, client_ts, received_at, counted_play) "
                                        "VALUES (?, ?, 'track_end', ?, 60000, 0, 'trackdone', '', ?, ?, 1)",
                                        {int64_t{i * 10}, user(1).str(), track(i).str(), kT0 + i, kT0 + i}));
                     return {};
                   }).ok());
  ASSERT_TRUE((*db)->migrate("events", event_migrations()).ok());
  EventLogOptions o;
  o.start_threads = false;
  auto log = EventLog::open(**db, o);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->head(), 30);
  auto page = (*log)->recently_played(user(1), 10, std::nullopt, std::nullopt);
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0].track, track(3));
  auto r = (*log)->append({play_end(user(1), 4, kT0 + 10)});
  EXPECT_EQ(r->first, 31);
  auto exported = (*log)->export_user(user(1));
  ASSERT_EQ(exported->size(), 4u);
  EXPECT_EQ(std::get<Playback>((*exported)[0].payload).reason, "trackdone");
}

}  // namespace
}  // namespace segue::events
