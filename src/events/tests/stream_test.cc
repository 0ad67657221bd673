// The consumer runner against the EventStream interface alone: a stream that is not a table in
// any database (kept in memory here, as a Redis stream would be kept elsewhere), with the
// consumer's offset and state in a database of its own. Each event must count exactly once
// across restarts, and deleting a user must leave neither their events nor their derived rows.
#include <gtest/gtest.h>

#include <mutex>

#include "events/runner.h"
#include "events/tests/test_util.h"

namespace segue::events {
namespace {
using namespace segue::events::testing;

class MemoryStream final : public EventStream {
 public:
  Result<OffsetRange> append(const std::vector<Event>& events) override {
    if (events.empty()) return Error::invalid("empty batch");
    std::function<void(int64_t)> listener;
    OffsetRange r;
    {
      std::lock_guard l(mu_);
      r.first = next_;
      for (Event e : events) {
        e.offset = next_++;
        events_.push_back(std::move(e));
      }
      r.last = next_ - 1;
      head_ = r.last;
      listener = listener_;
    }
    if (listener) listener(r.last);
    return r;
  }
  Result<std::vector<Event>> read(int64_t after, int limit) override {
    std::lock_guard l(mu_);
    std::vector<Event> out;
    for (const Event& e : events_)
      if (e.offset > after && static_cast<int>(out.size()) < limit) out.push_back(e);
    return out;
  }
  Result<std::vector<Event>> user_events(const UserId& user) override {
    std::lock_guard l(mu_);
    std::vector<Event> out;
    for (const Event& e : events_)
      if (e.user == user) out.push_back(e);
    return out;
  }
  Result<int64_t> delete_user(const UserId& user) override {
    std::lock_guard l(mu_);
    const auto n = std::erase_if(events_, [&](const Event& e) { return e.user == user; });
    return static_cast<int64_t>(n);
  }
  int64_t head() const override {
    std::lock_guard l(mu_);
    return head_;
  }
  Status load_head() override { return {}; }
  void set_append_listener(std::function<void(int64_t)> fn) override {
    std::lock_guard l(mu_);
    listener_ = std::move(fn);
  }

 private:
  mutable std::mutex mu_;
  std::vector<Event> events_;
  int64_t next_ = 1;
  int64_t head_ = 0;
  std::function<void(int64_t)> listener_;
};

// Counts each user's events in a table of the consumer's database.
class PerUserCount final : public Consumer {
 public:
  const std::string& name() const override { return name_; }
  Status apply(store::Connection& c, std::span<const Event> events) override {
    for (const Event& e : events)
      SEGUE_TRY(c.exec("INSERT INTO per_user (user_id, n) VALUES (?, 1) "
                       "ON CONFLICT (user_id) DO UPDATE SET n = per_user.n + 1",
                       {e.user.str()}));
    return {};
  }
  Status reset(store::Connection& c) override {
    SEGUE_TRY(c.exec("DELETE FROM per_user"));
    return {};
  }
  Status forget_user(store::Connection& c, const UserId& user, std::span<const Event>) override {
    SEGUE_TRY(c.exec("DELETE FROM per_user WHERE user_id = ?", {user.str()}));
    return {};
  }

 private:
  const std::string name_ = "per_user";
};

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::testing::open(tmp_.path());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(db_->migrate("events_derived", derived_migrations()).ok());
    ASSERT_TRUE(db_->write([](store::Connection& c) -> Status {
                     SEGUE_TRY(c.exec("CREATE TABLE IF NOT EXISTS per_user (user_id TEXT PRIMARY KEY, n INTEGER NOT NULL)"));
                     return {};
                   }).ok());
  }
  std::map<std::string, int64_t> counts() {
    std::map<std::string, int64_t> out;
    EXPECT_TRUE(db_->read([&](store::Connection& c) -> Status {
                     return c.query("SELECT user_id, n FROM per_user", {},
                                    [&](const store::Row& r) { out[r.text(0)] = r.i64(1); });
                   }).ok());
    return out;
  }
  std::vector<Event> plays(int n, int salt) {
    std::vector<Event> out;
    for (int i = 0; i < n; ++i) out.push_back(play_end(user(i % 3), i + salt, kT0 + (salt + i) * 1000));
    return out;
  }

  TempDb tmp_;
  std::unique_ptr<store::Database> db_;
  MemoryStream stream_;
  PerUserCount consumer_;
};

TEST_F(StreamTest, EachEventCountsOnceAcrossRestarts) {
  ASSERT_TRUE(stream_.append(plays(30, 0)).ok());
  {
    ConsumerRunner runner(*db_, stream_);
    runner.add(consumer_);
    ASSERT_TRUE(runner.start(false).ok());
    ASSERT_TRUE(runner.catch_up().ok());
    EXPECT_EQ(runner.status().at(0).committed, 30);
    EXPECT_EQ(runner.status().at(0).lag, 0);
  }
  EXPECT_EQ(counts(), (std::map<std::string, int64_t>{{user(0).str(), 10}, {user(1).str(), 10}, {user(2).str(), 10}}));

  // A new runner resumes after the committed offset: only the 9 new events are applied.
  ASSERT_TRUE(stream_.append(plays(9, 100)).ok());
  ConsumerRunner runner(*db_, stream_);
  runner.add(consumer_);
  ASSERT_TRUE(runner.start(false).ok());
  EXPECT_EQ(runner.status().at(0).committed, 30);
  ASSERT_TRUE(runner.catch_up().ok());
  EXPECT_EQ(counts(), (std::map<std::string, int64_t>{{user(0).str(), 13}, {user(1).str(), 13}, {user(2).str(), 13}}));
}

TEST_F(StreamTest, DeletingAUserEmptiesTheStreamAndTheDerivedRows) {
  ASSERT_TRUE(stream_.append(plays(12, 0)).ok());
  ConsumerRunner runner(*db_, stream_);
  runner.add(consumer_);
  ASSERT_TRUE(runner.start(false).ok());
  ASSERT_TRUE(runner.catch_up().ok());
  ASSERT_TRUE(runner.delete_user(user(1)).ok());
  EXPECT_TRUE(stream_.user_events(user(1))->empty());
  EXPECT_EQ(stream_.user_events(user(0))->size(), 4u);
  EXPECT_EQ(counts(), (std::map<std::string, int64_t>{{user(0).str(), 4}, {user(2).str(), 4}}));
  EXPECT_TRUE(db_->read([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int("SELECT COUNT(*) FROM event_forget"));
                   EXPECT_EQ(n.value_or(-1), 0);
                   return {};
                 }).ok());
  // Later events of the others still count once.
  ASSERT_TRUE(stream_.append(plays(3, 50)).ok());
  ASSERT_TRUE(runner.catch_up().ok());
  EXPECT_EQ(counts(), (std::map<std::string, int64_t>{{user(0).str(), 5}, {user(1).str(), 1}, {user(2).str(), 5}}));
}

}  // namespace
}  // namespace segue::events
