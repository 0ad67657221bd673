// delete_history when each consumer keeps its state in a database of its own
// (EventLogOptions::derived_dir): it commits in every consumer's database, then in the log's.
// A failure or a kill -9 between those commits must leave nothing half-done once the delete is
// retried or the pipeline restarts: the user's events are gone from the log, no consumer has a
// row of theirs, and every count equals a recount from the log.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "events/tests/test_util.h"

namespace segue::events {
namespace {
using namespace segue::events::testing;

// A consumer without tables whose forget_user fails on demand (after the built-in consumers,
// which come first, have committed theirs).
class FailingForget final : public Consumer {
 public:
  const std::string& name() const override { return name_; }
  Status apply(store::Connection&, std::span<const Event>) override { return {}; }
  Status reset(store::Connection&) override { return {}; }
  Status forget_user(store::Connection&, const UserId&, std::span<const Event>) override {
    if (fail) return Error::unavailable("injected failure in forget_user");
    return {};
  }
  bool fail = false;

 private:
  const std::string name_ = "failing_forget";
};

class SplitDeleteTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventLog> open_log(std::vector<Consumer*> extra = {}, std::function<void()> hook = {}) {
    EventLogOptions o;
    o.lookup = lookup_track;
    o.start_threads = false;
    o.runner.max_batch = 50;
    o.runner.after_derived_forget = std::move(hook);
    o.derived_databases = derived_files(tmp_.derived_dir());
    o.extra_consumers = std::move(extra);
    auto log = EventLog::open(*db_, o);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
    return log.ok() ? std::move(*log) : nullptr;
  }
  std::vector<Event> plays(int n, int salt) {
    std::vector<Event> out;
    for (int i = 0; i < n; ++i) out.push_back(play_end(user(i % 3), (i + salt) % 9, kT0 + (salt * 1000 + i) * 1000));
    return out;
  }
  int64_t forget_records(EventLog& log) {
    int64_t n = 0;
    for (const char* c : {"history", "popularity", "top_items"}) {
      EXPECT_TRUE(log.derived_db(c).read([&](store::Connection& conn) -> Status {
                     SEGUE_ASSIGN_OR_RETURN(auto v, conn.query_int("SELECT COUNT(*) FROM event_forget"));
                     n += v.value_or(0);
                     return {};
                   }).ok());
    }
    return n;
  }
  void expect_user_gone(EventLog& log, const UserId& u) {
    EXPECT_TRUE(log.export_user(u)->empty());
    EXPECT_TRUE(log.recently_played(u, 50, std::nullopt, std::nullopt)->items.empty());
    EXPECT_EQ(log.top_tracks(u, TimeRange::kLongTerm, 50, 0)->total, 0);
    EXPECT_EQ(forget_records(log), 0);
    expect_consistent(*db_, log, lookup_track);
  }

  TempDb tmp_;
  std::unique_ptr<store::Database> db_ = tmp_.open();
};

TEST_F(SplitDeleteTest, EachConsumerHasItsOwnDatabaseFile) {
  auto log = open_log();
  for (const char* c : {"history", "popularity", "top_items"}) {
    EXPECT_TRUE(std::filesystem::exists(tmp_.derived_dir() + "/" + c + ".db")) << c;
    EXPECT_NE(&log->derived_db(c), db_.get()) << c;
  }
  EXPECT_NE(&log->derived_db("history"), &log->derived_db("top_items"));
}

TEST_F(SplitDeleteTest, AFailureHalfWayIsFinishedByARetry) {
  FailingForget failing;
  auto log = open_log({&failing});
  ASSERT_TRUE(log->append(plays(120, 0)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  failing.fail = true;
  EXPECT_FALSE(log->delete_history(user(0)).ok());  // the built-in consumers forgot, the log did not
  EXPECT_EQ(forget_records(*log), 3);
  EXPECT_FALSE(log->export_user(user(0))->empty());
  // The consumers move on meanwhile, over more of the user's events (and the old ones stay).
  ASSERT_TRUE(log->append(plays(60, 1)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  failing.fail = false;
  ASSERT_TRUE(log->delete_history(user(0)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  expect_user_gone(*log, user(0));
  EXPECT_EQ(log->recently_played(user(1), 500, std::nullopt, std::nullopt)->items.size(), 60u);
}

TEST_F(SplitDeleteTest, AFailureHalfWayIsFinishedAtTheNextStart) {
  FailingForget failing;
  {
    auto log = open_log({&failing});
    ASSERT_TRUE(log->append(plays(120, 0)).ok());
    ASSERT_TRUE(log->catch_up().ok());
    failing.fail = true;
    EXPECT_FALSE(log->delete_history(user(2)).ok());
  }
  failing.fail = false;
  auto log = open_log({&failing});  // start() finishes the delete before any consumer moves
  EXPECT_TRUE(log->export_user(user(2))->empty());
  ASSERT_TRUE(log->catch_up().ok());
  expect_user_gone(*log, user(2));
}

TEST_F(SplitDeleteTest, DropAndReplayAfterAFailedDeleteForgetsWhatItReapplied) {
  FailingForget failing;
  auto log = open_log({&failing});
  ASSERT_TRUE(log->append(plays(90, 0)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  failing.fail = true;
  EXPECT_FALSE(log->delete_history(user(1)).ok());
  ASSERT_TRUE(log->drop_and_replay("popularity").ok());
  ASSERT_TRUE(log->catch_up().ok());  // popularity counts user 1 again
  failing.fail = false;
  ASSERT_TRUE(log->delete_history(user(1)).ok());
  ASSERT_TRUE(log->catch_up().ok());
  expect_user_gone(*log, user(1));
}

// kill -9 after every consumer's database committed its part and before the log's commit.
TEST_F(SplitDeleteTest, KillBetweenTheConsumersCommitsAndTheLogsIsFinishedAtRestart) {
  {
    auto log = open_log();
    ASSERT_TRUE(log->append(plays(150, 0)).ok());
    ASSERT_TRUE(log->catch_up("history").ok());  // popularity and top_items stay behind
  }
  db_.reset();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto db = tmp_.open();
    db_ = std::move(db);
    auto log = open_log({}, [] { ::raise(SIGKILL); });
    if (!log) _exit(3);
    (void)log->delete_history(user(0));
    _exit(4);  // the hook did not run
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  db_ = tmp_.open();
  {
    // The consumers' records are there and the log still has the user's events.
    auto hist = store::Database::open_sqlite(tmp_.derived_dir() + "/history.db");
    ASSERT_TRUE(hist.ok());
    int64_t n = -1;
    ASSERT_TRUE((*hist)->read([&](store::Connection& c) -> Status {
                     SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT COUNT(*) FROM event_forget"));
                     n = v.value_or(0);
                     return {};
                   }).ok());
    EXPECT_EQ(n, 1);
    Log raw(*db_);
    EXPECT_FALSE(raw.user_events(user(0))->empty());
  }
  auto log = open_log();
  EXPECT_TRUE(log->export_user(user(0))->empty());
  ASSERT_TRUE(log->catch_up().ok());
  expect_user_gone(*log, user(0));
  EXPECT_EQ(log->recently_played(user(1), 500, std::nullopt, std::nullopt)->items.size(), 50u);
}

}  // namespace
}  // namespace segue::events
