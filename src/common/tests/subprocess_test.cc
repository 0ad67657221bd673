#include "common/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <thread>
#include <unistd.h>

namespace segue::subprocess {
namespace {

using namespace std::chrono_literals;

Outcome sh(const std::string& script, Options o = {}) {
  auto r = run({"/bin/sh", "-c", script}, o);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : Outcome{};
}

TEST(Subprocess, CapturesOutputAndExitStatus) {
  Outcome o = sh("printf 'hello\\n'; printf 'oops' >&2; exit 3");
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_EQ(o.err, "oops");
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_FALSE(o.succeeded());
  EXPECT_EQ(o.describe(), "exited with status 3");
  EXPECT_TRUE(sh("true").succeeded());
}

TEST(Subprocess, ACrashIsReportedNotPropagated) {
  Outcome o = sh("kill -SEGV $$");
  EXPECT_EQ(o.signal, SIGSEGV);
  EXPECT_FALSE(o.succeeded());
  EXPECT_NE(o.describe().find("signal 11"), std::string::npos);
}

TEST(Subprocess, AHangIsKilledAtTheDeadline) {
  Options opt;
  opt.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  Outcome o = sh("echo started; sleep 30", opt);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(o.timed_out);
  EXPECT_EQ(o.out, "started\n");
  EXPECT_LT(took, 5s);
  // A child that closes its output and keeps running is caught by the deadline too.
  start = std::chrono::steady_clock::now();
  o = sh("exec >&- 2>&-; sleep 30", opt);
  EXPECT_TRUE(o.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Subprocess, CancellingKillsTheChildPromptly) {
  std::atomic<bool> cancel{false};
  Options opt;
  opt.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  Outcome o = sh("sleep 30", opt);
  canceller.join();
  EXPECT_TRUE(o.cancelled);
  EXPECT_FALSE(o.succeeded());
  EXPECT_EQ(o.describe(), "cancelled");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(Subprocess, OutputBeyondTheCapKillsTheChild) {
  Options opt;
  opt.max_output = 100000;
  Outcome o = sh("yes segue", opt);
  EXPECT_FALSE(o.succeeded());
  EXPECT_LT(o.out.size(), 100000u + 65536u + 1);
  EXPECT_NE(o.err.find("output larger"), std::string::npos);
}

TEST(Subprocess, NoDescriptorLeaksAndNiceIsApplied) {
  int fd = ::open("/dev/null", O_RDONLY);  // without O_CLOEXEC on purpose
  ASSERT_GE(fd, 3);
  Options opt;
  opt.nice = 7;
  Outcome o = sh("ls /proc/self/fd | wc -l; cut -d' ' -f19 /proc/self/stat", opt);
  ::close(fd);
  // 0, 1, 2 and the descriptor ls opens for the directory; nothing of ours.
  EXPECT_EQ(o.out.substr(0, o.out.find('\n')), "4");
  int own_nice = ::getpriority(PRIO_PROCESS, 0);
  EXPECT_EQ(std::stoi(o.out.substr(o.out.find('\n') + 1)), std::min(19, own_nice + 7));
}

TEST(Subprocess, BadCommands) {
  EXPECT_FALSE(run({}, {}).ok());
  auto r = run({"/nonexistent/segue-worker"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_FALSE(self_executable().empty());
}

LineWorker sh_worker(const std::string& script, Options o = {}) {
  return LineWorker({"/bin/sh", "-c", script}, o);
}

TEST(LineWorker, OneChildAnswersManyRequests) {
  LineWorker w = sh_worker("while read l; do echo \"got $l\"; done");
  for (const char* x : {"a", "b c", ""}) {
    auto r = w.request(x);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->ok) << r->outcome.describe();
    EXPECT_EQ(r->line, std::string("got ") + x);
  }
  EXPECT_EQ(w.started(), 1);
  EXPECT_FALSE(w.request("two\nlines").ok());
}

TEST(LineWorker, ACrashFailsThatRequestAndTheNextStartsAFreshChild) {
  LineWorker w = sh_worker("while read l; do case $l in crash) kill -SEGV $$ ;; quit) exit 3 ;; esac; echo \"ok $l\"; done");
  EXPECT_EQ(w.request("a")->line, "ok a");
  auto crashed = w.request("crash");
  ASSERT_TRUE(crashed.ok());
  EXPECT_FALSE(crashed->ok);
  EXPECT_EQ(crashed->outcome.signal, SIGSEGV);
  EXPECT_EQ(w.request("b")->line, "ok b");
  EXPECT_EQ(w.started(), 2);
  auto quit = w.request("quit");
  EXPECT_FALSE(quit->ok);
  EXPECT_EQ(quit->outcome.exit_code, 3);
  EXPECT_EQ(w.request("c")->line, "ok c");
  EXPECT_EQ(w.started(), 3);
}

TEST(LineWorker, AHangIsKilledAtTheDeadlineAndCancelWorks) {
  Options o;
  o.timeout = 300ms;
  std::atomic<bool> cancel{false};
  o.cancel = &cancel;
  LineWorker w = sh_worker("while read l; do case $l in hang) sleep 30 ;; esac; echo \"ok $l\"; done", o);
  auto start = std::chrono::steady_clock::now();
  auto hung = w.request("hang");
  ASSERT_TRUE(hung.ok());
  EXPECT_FALSE(hung->ok);
  EXPECT_TRUE(hung->outcome.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(w.request("x")->line, "ok x");
  cancel = true;
  auto c = w.request("y");
  EXPECT_FALSE(c->ok);
  EXPECT_TRUE(c->outcome.cancelled);
}

TEST(LineWorker, StopEndsTheChild) {
  LineWorker w = sh_worker("while read l; do echo \"$l\"; done; exit 0");
  EXPECT_EQ(w.request("x")->line, "x");
  auto start = std::chrono::steady_clock::now();
  w.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(w.request("again")->line, "again");
  EXPECT_EQ(w.started(), 2);
}

}  // namespace
}  // namespace segue::subprocess
