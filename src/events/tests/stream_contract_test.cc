// The EventStream contract, run against every implementation: the database's Log (SQLite, or
// PostgreSQL with SEGUE_TEST_POSTGRES) and RedisStream (a real Redis: SEGUE_TEST_REDIS, else one
// started by scripts/redis-test.sh). Offsets are consecutive, in order, never reused; a batch is
// all or nothing; a user's events come out and go; the head survives a restart; consumers apply
// each event once across restarts.
#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <optional>
#include <set>
#include <thread>

#include "common/ids.h"
#include "events/redis_stream.h"
#include "events/tests/test_util.h"
#include "redis/testing.h"

namespace segue::events {
namespace {
using namespace segue::events::testing;

Event search_event(const UserId& u, int64_t ts, const std::string& q) {
  Event e;
  e.type = EventType::kSearch;
  e.user = u;
  e.timestamp_ms = ts;
  e.private_session = true;
  e.payload = Search{q, 7};
  return e;
}

// Compares what was appended with what came back (offset and arrival set by the stream).
void expect_same(const Event& in, const Event& out) {
  Event copy = out;
  copy.offset = 0;
  copy.received_ms = 0;
  EXPECT_EQ(in, copy) << "offset " << out.offset;
  EXPECT_GT(out.received_ms, 0);
}

class StreamContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = tmp_.open();
    ASSERT_TRUE(db_);
    if (redis()) {
      redis_.emplace();
      if (redis_->url().empty()) GTEST_SKIP() << redis_->skip_reason();
      auto a = redis::parse_url(redis_->url());
      ASSERT_TRUE(a.ok());
      redis_options_.address = *a;
      redis_options_.key = "segue:test:events:" + random_base62_id();
    }
    stream_ = open_stream();
    ASSERT_TRUE(stream_);
  }
  bool redis() const { return GetParam() == "redis"; }
  // A fresh object over the same storage (a process restart).
  std::shared_ptr<EventStream> open_stream() {
    if (!redis()) {
      auto log = std::make_shared<Log>(*db_);
      EXPECT_TRUE(log->load_head().ok());
      return log;
    }
    auto s = RedisStream::open(redis_options_);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    if (!s.ok()) return nullptr;
    return std::shared_ptr<EventStream>(std::move(*s));
  }
  std::vector<int64_t> offsets(const std::vector<Event>& es) {
    std::vector<int64_t> out;
    for (const auto& e : es) out.push_back(e.offset);
    return out;
  }

  TempDb tmp_;
  std::unique_ptr<store::Database> db_;
  std::optional<redis::testing::TestRedis> redis_;  // the redis parameter's
  RedisStreamOptions redis_options_;
  std::shared_ptr<EventStream> stream_;
};

TEST_P(StreamContract, AppendsWithConsecutiveOffsetsAndReadsThemBackInOrder) {
  EXPECT_EQ(stream_->head(), 0);
  std::vector<Event> first{play_end(user(1), 1, kT0), search_event(user(2), kT0 + 1, "blue"), play_start(user(1), 2, kT0 + 2)};
  std::get<Playback>(first[0].payload).duration_ms = 181000;
  std::get<Playback>(first[0].payload).reason = "trackdone";
  std::get<Playback>(first[0].payload).context_uri = "segue:album:" + id22("al", 1);
  std::get<Playback>(first[0].payload).source = "home:because_you_listened:" + id22("ar", 1);
  std::vector<Event> second{play_end(user(3), 3, kT0 + 3, 5000, true), play_end(user(1), 4, kT0 + 4)};
  int64_t last_head = -1;
  stream_->set_append_listener([&](int64_t h) { last_head = h; });
  auto r1 = stream_->append(first);
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ(r1->first, 1);
  EXPECT_EQ(r1->last, 3);
  auto r2 = stream_->append(second);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->first, 4);
  EXPECT_EQ(r2->last, 5);
  EXPECT_EQ(stream_->head(), 5);
  EXPECT_EQ(last_head, 5);

  auto all = stream_->read(0, 100);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(offsets(*all), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  for (int i = 0; i < 3; ++i) expect_same(first[i], (*all)[i]);
  for (int i = 0; i < 2; ++i) expect_same(second[i], (*all)[3 + i]);
  auto part = stream_->read(2, 2);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(offsets(*part), (std::vector<int64_t>{3, 4}));
  EXPECT_TRUE(stream_->read(5, 10)->empty());
}

TEST_P(StreamContract, AnEmptyBatchIsRefusedAndAppendsNothing) {
  auto r = stream_->append({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(stream_->head(), 0);
  EXPECT_EQ(stream_->append({play_end(user(1), 1, kT0)})->first, 1);
}

TEST_P(StreamContract, ConcurrentAppendsGetDisjointConsecutiveRanges) {
  std::mutex mu;
  std::vector<OffsetRange> ranges;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto r = stream_->append({play_end(user(t), i, kT0 + i), play_end(user(t), i + 1, kT0 + i)});
        ASSERT_TRUE(r.ok());
        std::lock_guard l(mu);
        ranges.push_back(*r);
      }
    });
  for (auto& t : threads) t.join();
  std::set<int64_t> seen;
  for (const auto& r : ranges) {
    EXPECT_EQ(r.last, r.first + 1);
    EXPECT_TRUE(seen.insert(r.first).second);
    EXPECT_TRUE(seen.insert(r.last).second);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(*seen.begin(), 1);
  EXPECT_EQ(*seen.rbegin(), 200);
  auto all = stream_->read(0, 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 200u);
  EXPECT_TRUE(std::is_sorted(all->begin(), all->end(), [](const Event& a, const Event& b) { return a.offset < b.offset; }));
}

TEST_P(StreamContract, AUsersEventsComeOutInOrderAndGoWithoutTheirOffsetsBeingReused) {
  std::vector<Event> batch;
  for (int i = 0; i < 9; ++i) batch.push_back(play_end(user(i % 3), i, kT0 + i));
  ASSERT_TRUE(stream_->append(batch).ok());
  auto mine = stream_->user_events(user(1));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(offsets(*mine), (std::vector<int64_t>{2, 5, 8}));
  auto removed = stream_->delete_user(user(1));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 3);
  EXPECT_TRUE(stream_->user_events(user(1))->empty());
  EXPECT_EQ(offsets(*stream_->read(0, 100)), (std::vector<int64_t>{1, 3, 4, 6, 7, 9}));
  // The user's last offset (8) and the head (9) are not reused.
  auto r = stream_->append({play_end(user(1), 20, kT0 + 20)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 10);
  EXPECT_EQ(offsets(*stream_->user_events(user(1))), (std::vector<int64_t>{10}));
}

TEST_P(StreamContract, TheHeadSurvivesARestart) {
  ASSERT_TRUE(stream_->append({play_end(user(1), 1, kT0), play_end(user(2), 2, kT0)}).ok());
  ASSERT_TRUE(stream_->delete_user(user(2)).ok());  // the newest event gone: the head stays
  stream_.reset();
  if (redis() && redis_->owned()) {
    ASSERT_TRUE(redis_->restart());  // Redis itself restarts (AOF)
  }
  stream_ = open_stream();
  ASSERT_TRUE(stream_);
  EXPECT_EQ(stream_->head(), 2);
  EXPECT_EQ(offsets(*stream_->read(0, 10)), (std::vector<int64_t>{1}));
  EXPECT_EQ(stream_->append({play_end(user(3), 3, kT0)})->first, 3);
}

// The pipeline over the stream: the built-in consumers, their state in the database, each
// event applied once across a restart of the pipeline; delete_history empties both.
TEST_P(StreamContract, ConsumersApplyEachEventOnceAcrossARestart) {
  auto options = [&] {
    EventLogOptions o;
    o.lookup = lookup_track;
    o.start_threads = false;
    if (redis()) o.stream = stream_;
    return o;
  };
  std::vector<Event> batch;
  for (int i = 0; i < 12; ++i) batch.push_back(play_end(user(i % 2), i, kT0 + i * 1000));
  {
    auto log = EventLog::open(*db_, options());
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_TRUE((*log)->log().append(batch).ok());
    ASSERT_TRUE((*log)->catch_up().ok());
    EXPECT_EQ((*log)->recently_played(user(0), 50, std::nullopt, std::nullopt)->items.size(), 6u);
  }
  auto log = EventLog::open(*db_, options());
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->log().append({play_end(user(0), 40, kT0 + 40000)}).ok());
  ASSERT_TRUE((*log)->catch_up().ok());
  for (const auto& c : (*log)->consumers()) {
    EXPECT_EQ(c.committed, 13) << c.name;
    EXPECT_EQ(c.lag, 0) << c.name;
  }
  Recount derived = read_derived(**log);
  EXPECT_EQ(derived.history_per_user[user(0).str()], 7);
  EXPECT_EQ(derived.history_per_user[user(1).str()], 6);
  ASSERT_TRUE((*log)->delete_history(user(0)).ok());
  EXPECT_TRUE((*log)->export_user(user(0))->empty());
  EXPECT_EQ((*log)->export_user(user(1))->size(), 6u);
  EXPECT_TRUE((*log)->recently_played(user(0), 50, std::nullopt, std::nullopt)->items.empty());
  if (!redis()) return;
  // Each consumer's group shows its committed offset to an operator (XINFO GROUPS).
  redis::Client c(redis_options_.address);
  auto groups = c.command({"XINFO", "GROUPS", redis_options_.key});
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ((*groups)->type, REDIS_REPLY_ARRAY);
  std::set<std::string> at13;
  for (std::size_t i = 0; i < (*groups)->elements; ++i) {
    const redisReply* g = (*groups)->element[i];
    std::string name, last;
    for (std::size_t k = 0; k + 1 < g->elements; k += 2) {
      if (redis::str(g->element[k]) == "name") name = redis::str(g->element[k + 1]);
      if (redis::str(g->element[k]) == "last-delivered-id") last = redis::str(g->element[k + 1]);
    }
    if (last == "0-13") at13.insert(name);
  }
  EXPECT_EQ(at13, (std::set<std::string>{"history", "popularity", "top_items"}));
}

TEST(RedisStreamDurability, RefusesARedisThatDoesNotFsyncEachWrite) {
  redis::testing::TestRedis r;
  if (!r.owned()) GTEST_SKIP() << "needs a Redis of its own to reconfigure (not SEGUE_TEST_REDIS's)";
  RedisStreamOptions o;
  o.address = *redis::parse_url(r.url());
  redis::Client c(o.address);
  ASSERT_TRUE(c.command({"CONFIG", "SET", "appendfsync", "everysec"}).ok());
  auto s = RedisStream::open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("appendfsync always"), std::string::npos) << s.error().message;
  o.require_fsync = false;  // event_log_durability = "relaxed"
  EXPECT_TRUE(RedisStream::open(o).ok());
  ASSERT_TRUE(c.command({"CONFIG", "SET", "appendfsync", "always"}).ok());
  o.require_fsync = true;
  EXPECT_TRUE(RedisStream::open(o).ok());
}

INSTANTIATE_TEST_SUITE_P(Streams, StreamContract, ::testing::Values("database", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace segue::events
