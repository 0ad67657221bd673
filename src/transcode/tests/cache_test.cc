#include "transcode/cache.h"
#include "store/testing.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "audio/decoder.h"
#include "audio/synth.h"

namespace segue::transcode {
namespace {

namespace fs = std::filesystem;
using audio::Format;

// A runner that writes `bytes` bytes the way the worker does (.part, then rename), counting
// calls; it can be held until released, and made to fail.
struct FakeRunner {
  std::atomic<int> calls{0};
  std::atomic<bool> hold{false};
  std::atomic<bool> fail{false};
  int64_t bytes = 1000;
  std::mutex mu;
  std::vector<std::string> order;  // source paths, in the order the jobs started

  Runner runner() {
    return [this](const Job& job) -> Result<audio::TranscodeReport> {
      {
        std::lock_guard lock(mu);
        order.push_back(job.in_path);
      }
      ++calls;
      while (hold) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (fail) return Error::invalid("not an audio file: Invalid data found when processing input");
      {
        std::ofstream f(job.out_path + ".part", std::ios::binary);
        f << std::string(static_cast<std::size_t>(bytes), 'x');
      }
      fs::rename(job.out_path + ".part", job.out_path);
      audio::TranscodeReport r;
      r.bytes = bytes;
      r.seconds = 1;
      r.bitrate_kbps = job.bitrate_kbps;
      return r;
    };
  }
};

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("segue-tcache-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    db_ = store::testing::open((root_ / "segue.db").string()).value();
  }
  void TearDown() override {
    cache_.reset();
    db_.reset();
    fs::remove_all(root_);
  }
  std::string dir() const { return (root_ / "transcodes").string(); }

  TranscodeCache& open(Runner runner, uint64_t max_bytes = 1 << 30, std::chrono::seconds keep_recent = std::chrono::seconds(0)) {
    cache_.reset();
    CacheOptions o;
    o.dir = dir();
    o.max_bytes = max_bytes;
    o.keep_recent = keep_recent;
    o.runner = std::move(runner);
    auto c = TranscodeCache::open(*db_, std::move(o));
    EXPECT_TRUE(c.ok()) << c.error().message;
    cache_ = std::move(c).value();
    return *cache_;
  }

  static Source source(const std::string& name, int64_t mtime = 1) {
    return Source{FileId(derived_base62_id("test-file", name)), "/music/" + name, 1234, mtime, 180};
  }

  fs::path root_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<TranscodeCache> cache_;
};

TEST(EncodingIdTest, SameInputsSameIdDifferentInputsDifferentIds) {
  FileId a(derived_base62_id("t", "a")), b(derived_base62_id("t", "b"));
  FileId id = TranscodeCache::encoding_id(a, Format::kOgg, 160);
  EXPECT_TRUE(is_base62_id(id.str()));
  EXPECT_EQ(id, TranscodeCache::encoding_id(a, Format::kOgg, 160));
  EXPECT_NE(id, TranscodeCache::encoding_id(a, Format::kOgg, 96));
  EXPECT_NE(id, TranscodeCache::encoding_id(a, Format::kOpus, 160));
  EXPECT_NE(id, TranscodeCache::encoding_id(b, Format::kOgg, 160));
  EXPECT_NE(id, a);
}

TEST_F(CacheTest, ConcurrentRequestsForAMissingEncodingStartOneJob) {
  FakeRunner fake;
  fake.hold = true;
  auto& cache = open(fake.runner());
  std::vector<std::thread> threads;
  std::atomic<int> pending{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto info = cache.request(source("a.flac"), Format::kOgg, 160);
      if (info.state == State::kQueued || info.state == State::kRunning) ++pending;
      EXPECT_GE(info.retry_after.count(), 1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(pending, 8);
  fake.hold = false;
  cache.wait_idle();
  EXPECT_EQ(fake.calls, 1);
  auto info = cache.request(source("a.flac"), Format::kOgg, 160);
  EXPECT_EQ(info.state, State::kReady);
  EXPECT_EQ(info.size, 1000);
  EXPECT_TRUE(fs::exists(info.path));
  EXPECT_EQ(fs::path(info.path).filename().string(), info.id.str() + ".ogg");
  EXPECT_EQ(fake.calls, 1);
}

TEST_F(CacheTest, WithoutJobsOnThisNodeRequestsQueueAndNothingIsMade) {
  // A node without the transcode role (issue 16): the cache answers lookups and queues work,
  // but runs no job.
  FakeRunner fake;
  CacheOptions o;
  o.dir = dir();
  o.runner = fake.runner();
  o.run_jobs = false;
  auto c = TranscodeCache::open(*db_, std::move(o));
  ASSERT_TRUE(c.ok()) << c.error().message;
  cache_ = std::move(c).value();
  MetricsRegistry metrics;
  cache_->register_metrics(metrics);
  auto info = cache_->request(source("a.flac"), Format::kOgg, 160);
  EXPECT_EQ(info.state, State::kQueued);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(fake.calls, 0);
  EXPECT_EQ(cache_->request(source("a.flac"), Format::kOgg, 160).state, State::kQueued);
  EXPECT_EQ(cache_->stats().queued, 1u);
  EXPECT_NE(metrics.render().find("segue_transcode_queued 1"), std::string::npos) << metrics.render();
}

TEST_F(CacheTest, LeastRecentlyUsedIsEvictedUnderTheBound) {
  FakeRunner fake;
  auto& cache = open(fake.runner(), 2500);  // room for two 1000-byte files
  auto make = [&](const char* name) {
    cache.request(source(name), Format::kOgg, 96);
    cache.wait_idle();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return cache.peek(source(name), Format::kOgg, 96);
  };
  auto a = make("a.flac");
  auto b = make("b.flac");
  ASSERT_EQ(a.state, State::kReady);
  ASSERT_EQ(b.state, State::kReady);
  ASSERT_TRUE(cache.find(a.id).has_value());  // a is now the most recently used
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto c = make("c.flac");
  EXPECT_EQ(c.state, State::kReady);
  EXPECT_EQ(cache.peek(source("a.flac"), Format::kOgg, 96).state, State::kReady);
  EXPECT_EQ(cache.peek(source("b.flac"), Format::kOgg, 96).state, State::kMissing);
  EXPECT_FALSE(fs::exists(b.path));
  EXPECT_TRUE(fs::exists(a.path));
  auto s = cache.stats();
  EXPECT_EQ(s.ready, 2u);
  EXPECT_EQ(s.ready_bytes, 2000u);
  EXPECT_EQ(s.evicted, 1u);
  // The evicted encoding is still known by id: asking for it makes it again.
  auto again = cache.find(b.id);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->state == State::kQueued || again->state == State::kRunning);
  cache.wait_idle();
  EXPECT_EQ(cache.find(b.id)->state, State::kReady);
}

TEST_F(CacheTest, RecentlyUsedEncodingsAreNotEvictedEvenOverTheBound) {
  FakeRunner fake;
  auto& cache = open(fake.runner(), 1500, std::chrono::seconds(600));
  cache.request(source("a.flac"), Format::kOgg, 96);
  cache.wait_idle();
  cache.request(source("b.flac"), Format::kOgg, 96);
  cache.wait_idle();
  EXPECT_EQ(cache.peek(source("a.flac"), Format::kOgg, 96).state, State::kReady);
  EXPECT_EQ(cache.peek(source("b.flac"), Format::kOgg, 96).state, State::kReady);
  EXPECT_EQ(cache.stats().evicted, 0u);
}

TEST_F(CacheTest, OpeningRemovesPartFilesAndUnlistedEncodingsButNothingElse) {
  FakeRunner fake;
  {
    auto& cache = open(fake.runner());
    cache.request(source("kept.flac"), Format::kOpus, 96);
    cache.wait_idle();
  }
  cache_.reset();
  const FileId orphan = TranscodeCache::encoding_id(FileId(derived_base62_id("t", "x")), Format::kOgg, 160);
  std::ofstream(dir() + "/" + orphan.str() + ".ogg.part") << "half";   // a worker killed mid-write
  std::ofstream(dir() + "/" + orphan.str() + ".ogg") << "unrecorded";  // parent died before recording
  std::ofstream(dir() + "/notes.txt") << "not ours";
  auto& cache = open(fake.runner());
  EXPECT_FALSE(fs::exists(dir() + "/" + orphan.str() + ".ogg.part"));
  EXPECT_FALSE(fs::exists(dir() + "/" + orphan.str() + ".ogg"));
  EXPECT_TRUE(fs::exists(dir() + "/notes.txt"));
  auto kept = cache.peek(source("kept.flac"), Format::kOpus, 96);
  EXPECT_EQ(kept.state, State::kReady);  // recorded encodings survive a restart
  EXPECT_TRUE(fs::exists(kept.path));
  EXPECT_EQ(fake.calls, 1);
}

TEST_F(CacheTest, ARecordedEncodingWhoseFileIsGoneIsForgotten) {
  FakeRunner fake;
  std::string path;
  {
    auto& cache = open(fake.runner());
    cache.request(source("a.flac"), Format::kOgg, 160);
    cache.wait_idle();
    path = cache.peek(source("a.flac"), Format::kOgg, 160).path;
  }
  cache_.reset();
  fs::remove(path);
  auto& cache = open(fake.runner());
  EXPECT_EQ(cache.peek(source("a.flac"), Format::kOgg, 160).state, State::kMissing);
}

TEST_F(CacheTest, AFailedJobIsReportedAndNotRetriedUntilTheSourceChanges) {
  FakeRunner fake;
  fake.fail = true;
  auto& cache = open(fake.runner());
  cache.request(source("bad.mp3"), Format::kOgg, 160);
  cache.wait_idle();
  for (int i = 0; i < 5; ++i) {
    auto info = cache.request(source("bad.mp3"), Format::kOgg, 160);
    EXPECT_EQ(info.state, State::kFailed);
    EXPECT_NE(info.error.find("not an audio file"), std::string::npos) << info.error;
  }
  cache.wait_idle();
  EXPECT_EQ(fake.calls, 1);
  EXPECT_EQ(cache.stats().failed, 1u);
  // Remembered across a restart too.
  auto& reopened = open(fake.runner());
  EXPECT_EQ(reopened.request(source("bad.mp3"), Format::kOgg, 160).state, State::kFailed);
  reopened.wait_idle();
  EXPECT_EQ(fake.calls, 1);
  // A new version of the file is tried again.
  fake.fail = false;
  reopened.request(source("bad.mp3", 2), Format::kOgg, 160);
  reopened.wait_idle();
  EXPECT_EQ(fake.calls, 2);
  EXPECT_EQ(reopened.peek(source("bad.mp3", 2), Format::kOgg, 160).state, State::kReady);
}

TEST_F(CacheTest, ForegroundRequestsOvertakeBackgroundWork) {
  FakeRunner fake;
  fake.hold = true;
  auto& cache = open(fake.runner());
  std::vector<Source> all;
  for (int i = 0; i < 5; ++i) all.push_back(source("bg" + std::to_string(i) + ".flac"));
  cache.encode_ahead(all, Format::kOgg, 160);
  while (fake.calls == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // bg0 is running; ask for bg4, queued last.
  auto info = cache.request(all[4], Format::kOgg, 160);
  EXPECT_EQ(info.state, State::kQueued);
  fake.hold = false;
  cache.wait_idle();
  // bg4 ran right after the job that was running when it was asked for.
  ASSERT_EQ(fake.order.size(), 5u);
  EXPECT_EQ(fake.order[0], all[0].path);
  EXPECT_EQ(fake.order[1], all[4].path);
  EXPECT_EQ(fake.calls, 5);
  // Ahead-of-time work leaves ready encodings alone.
  cache.encode_ahead(all, Format::kOgg, 160);
  cache.wait_idle();
  EXPECT_EQ(fake.calls, 5);
}

// ---- real transcodes and real child processes ----

TEST_F(CacheTest, InProcessRunnerProducesADecodableEncoding) {
  const std::string flac = (root_ / "tune.flac").string();
  ASSERT_TRUE(audio::encode_pcm_file(flac, Format::kFlac, audio::render_demo_tune(5, 3.0), 0).ok());
  auto& cache = open([](const Job& j) { return audio::transcode(j.in_path, j.out_path, j.format, j.bitrate_kbps); });
  Source s{FileId(derived_base62_id("t", "tune")), flac, static_cast<int64_t>(fs::file_size(flac)), 1, 3};
  cache.request(s, Format::kOgg, 96);
  cache.wait_idle();
  auto info = cache.peek(s, Format::kOgg, 96);
  ASSERT_EQ(info.state, State::kReady) << info.error;
  auto pcm = audio::decode_file(info.path);
  ASSERT_TRUE(pcm.ok());
  EXPECT_NEAR(pcm->seconds(), 3.0, 0.05);
}

Runner shell_runner(const std::string& script, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  WorkerCommand cmd;
  cmd.argv_prefix = {"/bin/sh", "-c", script, "sh"};
  cmd.timeout_base = timeout;
  cmd.timeout_per_audio_second = 0;
  return subprocess_runner(cmd);
}

TEST_F(CacheTest, ACrashingWorkerFailsOnlyThatEncoding) {
  auto& cache = open(shell_runner("printf half > \"$2.part\"; kill -SEGV $$"));
  cache.request(source("hostile.mp3"), Format::kOgg, 160);
  cache.wait_idle();
  auto info = cache.peek(source("hostile.mp3"), Format::kOgg, 160);
  EXPECT_EQ(info.state, State::kFailed);
  EXPECT_NE(info.error.find("signal 11"), std::string::npos) << info.error;
  EXPECT_TRUE(fs::is_empty(dir()));  // the .part file of the dead worker was removed
}

TEST_F(CacheTest, AHangingWorkerIsKilledAtItsTimeLimit) {
  auto& cache = open(shell_runner("sleep 30", std::chrono::seconds(1)));
  const auto t0 = std::chrono::steady_clock::now();
  cache.request(source("hang.flac"), Format::kOpus, 96);
  cache.wait_idle();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  auto info = cache.peek(source("hang.flac"), Format::kOpus, 96);
  EXPECT_EQ(info.state, State::kFailed);
  EXPECT_NE(info.error.find("timed out"), std::string::npos) << info.error;
}

TEST_F(CacheTest, StoppingCancelsARunningWorkerAndRecordsNothing) {
  auto& cache = open(shell_runner("sleep 30", std::chrono::seconds(60)));
  cache.request(source("long.flac"), Format::kOgg, 160);
  while (cache.stats().running == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto t0 = std::chrono::steady_clock::now();
  cache.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  FakeRunner fake;
  auto& reopened = open(fake.runner());
  EXPECT_EQ(reopened.peek(source("long.flac"), Format::kOgg, 160).state, State::kMissing);
  EXPECT_EQ(fake.calls, 0);
}

TEST_F(CacheTest, AWorkerErrorReportIsPassedOn) {
  auto& cache = open(shell_runner(
      "echo '{\"ok\":false,\"code\":\"invalid_argument\",\"error\":\"no decodable audio stream\"}'; exit 1"));
  cache.request(source("text.mp3"), Format::kM4a, 128);
  cache.wait_idle();
  auto info = cache.peek(source("text.mp3"), Format::kM4a, 128);
  EXPECT_EQ(info.state, State::kFailed);
  EXPECT_EQ(info.error, "no decodable audio stream");
}

// Issue 16: "no report" is a typed reason, not a message to match.
TEST(WorkerProtocolTest, ALineThatIsNoReportSaysSoByItsReason) {
  for (std::string_view line : {"", "Segmentation fault", "[1, 2]", "{\"bytes\": 3}"}) {
    auto r = report_from_json(line);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.error().code, ErrorCode::kInternal);
    EXPECT_TRUE(r.error().is(ErrorReason::kNoReport)) << line;
  }
  // An error the worker reported is its own error, whatever its message says.
  auto reported = report_from_json(error_to_json(Error::internal("the transcode worker printed no report")));
  ASSERT_FALSE(reported.ok());
  EXPECT_EQ(reported.error().reason, ErrorReason::kNone);
}

TEST_F(CacheTest, AWorkerThatExitsWithoutAReportFailsSayingHowItEnded) {
  auto& cache = open(shell_runner("printf half > \"$2.part\"; exit 0"));
  cache.request(source("quiet.flac"), Format::kOgg, 96);
  cache.wait_idle();
  auto info = cache.peek(source("quiet.flac"), Format::kOgg, 96);
  EXPECT_EQ(info.state, State::kFailed);
  EXPECT_NE(info.error.find("without a report"), std::string::npos) << info.error;
  EXPECT_TRUE(fs::is_empty(dir()));  // its .part file was removed
}

TEST(WorkerProtocolTest, ReportsRoundTrip) {
  audio::TranscodeReport r;
  r.source_codec = "flac";
  r.source_seconds = 12.5;
  r.seconds = 12.5;
  r.bytes = 250000;
  r.bitrate_kbps = 160;
  r.sample_rate = 44100;
  r.channels = 2;
  auto back = report_from_json(report_to_json(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->bytes, 250000);
  EXPECT_EQ(back->bitrate_kbps, 160);
  EXPECT_EQ(back->source_codec, "flac");
  auto err = report_from_json(error_to_json(Error::invalid("bad")));
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(report_from_json("garbage").ok());
}

// ---- several nodes on one database (issue 17) ----

// A second node: its own Database handle on the test's database, the same transcode folder.
class ClusterTest : public CacheTest {
 protected:
  std::unique_ptr<TranscodeCache> node(store::Database& db, Runner runner, bool run_jobs, const std::string& name) {
    CacheOptions o;
    o.dir = dir();
    o.runner = std::move(runner);
    o.run_jobs = run_jobs;
    o.node_id = name;
    o.sync_interval = std::chrono::milliseconds(100);
    auto c = TranscodeCache::open(db, std::move(o));
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? std::move(c).value() : nullptr;
  }
  template <typename F>
  static bool eventually(F f, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < limit) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return f();
  }
  int64_t jobs_in_table() {
    int64_t n = -1;
    EXPECT_TRUE(db_->read([&](store::Connection& c) -> Status {
                    SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT COUNT(*) FROM transcode_jobs"));
                    n = v.value_or(0);
                    return {};
                  }).ok());
    return n;
  }
};

TEST_F(ClusterTest, TwoNodesAskedForTheSameEncodingMakeItOnceAndBothSeeItReady) {
  if (!store::testing::on_postgres()) GTEST_SKIP() << "several nodes need PostgreSQL (SQLite has one process)";
  auto other_db = store::testing::open((root_ / "segue.db").string());
  ASSERT_TRUE(other_db.ok()) << other_db.error().message;
  FakeRunner fa, fb;
  fa.hold = fb.hold = true;
  auto a = node(*db_, fa.runner(), true, "node-a");
  auto b = node(**other_db, fb.runner(), true, "node-b");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->request(source("same.flac"), Format::kOgg, 160).state, State::kReady);
  EXPECT_NE(b->request(source("same.flac"), Format::kOgg, 160).state, State::kReady);
  ASSERT_TRUE(eventually([&] { return fa.calls + fb.calls >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // several claim rounds of both nodes
  EXPECT_EQ(fa.calls + fb.calls, 1) << "encoded on both nodes";
  fa.hold = fb.hold = false;
  EXPECT_TRUE(eventually([&] { return a->request(source("same.flac"), Format::kOgg, 160).state == State::kReady; }));
  EXPECT_TRUE(eventually([&] { return b->request(source("same.flac"), Format::kOgg, 160).state == State::kReady; }));
  auto ia = a->peek(source("same.flac"), Format::kOgg, 160), ib = b->peek(source("same.flac"), Format::kOgg, 160);
  EXPECT_EQ(ia.path, ib.path);
  EXPECT_EQ(ia.size, 1000);
  EXPECT_EQ(ib.size, 1000);
  EXPECT_EQ(fa.calls + fb.calls, 1);
  EXPECT_EQ(jobs_in_table(), 0);
}

TEST_F(ClusterTest, ARequestOnANodeWithoutJobsIsMadeByANodeWithThem) {
  if (!store::testing::on_postgres()) GTEST_SKIP() << "several nodes need PostgreSQL (SQLite has one process)";
  auto other_db = store::testing::open((root_ / "segue.db").string());
  ASSERT_TRUE(other_db.ok()) << other_db.error().message;
  FakeRunner fa, fb;
  auto a = node(*db_, fa.runner(), false, "node-a");      // no transcode role
  auto b = node(**other_db, fb.runner(), true, "node-b");  // never asked for anything
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->request(source("wanted.flac"), Format::kOpus, 96).state, State::kQueued);
  EXPECT_TRUE(eventually([&] { return a->request(source("wanted.flac"), Format::kOpus, 96).state == State::kReady; }));
  EXPECT_EQ(fa.calls, 0);
  EXPECT_EQ(fb.calls, 1);
  EXPECT_TRUE(fs::exists(a->peek(source("wanted.flac"), Format::kOpus, 96).path));
  EXPECT_EQ(a->stats().queued, 0u);
}

TEST_F(ClusterTest, AJobWhoseClaimerDiedIsTakenOverAndOneThatKeepsDyingIsRecordedAsFailed) {
  // Job rows as other nodes left them: one claimed by a node that died (its lease ran out),
  // one claimed by a live node, one that killed every node that claimed it.
  {
    FakeRunner none;
    auto first = node(*db_, none.runner(), false, "migrator");  // creates the tables
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  auto put = [&](const std::string& name, const std::string& claimer, int64_t expires, int64_t attempts) {
    const Source s = source(name);
    ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                    SEGUE_TRY(c.exec(
                        "INSERT INTO transcode_jobs (file_id, source_file_id, source_path, source_size, source_mtime_ns, "
                        "duration_s, format, bitrate_kbps, priority, queued_at_us, claimed_by, claimed_at_ms, "
                        "claim_expires_at_ms, attempts) VALUES (?, ?, ?, ?, ?, ?, 'vorbis', 160, 0, ?, ?, ?, ?, ?)",
                        {TranscodeCache::encoding_id(s.file, Format::kOgg, 160).str(), s.file.str(), s.path, s.size,
                         s.mtime_ns, s.duration_s, now * 1000, claimer, now - 1000, expires, attempts}));
                    return {};
                  }).ok());
  };
  put("orphan.flac", "dead-node", now - 1, 1);
  put("busy.flac", "live-node", now + 3'600'000, 1);
  put("poison.flac", "dead-node", now - 1, TranscodeCache::kMaxAttempts);
  FakeRunner fake;
  auto n = node(*db_, fake.runner(), true, "survivor");
  ASSERT_TRUE(n);
  EXPECT_TRUE(eventually([&] { return n->peek(source("orphan.flac"), Format::kOgg, 160).state == State::kReady; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(fake.order.size(), 1u);
  EXPECT_EQ(fake.order[0], source("orphan.flac").path);
  EXPECT_EQ(jobs_in_table(), 1);  // the live claim is left to its node
  EXPECT_EQ(n->peek(source("busy.flac"), Format::kOgg, 160).state, State::kMissing);
  // Recorded as failed without a run; a later request learns it from the table.
  EXPECT_TRUE(eventually([&] { return n->request(source("poison.flac"), Format::kOgg, 160).state == State::kFailed; }));
  auto poison = n->request(source("poison.flac"), Format::kOgg, 160);
  EXPECT_NE(poison.error.find("never finished"), std::string::npos) << poison.error;
  EXPECT_EQ(fake.order.size(), 1u);
}

// GET /audio/{encoding id} may reach any node (issue 17): a node that was never asked for an
// encoding finds it in the tables, pending while another node makes it, then ready from the
// shared folder; and one made before it ever heard of it, at once.
TEST_F(ClusterTest, AnEncodingAskedOfOneNodeIsFoundByTheOtherFromTheTables) {
  if (!store::testing::on_postgres()) GTEST_SKIP() << "several nodes need PostgreSQL (SQLite has one process)";
  auto other_db = store::testing::open((root_ / "segue.db").string());
  ASSERT_TRUE(other_db.ok()) << other_db.error().message;
  FakeRunner fa, fb;
  fa.hold = true;
  auto a = node(*db_, fa.runner(), true, "node-a");
  auto b = node(**other_db, fb.runner(), false, "node-b");  // never asked: knows nothing in memory
  ASSERT_TRUE(a && b);
  const FileId id = a->request(source("played.flac"), Format::kOgg, 160).id;
  ASSERT_TRUE(eventually([&] { return fa.calls == 1; }));  // node a is making it
  EXPECT_FALSE(b->find(id).has_value());                    // memory alone: unknown (404 before)
  auto pending = b->find_stored(id);
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  ASSERT_TRUE(pending->has_value());
  EXPECT_EQ((*pending)->state, State::kQueued);
  EXPECT_GE((*pending)->retry_after.count(), 1);
  EXPECT_EQ((*pending)->source, source("played.flac").file);
  fa.hold = false;
  // Known from now on: node b learns the result as it does for its own requests.
  EXPECT_TRUE(eventually([&] {
    auto e = b->find(id);
    return e && e->state == State::kReady;
  }));
  auto ready = b->find(id);
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->path, a->peek(source("played.flac"), Format::kOgg, 160).path);
  EXPECT_EQ(ready->size, 1000);
  EXPECT_TRUE(fs::exists(ready->path));

  // Made by node a before node b heard of it: ready at the first lookup.
  const FileId done = a->request(source("earlier.flac"), Format::kOpus, 96).id;
  ASSERT_TRUE(eventually([&] { return a->peek(source("earlier.flac"), Format::kOpus, 96).state == State::kReady; }));
  EXPECT_FALSE(b->find(done).has_value());
  auto made = b->find_stored(done);
  ASSERT_TRUE(made.ok() && made->has_value());
  EXPECT_EQ((*made)->state, State::kReady);
  EXPECT_EQ((*made)->size, 1000);
  EXPECT_EQ((*made)->format, Format::kOpus);

  // An encoding that failed on node a is reported as failed, not unknown.
  fa.fail = true;
  const FileId bad = a->request(source("broken.flac"), Format::kOgg, 96).id;
  ASSERT_TRUE(eventually([&] { return a->peek(source("broken.flac"), Format::kOgg, 96).state == State::kFailed; }));
  auto failed = b->find_stored(bad);
  ASSERT_TRUE(failed.ok() && failed->has_value());
  EXPECT_EQ((*failed)->state, State::kFailed);
  EXPECT_NE((*failed)->error.find("not an audio file"), std::string::npos) << (*failed)->error;

  // A play on node b of an encoding node a failed to make: settle() learns the failure at once
  // (so the original is offered, as on one node); b's memory alone thought it queued.
  const FileId bad2 = a->request(source("broken2.flac"), Format::kOgg, 96).id;
  ASSERT_TRUE(eventually([&] { return a->peek(source("broken2.flac"), Format::kOgg, 96).state == State::kFailed; }));
  EXPECT_EQ(b->request(source("broken2.flac"), Format::kOgg, 96).state, State::kQueued);
  ASSERT_TRUE(b->settle(bad2).ok());
  EXPECT_EQ(b->peek(source("broken2.flac"), Format::kOgg, 96).state, State::kFailed);
  fa.fail = false;
  fa.hold = true;
  // A new request on node b: settle() writes its job row before the answer, so node a finds it.
  const FileId fresh = b->request(source("fresh.flac"), Format::kOgg, 160).id;
  ASSERT_TRUE(b->settle(fresh).ok());
  auto seen = a->find_stored(fresh);
  ASSERT_TRUE(seen.ok() && seen->has_value());
  // (queued, or already claimed by node a's job thread)
  EXPECT_TRUE((*seen)->state == State::kQueued || (*seen)->state == State::kRunning) << state_name((*seen)->state);
  fa.hold = false;
  EXPECT_TRUE(eventually([&] { return b->peek(source("fresh.flac"), Format::kOgg, 160).state == State::kReady; }));

  // Neither table has it: unknown.
  auto unknown = b->find_stored(TranscodeCache::encoding_id(source("never.flac").file, Format::kOgg, 160));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  EXPECT_EQ(fb.calls, 0);
  EXPECT_EQ(fa.calls, 5);
}

}  // namespace
}  // namespace segue::transcode
