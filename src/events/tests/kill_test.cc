// Kill -9 during a sustained ingest: a child process appends batches (its consumers running)
// and reports each acknowledged range through a pipe; the parent SIGKILLs it, reopens the
// database and checks that every acknowledged event is there exactly once and that the derived
// state, once the consumers catch up, equals a recount from the log.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "events/tests/test_util.h"
#include "store/testing.h"

namespace segue::events {
namespace {
using namespace segue::events::testing;

struct Ack {
  int64_t first;
  int64_t last;
};

[[noreturn]] void child_appends(const std::string& path, const std::string& derived_dir, int fd) {
  auto db = store::testing::open(path);
  if (!db.ok()) _exit(3);
  EventLogOptions o;
  o.lookup = lookup_track;
  o.runner.max_batch = 700;
  if (!derived_dir.empty()) o.derived_databases = derived_files(derived_dir);
  auto log = EventLog::open(**db, o);
  if (!log.ok()) _exit(4);
  int64_t n = 0;
  for (;;) {
    std::vector<Event> batch;
    for (int i = 0; i < 200; ++i, ++n) {
      // The timestamp is unique per event: duplicates would show.
      batch.push_back(n % 3 == 0 ? play_start(user(n % 5), n % 17, kT0 + n)
                                 : play_end(user(n % 5), n % 17, kT0 + n, n % 4 ? 60000 : 1000, n % 4 == 0,
                                            n % 11 == 0));
    }
    auto r = (*log)->append(batch);
    if (!r.ok()) _exit(5);
    Ack ack{r->first, r->last};
    if (::write(fd, &ack, sizeof ack) != sizeof ack) _exit(6);
  }
}

// `split`: each consumer in a database of its own (the server's setting), or all in the log's.
void kill_during_ingest(bool split) {
  TempDb tmp;
  const std::string derived_dir = split ? tmp.derived_dir() : "";
  { auto db = tmp.open(); }  // migrated before the child starts
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    child_appends(tmp.path(), derived_dir, fds[1]);
  }
  ::close(fds[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  std::vector<Ack> acks;
  Ack a;
  while (::read(fds[0], &a, sizeof a) == sizeof a) acks.push_back(a);
  ::close(fds[0]);
  ASSERT_GT(acks.size(), 3u) << "the child acknowledged too little to test anything";

  auto db = tmp.open();
  EventLogOptions o;
  o.lookup = lookup_track;
  o.start_threads = false;
  if (!derived_dir.empty()) o.derived_databases = derived_files(derived_dir);
  auto log = EventLog::open(*db, o);
  ASSERT_TRUE(log.ok());
  EXPECT_GE((*log)->head(), acks.back().last);
  int64_t rows = 0, distinct = 0, acked_present = 0;
  ASSERT_TRUE(db->read([&](store::Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int("SELECT COUNT(*) FROM event_log"));
                   SEGUE_ASSIGN_OR_RETURN(auto d, c.query_int("SELECT COUNT(DISTINCT client_ts) FROM event_log"));
                   SEGUE_ASSIGN_OR_RETURN(auto p, c.query_int("SELECT COUNT(*) FROM event_log WHERE seq <= ?",
                                                              {acks.back().last}));
                   rows = n.value_or(0);
                   distinct = d.value_or(0);
                   acked_present = p.value_or(0);
                   return {};
                 }).ok());
  EXPECT_EQ(rows, distinct) << "an event is in the log twice";
  EXPECT_EQ(acked_present, acks.back().last) << "an acknowledged event is missing";
  EXPECT_EQ(acks.front().first, 1);
  for (std::size_t i = 1; i < acks.size(); ++i) EXPECT_EQ(acks[i].first, acks[i - 1].last + 1);
  // The consumers were killed somewhere in their work too: they resume and agree with the log.
  ASSERT_TRUE((*log)->catch_up().ok());
  for (const auto& s : (*log)->consumers()) EXPECT_EQ(s.lag, 0) << s.name;
  expect_consistent(*db, **log, lookup_track);
  std::cerr << "[ info ] " << acks.size() << " batches acknowledged, " << rows << " events in the log\n";
}

TEST(KillNine, AcknowledgedEventsSurviveOnceAndCountsMatchARecount) { kill_during_ingest(false); }
TEST(KillNine, AcknowledgedEventsSurviveOnceAndCountsMatchARecountWithADatabasePerConsumer) {
  kill_during_ingest(true);
}

}  // namespace
}  // namespace segue::events
