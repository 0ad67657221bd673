// Runs the analysis over the library in the background and answers from its results.
//
// Follows the catalog through its domain events (bus::CatalogSnapshotPublished): after each scan
// the files that are new, changed, or analyzed by an older analyzer are posted as jobs in the
// database (table analysis_jobs, see analysis_store.h), and files gone from the catalog lose
// their rows. Workers (threads of their own) claim jobs there, so that with several nodes on one
// PostgreSQL database (issue 17) each file is analyzed once in the cluster, and a job whose node
// died is taken over when its claim's lease runs out. Each job goes to a Runner; the server's
// Runner starts a child process (`segue worker analyze FILE`, niced, with a time limit and an
// address-space cap), so a decoder that crashes or hangs on a hostile file costs that file only:
// the failure is stored with its reason and not retried until the file changes.
//
// A follower thread (every node, workers or not) reads what other nodes stored: one small read
// of the module's version every `follow_interval`, the changed rows when it moved. Reads
// (features, gains, progress) are answered from memory under a mutex and never touch the
// database: safe on network threads. full_analysis() and duplicates() read the database:
// worker threads only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "analysis/analysis_store.h"
#include "bus/event_bus.h"
#include "catalog/catalog.h"
#include "common/metrics.h"
#include "common/subprocess.h"

namespace segue::analysis {

// Analyzes one file. Returns the analysis, or an Error whose message is stored as the reason.
// `cancel` becomes true when the service stops: a runner should give up promptly.
using Runner = std::function<Result<audio::TrackAnalysis>(const std::string& path, const std::atomic<bool>& cancel)>;

// Runs analyze_file() in this process: for tests and for trusted input only.
Runner in_process_runner();
// Runs `executable worker analyze PATH` in a child process per file and parses its JSON output.
Runner isolated_runner(std::string executable, subprocess::Options options);
// Keeps long-lived children (`executable worker analyze --stdin`, one per concurrent caller)
// that analyze file after file: the same isolation without paying ~0.1 s of CPU to start a
// process per file. A child that crashes, hangs past `options.timeout` or prints garbage fails
// that file and is replaced; each child is also replaced after `files_per_child` files.
Runner persistent_runner(std::string executable, subprocess::Options options, int files_per_child = 500);

// The entry point of `segue worker analyze PATH`: prints the analysis as one JSON line on
// stdout and returns 0, or prints the error on stderr and returns 1.
int analyze_worker_main(const std::string& path);
// `segue worker analyze --stdin`: reads one JSON string (a path) per line and answers each with
// one line, {"analysis": ...} or {"error": "..."}; returns 0 at the end of input.
int analyze_worker_loop(std::istream& in, std::ostream& out);

// What the API needs about a track, kept in memory.
struct TrackSound {
  TrackId track;
  FileId file;
  double duration_s = 0;
  std::optional<double> integrated_lufs;
  double true_peak_dbtp = -200;
  std::optional<double> album_lufs;
  double album_true_peak_dbtp = -200;
  double track_gain_db = 0;  // to reach -14 LUFS without clipping
  double album_gain_db = 0;
  audio::AudioAnalysis features;    // track-level values only
};

struct AnalysisProgress {
  std::size_t files = 0;      // in the current snapshot
  std::size_t analyzed = 0;   // with a current, successful analysis
  std::size_t failed = 0;     // with a current failure
  std::size_t queued = 0;
  std::size_t running = 0;
  uint64_t done_since_start = 0;
  double audio_seconds_since_start = 0;
  double busy_seconds_since_start = 0;  // summed over workers
};

struct DuplicateTrackGroup {
  std::vector<TrackId> tracks;  // the files' tracks, in file-id order
  std::vector<FileId> files;
  double min_similarity = 0;
};

class AnalysisService {
 public:
  struct Options {
    int workers = 1;  // 0: nothing is analyzed (reads still answer from stored results)
    // This node in analysis_jobs.claimed_by; empty: host name, process id and a random suffix.
    std::string node_id;
    // How often results other nodes stored are read (and idle workers on PostgreSQL look for
    // jobs other nodes posted or left behind).
    std::chrono::milliseconds follow_interval{500};
    // A claim not completed after this long is another node's to take (its claimer died):
    // base + per second of audio; the server's runner gives up on a file after 10 minutes.
    std::chrono::milliseconds claim_lease_base{std::chrono::minutes(12)};
    double claim_lease_per_audio_second = 0.5;
  };
  // Subscribes to `events` in start() (inline: a snapshot only queues files).
  AnalysisService(store::Database& db, catalog::Catalog& catalog, bus::EventBus& events, Runner runner, Options options);
  ~AnalysisService();  // stops the workers (each finishes the file it is on)

  // Migrates, loads the stored results, subscribes to the catalog and starts the workers,
  // which first queue whatever the current snapshot needs. Blocking (database).
  Status start();
  // Blocks until every file of the catalog has a current result known here (this node's or,
  // through the follower, another's) and no worker is busy; returns at once without workers.
  // `on_progress` is called about every `every` while waiting. Used by `segue analyze` and tests.
  void wait_idle(const std::function<void(const AnalysisProgress&)>& on_progress = nullptr,
                 std::chrono::milliseconds every = std::chrono::milliseconds(200));

  std::optional<TrackSound> track(const TrackId& id) const;
  AnalysisProgress progress() const;
  // Bumped whenever the results in memory change: a reader can tell that nothing changed.
  uint64_t generation() const {
    std::lock_guard l(mu_);
    return generation_;
  }
  // segue_analysis_* gauges of progress().
  void register_metrics(MetricsRegistry& metrics) const;
  // The failure reasons of files whose analysis failed, by file id.
  std::vector<std::pair<FileId, std::string>> failures() const;

  // Reads the results other nodes stored since the last call (the follower thread calls it
  // every follow_interval). Blocking (database). True if anything changed.
  Result<bool> follow();
  const std::string& node_id() const { return options_.node_id; }

  Result<std::optional<audio::TrackAnalysis>> full_analysis(const TrackId& id);
  // Computed from every stored fingerprint; the answer is kept until a file is analyzed again
  // or the catalog changes.
  Result<std::vector<DuplicateTrackGroup>> duplicates(double threshold = 0.85);

 private:
  struct Known {  // one file's stored state
    FileKey key;
    std::string version;
    bool ok = false;
    std::string error;
    std::optional<double> lufs;
    double peak = -200;
    double duration_s = 0;
    std::optional<audio::AudioAnalysis> summary;
  };
  void on_snapshot(std::shared_ptr<const catalog::Snapshot> snap);
  void work();
  void follow_loop();
  // The jobs of the snapshot's files without a current result. Called with mu_ held.
  std::vector<AnalysisJob> needed_locked() const;
  // Replaces a file's entry in memory, keeping the counts. Called with mu_ held.
  void set_known_locked(Known k);
  void process(const AnalysisJob& job);
  void refresh_album(const TrackId& track);
  bool current(const Known& k, const catalog::AudioFile& f) const;
  // Adds `delta` to analyzed_ or failed_ if `k` is the current analysis of a file in the
  // snapshot. Called with mu_ held.
  void count(const Known& k, int delta);

  store::Database* db_ = nullptr;
  AnalysisStore store_;
  catalog::Catalog& catalog_;
  bus::EventBus& events_;
  bus::Subscription subscription_;
  Runner runner_;
  Options options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // work queued, or stop
  std::condition_variable idle_cv_;  // a worker finished a file
  std::unordered_map<std::string, Known> known_;  // by file id
  std::unordered_map<std::string, std::pair<std::optional<double>, double>> albums_;  // album id -> lufs, peak
  std::vector<AnalysisJob> to_post_;  // jobs to insert into analysis_jobs (post_ set)
  bool post_ = false;
  std::optional<int64_t> seen_version_;  // of analysis_meta, as far as memory reflects it
  std::mutex follow_mu_;                 // one follow() at a time
  std::chrono::steady_clock::time_point last_repost_{};
  uint64_t generation_ = 0;  // bumped whenever known_ or albums_ change
  // Files of the current snapshot with a current analysis, kept as results come in so that
  // progress() (read by /metrics on a network thread) does not walk the catalog.
  std::size_t analyzed_ = 0;
  std::size_t failed_ = 0;
  std::shared_ptr<const catalog::Snapshot> snapshot_;
  std::size_t running_ = 0;
  uint64_t done_ = 0;
  double audio_seconds_ = 0;
  double busy_seconds_ = 0;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};  // set with stop_, read by runners without the lock
  bool cleanup_ = false;               // rows of files gone from the catalog to delete
  std::vector<FileId> cleanup_keep_;   // the files of the latest snapshot
  std::vector<std::thread> threads_;
  std::thread follower_;
  struct DuplicatesCache {
    uint64_t generation = 0;
    std::shared_ptr<const catalog::Snapshot> snapshot;
    double threshold = 0;
    std::vector<DuplicateTrackGroup> groups;
  };
  std::mutex duplicates_mu_;  // one computation at a time
  std::optional<DuplicatesCache> duplicates_cache_;
  // Listeners hold this weakly: a snapshot announced after the service is gone does nothing.
  struct Link {
    explicit Link(AnalysisService* s) : service(s) {}
    std::mutex mu;
    AnalysisService* service;
  };
  std::shared_ptr<Link> link_ = std::make_shared<Link>(this);
};

}  // namespace segue::analysis
