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
