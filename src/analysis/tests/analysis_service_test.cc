#include "analysis/analysis_service.h"
#include "store/testing.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include <boost/json.hpp>
#include <thread>

#include "audio/encoder.h"
#include "bus/local_bus.h"
#include "audio/synth.h"
#include "catalog/scanner.h"
#include "catalog/tag_writer.h"

namespace segue::analysis {
using namespace segue::audio;  // the analyzer's result types and helpers
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class AnalysisServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("segue-analysis-svc-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "lib");
    write_track("01 - One.flac", Format::kFlac, 70, 0, "One", "A", 1);
    write_track("02 - Two.ogg", Format::kOgg, 71, -10, "Two", "A", 2);
    write_track("03 - Two again.mp3", Format::kMp3, 71, -10, "Two", "B", 1);
    write_track("04 - crash.flac", Format::kFlac, 72, 0, "Crash", "C", 1);
    write_track("05 - hang.flac", Format::kFlac, 73, 0, "Hang", "C", 2);
    // The worker as the server runs it, wrapped so two files behave like hostile ones: one
    // crashes the decoder process, one never finishes.
    script_ = (dir_ / "worker.sh").string();
    std::ofstream(script_) << "#!/bin/sh\ncase \"$3\" in\n  *crash*) kill -SEGV $$ ;;\n  *hang*) exec sleep 60 ;;\nesac\n"
                           << "exec " << SEGUE_TEST_WORKER << " \"$@\"\n";
    fs::permissions(script_, fs::perms::owner_all);
    open_db();
  }
  void TearDown() override {
    catalog_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  void write_track(const std::string& name, Format fmt, uint32_t seed, double gain_db, const std::string& title,
                   const std::string& album, int number) {
    Pcm p = render_demo_tune(seed, 20.0);
    const auto g = static_cast<float>(std::pow(10.0, gain_db / 20));
    for (float& s : p.samples) s *= g;
    std::string path = (dir_ / "lib" / name).string();
    ASSERT_TRUE(encode_pcm_file(path, fmt, p, 192).ok());
    catalog::TagWrite tags;
    tags.properties = {{"TITLE", {title}}, {"ARTIST", {"Tester"}}, {"ALBUM", {album}}, {"TRACKNUMBER", {std::to_string(number)}}};
    ASSERT_TRUE(catalog::write_tags(path, tags).ok());
  }
  void open_db() {
    catalog_.reset();
    db_.reset();
    auto db = store::testing::open((dir_ / "segue.db").string());
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    catalog_ = std::make_unique<catalog::Catalog>(*db_, &bus_);
  }
  void scan() {
    catalog::Scanner scanner(*db_, catalog_.get());
    auto r = scanner.scan({(dir_ / "lib").string()}, false);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  Runner isolated() {
    subprocess::Options o;
    o.timeout = 3s;
    return isolated_runner(script_, o);
  }
  const catalog::Track* track(const std::string& title, const std::string& album) {
    auto snap = catalog_->snapshot();
    for (const auto& t : snap->tracks()) {
      const auto* a = snap->album(t.album_id);
      if (t.title == title && a && a->name == album) return &t;
    }
    return nullptr;
  }
  AnalysisService::Options opts(int workers = 2) {
    AnalysisService::Options o;
    o.workers = workers;
    return o;
  }

  fs::path dir_;
  std::string script_;
  std::unique_ptr<store::Database> db_;
  bus::LocalBus bus_;
  std::unique_ptr<catalog::Catalog> catalog_;
};

// The same library through the two isolated runners: a process per file, and long-lived
// processes that are replaced when one crashes or hangs.
class AnalysisServiceRunners : public AnalysisServiceTest, public ::testing::WithParamInterface<bool> {};
INSTANTIATE_TEST_SUITE_P(Runners, AnalysisServiceRunners, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "persistent" : "per_file"; });

TEST_P(AnalysisServiceRunners, AnalyzesTheLibraryAndContainsCrashesAndHangs) {
  scan();
  Runner runner = isolated();
  if (GetParam()) {
    ::setenv("SEGUE_TEST_HOSTILE", "1", 1);
    subprocess::Options o;
    o.timeout = 3s;
    runner = persistent_runner(SEGUE_TEST_WORKER, o);
  }
  AnalysisService svc(*db_, *catalog_, bus_, runner, opts());
  ASSERT_TRUE(svc.start().ok());
  svc.wait_idle();
  AnalysisProgress p = svc.progress();
  EXPECT_EQ(p.files, 5u);
  EXPECT_EQ(p.analyzed, 3u);
  EXPECT_EQ(p.failed, 2u);
  EXPECT_EQ(p.queued, 0u);
  auto failures = svc.failures();
  ASSERT_EQ(failures.size(), 2u);
  std::string reasons = failures[0].second + " | " + failures[1].second;
  // The crashing worker: killed by SIGSEGV (under ASan its handler reports the fault and exits 1).
  EXPECT_TRUE(reasons.find("signal 11") != std::string::npos ||
              reasons.find("analysis worker exited with status 1") != std::string::npos)
      << reasons;
  EXPECT_NE(reasons.find("timed out"), std::string::npos) << reasons;

  const auto* one = track("One", "A");
  const auto* two = track("Two", "A");
  ASSERT_TRUE(one && two);
  auto s1 = svc.track(one->id), s2 = svc.track(two->id);
  ASSERT_TRUE(s1 && s2);
  ASSERT_TRUE(s1->integrated_lufs && s2->integrated_lufs);
  EXPECT_NEAR(*s1->integrated_lufs - *s2->integrated_lufs, 10.0, 1.0);  // Two is 10 dB down
  EXPECT_NEAR(s1->track_gain_db, normalization_gain_db(s1->integrated_lufs, s1->true_peak_dbtp), 1e-9);
  // The album's loudness is gated over both tracks: between the two, nearer the louder one.
  ASSERT_TRUE(s1->album_lufs);
  EXPECT_LT(*s1->album_lufs, *s1->integrated_lufs);
  EXPECT_GT(*s1->album_lufs, *s2->integrated_lufs);
  EXPECT_EQ(s1->album_gain_db, s2->album_gain_db);
  EXPECT_NEAR(s1->duration_s, 20.0, 0.2);
  EXPECT_FALSE(svc.track(track("Crash", "C")->id));

  auto full = svc.full_analysis(one->id);
  ASSERT_TRUE(full.ok() && full->has_value());
  EXPECT_FALSE((*full)->music.segments.empty());
  EXPECT_EQ((*full)->music.key, s1->features.key);

  auto dups = svc.duplicates();
  ASSERT_TRUE(dups.ok());
  ASSERT_EQ(dups->size(), 1u);
  ASSERT_EQ((*dups)[0].tracks.size(), 2u);
  std::set<TrackId> got((*dups)[0].tracks.begin(), (*dups)[0].tracks.end());
  EXPECT_EQ(got, (std::set<TrackId>{two->id, track("Two", "B")->id}));
  ::unsetenv("SEGUE_TEST_HOSTILE");
}

TEST_F(AnalysisServiceTest, PersistentWorkersAnswerMalformedRequestsAndGiveTheSameResults) {
  // The worker loop itself: a line that is not a JSON string gets an error line, not a crash.
  std::istringstream in("not json\n\"/no/such/file.flac\"\n");
  std::ostringstream out;
  EXPECT_EQ(analyze_worker_loop(in, out), 0);
  std::istringstream lines(out.str());
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_NE(first.find("\"error\""), std::string::npos) << first;
  EXPECT_NE(second.find("No such audio file"), std::string::npos) << second;

  // Per-file and persistent workers store identical analyses.
  scan();
  subprocess::Options o;
  o.timeout = 10s;
  Runner persistent = persistent_runner(SEGUE_TEST_WORKER, o);
  std::atomic<bool> no{false};
  auto a = isolated()((dir_ / "lib" / "01 - One.flac").string(), no);
  auto b = persistent((dir_ / "lib" / "01 - One.flac").string(), no);
  auto c = persistent((dir_ / "lib" / "02 - Two.ogg").string(), no);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(boost::json::serialize(to_json(*a)), boost::json::serialize(to_json(*b)));
  EXPECT_NE(boost::json::serialize(to_json(*b)), boost::json::serialize(to_json(*c)));
}

TEST_F(AnalysisServiceTest, RestartsResumeAndOnlyChangedFilesAreAnalyzedAgain) {
  scan();
  std::atomic<int> calls{0};
  Runner inner = isolated();
  Runner counting = [&](const std::string& path, const std::atomic<bool>& cancel) {
    ++calls;
    return inner(path, cancel);
  };
  double lufs_before = 0;
  {
    AnalysisService svc(*db_, *catalog_, bus_, counting, opts());
    ASSERT_TRUE(svc.start().ok());
    svc.wait_idle();
    EXPECT_EQ(calls.load(), 5);
    lufs_before = *svc.track(track("One", "A")->id)->integrated_lufs;
  }
  // A restart finds everything current, failures included: nothing runs.
  open_db();
  ASSERT_TRUE(catalog_->reload().ok());
  calls = 0;
  {
    AnalysisService svc(*db_, *catalog_, bus_, counting, opts());
    ASSERT_TRUE(svc.start().ok());
    svc.wait_idle();
    EXPECT_EQ(calls.load(), 0);
    EXPECT_EQ(svc.progress().analyzed, 3u);
    EXPECT_NEAR(*svc.track(track("One", "A")->id)->integrated_lufs, lufs_before, 1e-6);

    // One file replaced by a louder recording, one removed: a rescan analyzes just the first.
    write_track("01 - One.flac", Format::kFlac, 74, 6, "One", "A", 1);
    struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    ::utimensat(AT_FDCWD, (dir_ / "lib" / "01 - One.flac").c_str(), ts, 0);
    fs::remove(dir_ / "lib" / "03 - Two again.mp3");
    scan();
    svc.wait_idle();
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(svc.progress().files, 4u);
    // The counts follow: the changed file is current again, the removed one no longer counts.
    EXPECT_EQ(svc.progress().analyzed, 2u);
    EXPECT_EQ(svc.progress().failed, 2u);
    auto one = svc.track(track("One", "A")->id);
    ASSERT_TRUE(one && one->integrated_lufs);
    EXPECT_GT(*one->integrated_lufs, lufs_before + 3);
    auto dups = svc.duplicates();
    ASSERT_TRUE(dups.ok());
    EXPECT_TRUE(dups->empty());
  }
  AnalysisStore store(*db_);
  auto records = store.records();
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 4u);  // the removed file's row is gone
}

// What the analysing node answers is what every reader of the database answers: a restart (or
// another node) must not shift a tempo by an ulp. 123.17008653823535 is a double that Boost.JSON
// 1.81 does not read back exactly from its own output.
TEST_F(AnalysisServiceTest, TheAnalysingNodeAnswersWhatTheDatabaseReadsBack) {
  scan();
  Runner inner = isolated();
  Runner odd_tempo = [&](const std::string& path, const std::atomic<bool>& cancel) {
    auto r = inner(path, cancel);
    if (r.ok()) r->music.tempo = 123.17008653823535;
    return r;
  };
  const TrackId id = track("One", "A")->id;
  double tempo_before = 0;
  {
    AnalysisService svc(*db_, *catalog_, bus_, odd_tempo, opts());
    ASSERT_TRUE(svc.start().ok());
    svc.wait_idle();
    auto s = svc.track(id);
    ASSERT_TRUE(s);
    tempo_before = s->features.tempo;
    EXPECT_NEAR(tempo_before, 123.17008653823535, 1e-4);  // stored to 5 decimals
  }
  open_db();
  ASSERT_TRUE(catalog_->reload().ok());
  AnalysisService svc(*db_, *catalog_, bus_, odd_tempo, opts());
  ASSERT_TRUE(svc.start().ok());
  svc.wait_idle();
  auto s = svc.track(id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->features.tempo, tempo_before);  // exactly
}

TEST_F(AnalysisServiceTest, WorkerOutputIsCheckedNotTrusted) {
  scan();
  // A worker that exits 0 but prints garbage, and one that prints an out-of-range analysis.
  std::string liar = (dir_ / "liar.sh").string();
  std::ofstream(liar) << "#!/bin/sh\ncase \"$3\" in\n  *One*) echo '{\"version\": 1' ;;\n"
                      << "  *) echo '{\"version\":\"x\",\"loudness\":{\"histogram\":[]},\"music\":{\"energy\":7}}' ;;\nesac\n";
  fs::permissions(liar, fs::perms::owner_all);
  subprocess::Options o;
  o.timeout = 3s;
  AnalysisService svc(*db_, *catalog_, bus_, isolated_runner(liar, o), opts(1));
  ASSERT_TRUE(svc.start().ok());
  svc.wait_idle();
  EXPECT_EQ(svc.progress().analyzed, 0u);
  EXPECT_EQ(svc.progress().failed, 5u);
  for (const auto& [file, why] : svc.failures())
    EXPECT_TRUE(why.find("not JSON") != std::string::npos || why.find("energy") != std::string::npos) << why;
}

}  // namespace
}  // namespace segue::analysis

namespace segue::analysis {
namespace {

TEST_F(AnalysisServiceTest, StoppingKillsTheRunningWorkerAndRecordsNothingForIt) {
  scan();
  subprocess::Options o;
  o.timeout = 60s;  // the hanging file would hold a worker for a minute
  const auto* hang = track("Hang", "C");
  ASSERT_TRUE(hang);
  std::optional<AnalysisService> svc;
  svc.emplace(*db_, *catalog_, bus_, isolated_runner(script_, o), opts(1));
  ASSERT_TRUE(svc->start().ok());
  // Wait until the single worker is stuck on the hanging file (the last in path order).
  for (int i = 0; i < 200 && svc->progress().analyzed + svc->progress().failed < 4; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(svc->progress().analyzed + svc->progress().failed, 4u);
  std::this_thread::sleep_for(200ms);
  const auto start = std::chrono::steady_clock::now();
  svc.reset();  // must not wait out the 60 s
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  AnalysisStore store(*db_);
  auto rec = store.record(hang->file_ids[0]);
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(rec->has_value()) << "a cancelled analysis must not be stored as a failure";
}

}  // namespace
}  // namespace segue::analysis

// Several nodes on one database (issue 17): each is a Database, Catalog and bus of its own, as
// separate processes would have; on PostgreSQL with SEGUE_TEST_POSTGRES, on SQLite otherwise.
namespace segue::analysis {
namespace {

// Counts the runs per file (by path) across nodes; each run takes at least `delay`, so that
// several nodes are busy at once.
struct RunLog {
  std::mutex mu;
  std::map<std::string, int> runs;
  std::map<std::string, std::chrono::system_clock::time_point> first_run;
  Runner counting(std::atomic<int>& mine, std::chrono::milliseconds delay) {
    return [this, &mine, delay](const std::string& path, const std::atomic<bool>& cancel) {
      {
        std::lock_guard l(mu);
        ++runs[fs::path(path).filename().string()];
        first_run.emplace(fs::path(path).filename().string(), std::chrono::system_clock::now());
      }
      ++mine;
      std::this_thread::sleep_for(delay);
      return in_process_runner()(path, cancel);
    };
  }
};

class AnalysisClusterTest : public AnalysisServiceTest {
 protected:
  struct Node {
    std::unique_ptr<store::Database> db;
    bus::LocalBus bus;
    std::unique_ptr<catalog::Catalog> catalog;
  };
  std::unique_ptr<Node> node() {
    auto n = std::make_unique<Node>();
    auto db = store::testing::open((dir_ / "segue.db").string());
    EXPECT_TRUE(db.ok());
    n->db = std::move(*db);
    n->catalog = std::make_unique<catalog::Catalog>(*n->db, &n->bus);
    EXPECT_TRUE(n->catalog->reload().ok());
    return n;
  }
  AnalysisService::Options options(const std::string& id, int workers) {
    AnalysisService::Options o;
    o.workers = workers;
    o.node_id = id;
    o.follow_interval = 100ms;
    return o;
  }
  int64_t jobs_in_table() {
    int64_t n = -1;
    EXPECT_TRUE(db_->read([&](store::Connection& c) -> Status {
                      SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT COUNT(*) FROM analysis_jobs"));
                      n = v.value_or(0);
                      return {};
                    }).ok());
    return n;
  }
};

TEST_F(AnalysisClusterTest, TwoNodesAnalyzeEachFileOnceAndEveryNodeSeesTheResults) {
  scan();
  auto a = node(), b = node(), api = node();
  RunLog log;
  std::atomic<int> runs_a{0}, runs_b{0}, runs_api{0};
  // An API-only node (no workers) started first: it analyzes nothing and learns everything.
  AnalysisService svc_api(*api->db, *api->catalog, api->bus, log.counting(runs_api, 0ms), options("api", 0));
  ASSERT_TRUE(svc_api.start().ok());
  AnalysisService svc_a(*a->db, *a->catalog, a->bus, log.counting(runs_a, 300ms), options("node-a", 1));
  AnalysisService svc_b(*b->db, *b->catalog, b->bus, log.counting(runs_b, 300ms), options("node-b", 1));
  ASSERT_TRUE(svc_a.start().ok());
  ASSERT_TRUE(svc_b.start().ok());
  svc_a.wait_idle();
  svc_b.wait_idle();
  {
    std::lock_guard l(log.mu);
    EXPECT_EQ(log.runs.size(), 5u);
    for (const auto& [file, n] : log.runs) EXPECT_EQ(n, 1) << file << " was analyzed " << n << " times";
  }
  EXPECT_EQ(runs_a + runs_b, 5);
  EXPECT_GT(runs_a.load(), 0);
  EXPECT_GT(runs_b.load(), 0);
  EXPECT_EQ(runs_api.load(), 0);
  EXPECT_EQ(jobs_in_table(), 0);
  // The API node hears within a second or so; then all three answer alike.
  for (int i = 0; i < 100 && svc_api.progress().analyzed < 5; ++i) std::this_thread::sleep_for(50ms);
  for (auto* svc : {&svc_a, &svc_b, &svc_api}) {
    EXPECT_EQ(svc->progress().analyzed, 5u) << svc->node_id();
    EXPECT_EQ(svc->progress().queued, 0u) << svc->node_id();
  }
  for (const auto& t : catalog_->snapshot()->tracks()) {
    auto sa = svc_a.track(t.id), sb = svc_b.track(t.id), sc = svc_api.track(t.id);
    ASSERT_TRUE(sa && sb && sc) << t.title;
    ASSERT_TRUE(sa->integrated_lufs && sb->integrated_lufs && sc->integrated_lufs);
    EXPECT_EQ(*sa->integrated_lufs, *sb->integrated_lufs);
    EXPECT_EQ(*sa->integrated_lufs, *sc->integrated_lufs);
    EXPECT_EQ(sa->features.tempo, sc->features.tempo);
    // Album loudness written by whichever node finished the album's last track.
    EXPECT_EQ(sa->album_gain_db, sb->album_gain_db) << t.title;
    EXPECT_EQ(sa->album_gain_db, sc->album_gain_db) << t.title;
  }
  // A second snapshot with nothing new posts no work: nothing runs again.
  scan();
  ASSERT_TRUE(a->catalog->follow().ok());
  ASSERT_TRUE(b->catalog->follow().ok());
  svc_a.wait_idle();
  svc_b.wait_idle();
  EXPECT_EQ(runs_a + runs_b, 5);
}

TEST_F(AnalysisClusterTest, ClaimsOfDeadNodesAreTakenOverAndLiveOnesAreLeftAlone) {
  scan();
  auto snap = catalog_->snapshot();
  auto job_of = [&](const std::string& name) {
    for (const auto& f : snap->files())
      if (fs::path(f.path).filename() == name) return AnalysisJob{FileKey{f.id, f.track_id, f.size, f.mtime_ns}, f.path, 20, 0};
    ADD_FAILURE() << name;
    return AnalysisJob{};
  };
  ASSERT_TRUE(db_->migrate("audio_analysis", analysis_migrations()).ok());
  AnalysisStore store(*db_);
  // "01": claimed three times by nodes that all died: the next claim stores it as failed.
  const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_TRUE(store.post_jobs({job_of("01 - One.flac")}, t0 * 1000).ok());
  for (int i = 0; i < 3; ++i) {
    auto c = store.claim("dead-" + std::to_string(i), kAnalyzerVersion, t0 - 10000 + i, [](const AnalysisJob&) { return 0; });
    ASSERT_TRUE(c.ok() && c->has_value());
  }
  // "02": claimed by a node that died just now: taken over when its lease ends, 1.5 s from now.
  // "03": claimed by a node that is alive (a lease of a minute): left to it.
  ASSERT_TRUE(store.post_jobs({job_of("02 - Two.ogg"), job_of("03 - Two again.mp3")}, t0 * 1000 + 10).ok());
  auto dying = store.claim("dying", kAnalyzerVersion, t0, [](const AnalysisJob&) { return 1500; });
  ASSERT_TRUE(dying.ok() && dying->has_value());
  EXPECT_EQ((*dying)->key.file, job_of("02 - Two.ogg").key.file);
  auto live = store.claim("live", kAnalyzerVersion, t0, [](const AnalysisJob&) { return 60000; });
  ASSERT_TRUE(live.ok() && live->has_value());
  EXPECT_EQ((*live)->key.file, job_of("03 - Two again.mp3").key.file);
  // Nothing else is free until the node posts the rest.
  auto none = store.claim("x", kAnalyzerVersion, t0, [](const AnalysisJob&) { return 1000; });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  RunLog log;
  std::atomic<int> runs{0};
  AnalysisService svc(*db_, *catalog_, bus_, log.counting(runs, 0ms), options("survivor", 2));
  ASSERT_TRUE(svc.start().ok());
  // "04" and "05" are analyzed at once; "02" after its lease; "03" not while its claim lives.
  for (int i = 0; i < 300 && svc.progress().analyzed + svc.progress().failed < 4; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(svc.progress().analyzed + svc.progress().failed, 4u);
  {
    std::lock_guard l(log.mu);
    EXPECT_EQ(log.runs.count("01 - One.flac"), 0u);
    EXPECT_EQ(log.runs.count("03 - Two again.mp3"), 0u);
    ASSERT_EQ(log.runs.count("02 - Two.ogg"), 1u);
    const auto taken = std::chrono::duration_cast<std::chrono::milliseconds>(
                           log.first_run["02 - Two.ogg"].time_since_epoch()).count();
    EXPECT_GE(taken, t0 + 1500) << "taken over before its lease ran out";
  }
  auto failures = svc.failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].first, job_of("01 - One.flac").key.file);
  EXPECT_NE(failures[0].second.find("claimed 3 times and never finished"), std::string::npos) << failures[0].second;
  // The live node finishes "03" (here: it fails, with its reason); the survivor hears of it.
  ASSERT_TRUE(store.put_failure(job_of("03 - Two again.mp3").key, kAnalyzerVersion, "decoder exploded", t0).ok());
  svc.wait_idle();
  EXPECT_EQ(svc.progress().failed, 2u);
  EXPECT_EQ(svc.progress().analyzed, 3u);
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(jobs_in_table(), 0);
  // Failures are kept and not retried: a restart runs nothing.
  AnalysisService again(*db_, *catalog_, bus_, log.counting(runs, 0ms), options("restarted", 1));
  ASSERT_TRUE(again.start().ok());
  again.wait_idle();
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(again.progress().failed, 2u);
}

}  // namespace
}  // namespace segue::analysis
