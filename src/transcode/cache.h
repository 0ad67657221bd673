// The transcode cache: encodings of library files in other formats and bitrates (Ogg Vorbis
// 96/160/320, Opus, AAC...), each with its own deterministic file id, produced on demand or
// ahead of time by child processes, kept on disk under a size bound with least-recently-used
// eviction. See docs/formats/transcode-cache.md for the table and the files.
//
// Jobs live in the database (table transcode_jobs), so that in a cluster (several nodes on one
// PostgreSQL and one transcode folder, issue 17) an encoding is made once, by whichever node
// runs jobs, whoever asked for it: a request queues it in memory and inserts a job row
// (idempotent on the encoding id); job threads claim the next row (`FOR UPDATE SKIP LOCKED`,
// on-demand before background) and record the result and remove the row in one transaction.
// A claim older than its lease (twice the job's time limit) is taken over: its claimer died.
// Nodes that did not run a job learn its result from the table (a sync thread re-reads the rows
// of encodings queued here for more than ~500 ms). On SQLite the same, with one process.
//
// Threads: request(), find(), peek() and encode_ahead() only touch memory under a mutex and
// may run on network threads. Transcodes run on the cache's own job threads, each in a child
// process (see subprocess_runner()), so a decoder that crashes or hangs on a hostile file
// fails that one encoding, not the server. Database reads and writes and file removals happen
// on the job threads and the sync thread. open() blocks (database, directory listing): call it
// at start-up.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/metrics.h"
#include "audio/encoder.h"
#include "audio/transcoder.h"
#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::transcode {

// The original file an encoding is made from, as the catalog knows it. An encoding made from
// a different size or mtime is stale and is made again.
struct Source {
  FileId file;
  std::string path;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  double duration_s = 0;  // 0 if unknown; used for time limits and Retry-After hints
};

enum class State {
  kMissing,  // known but not on disk (evicted, or never asked for)
  kQueued,
  kRunning,
  kReady,
  kFailed,   // remembered: not retried until the source file changes
};
const char* state_name(State s);

struct EncodingInfo {
  FileId id;
  FileId source;
  audio::Format format = audio::Format::kOgg;
  int bitrate_kbps = 0;   // nominal: what was asked for
  State state = State::kMissing;
  std::string path;       // kReady: the complete file
  int64_t size = 0;       // kReady
  int64_t mtime_ns = 0;   // kReady: when it was written (for validators)
  int measured_kbps = 0;  // kReady: bytes * 8 / duration
  std::string error;      // kFailed: why
  std::chrono::seconds retry_after{0};  // kQueued/kRunning: when to ask again
};

// One transcode for a Runner.
struct Job {
  std::string in_path;
  std::string out_path;  // the runner writes out_path + ".part" and renames it on success
  audio::Format format = audio::Format::kOgg;
  int bitrate_kbps = 0;
  bool background = false;  // ahead of time: run at a lower priority
  double duration_s = 0;    // of the source, 0 if unknown
  // Becomes true when the cache stops: the runner should give up (Error::unavailable).
  const std::atomic<bool>* cancel = nullptr;
};
using Runner = std::function<Result<audio::TranscodeReport>(const Job&)>;

struct WorkerCommand {
  // The child's argv before "IN OUT FORMAT KBPS", e.g. {"/usr/bin/segue", "worker", "transcode"}.
  std::vector<std::string> argv_prefix;
  // Time limit: base + per second of source audio (a 5-minute track: 60 + 300/5 = 120 s).
  std::chrono::seconds timeout_base{60};
  double timeout_per_audio_second = 0.2;
  int nice = 0;             // on-demand transcodes (someone is waiting)
  int background_nice = 15; // ahead-of-time transcodes: streaming goes first
  uint64_t max_address_space = 2ull << 30;
};

// A Runner that starts `argv_prefix IN OUT FORMAT KBPS` (the worker of app/worker.h) with a time
// limit, niceness and memory limit, and reads its one-line JSON report. A crash, a timeout or
// a non-zero exit is an Error whose message says what happened.
Runner subprocess_runner(WorkerCommand command);

// The worker protocol: one line of JSON on stdout. Exposed for the worker and for tests.
std::string report_to_json(const audio::TranscodeReport& r);
std::string error_to_json(const Error& e);
// A line that is not a report at all (nothing printed, garbage) is Error::internal with reason
// ErrorReason::kNoReport; an error the worker reported keeps its code and has no reason.
Result<audio::TranscodeReport> report_from_json(std::string_view line);

struct CacheOptions {
  std::string dir;                        // e.g. <data>/transcodes; created if missing
  uint64_t max_bytes = 4ull << 30;        // bound on the total size of ready encodings
  int jobs = 1;                           // concurrent transcodes
  // false: no job threads on this node (one without the transcode role); requests queue for
  // a node that runs them, and nothing is encoded here.
  bool run_jobs = true;
  // Encodings used this recently are not evicted even over the bound: a client may be
  // reading it range by range (each range opens the file again).
  std::chrono::seconds keep_recent{600};
  Runner runner;                          // required
  // This node in transcode_jobs.claimed_by; empty: host name, process id and a random suffix.
  std::string node_id;
  // A claim not completed after this long is another node's to take (its claimer died): base
  // + per second of source audio, twice WorkerCommand's default time limit.
  std::chrono::seconds claim_lease_base{120};
  double claim_lease_per_audio_second = 0.4;
  // How often the sync thread posts new job rows and re-reads the results of encodings queued
  // here (made by another node), and how often idle job threads look for other nodes' jobs.
  std::chrono::milliseconds sync_interval{500};
};

struct CacheStats {
  std::size_t ready = 0;
  uint64_t ready_bytes = 0;
  std::size_t queued = 0;
  std::size_t running = 0;
  std::size_t failed = 0;
  uint64_t completed = 0;  // since open
  uint64_t evicted = 0;    // since open
};

class TranscodeCache {
 public:
  // The encoding's file id: the same (source file, format, bitrate) always gives the same id.
  static FileId encoding_id(const FileId& source, audio::Format format, int bitrate_kbps);
  // A claimed job whose claimer has died (its lease ran out) is taken over; after this many
  // claims a job is recorded as failed (it keeps killing whoever runs it).
  static constexpr int kMaxAttempts = 3;
  // The `transcode` module's schema (applied by open()).
  static std::vector<store::Migration> migrations();

  // Applies the migrations, creates `options.dir`, removes leftover .part files (a worker
  // killed mid-write) and files the table does not know, forgets rows whose file is gone,
  // evicts down to the bound and starts the job threads. `db` must outlive the cache.
  static Result<std::unique_ptr<TranscodeCache>> open(store::Database& db, CacheOptions options);
  ~TranscodeCache();  // stop()
  TranscodeCache(const TranscodeCache&) = delete;
  TranscodeCache& operator=(const TranscodeCache&) = delete;

  // The encoding of `source` as (format, bitrate), started now (ahead of queued background
  // work) if it is missing or stale; a failed one is reported, not retried. Never blocks.
  EncodingInfo request(const Source& source, audio::Format format, int bitrate_kbps);
  // As request() without starting anything.
  EncodingInfo peek(const Source& source, audio::Format format, int bitrate_kbps) const;
  // By encoding id, for serving: marks a ready encoding used (LRU); restarts one that was
  // evicted since this process learned of it. nullopt if the id is unknown. Never blocks.
  std::optional<EncodingInfo> find(const FileId& id);
  // As find(), and when this process does not know the id, looks it up in the tables (the
  // encodings another node of a cluster was asked for, issue 17): a job row (queued, or being
  // made elsewhere) is queued here too, so the caller gets kQueued with a retry hint and the
  // sync thread learns the result; a recorded encoding is known from then on (ready, or failed;
  // one whose file is gone is made again). nullopt when neither table has it. Blocks on the
  // database and a stat(): worker threads only.
  Result<std::optional<EncodingInfo>> find_stored(const FileId& id);
  // For an encoding queued here (a play whose answer is not ready): takes a result another node
  // recorded for it (ready, or failed: not offered again) into memory, else writes its job row
  // now, so that whichever node the client asks next finds it (find_stored). Blocks on the
  // database: worker threads only.
  Status settle(const FileId& id);
  // Queues background encodings of every source that lacks one (ready, queued or failed ones
  // are left alone). Returns how many were queued. Never blocks.
  std::size_t encode_ahead(const std::vector<Source>& sources, audio::Format format, int bitrate_kbps);

  CacheStats stats() const;
  // segue_transcode_* gauges of stats().
  void register_metrics(MetricsRegistry& metrics) const;
  // Waits until nothing is queued or running (tests, `segue transcode`-style tools).
  void wait_idle();
  // Stops the job threads; transcodes in progress are cancelled (their workers killed) and
  // queued work is dropped. Nothing is recorded for them: they are made again when asked.
  void stop();

 private:
  struct Entry {
    FileId id;
    Source source;
    audio::Format format = audio::Format::kOgg;
    int bitrate_kbps = 0;
    State state = State::kMissing;
    bool background = false;
    bool evicting = false;  // its file is being removed: no job may write it meanwhile
    int64_t size = 0;
    int64_t mtime_ns = 0;
    int measured_kbps = 0;
    std::string error;
    int64_t last_used_ms = 0;  // wall clock, persisted lazily
    std::chrono::steady_clock::time_point started{};
    std::chrono::steady_clock::time_point queued_at{};  // kQueued: since when
    uint64_t queue_seq = 0;                             // kQueued: order of asking
  };
  // A job row claimed by this node.
  struct Claimed {
    FileId id;
    Source source;
    audio::Format format = audio::Format::kOgg;
    int bitrate_kbps = 0;
    bool background = false;
  };

  TranscodeCache(store::Database& db, CacheOptions options);
  Status load();
  void job_loop();
  void sync_loop();
  // Inserts (or raises the priority of) the job rows of what was queued here since the last call.
  void post_pending();
  // Claims the next job row in one transaction; nullopt when none is free (or on an error).
  std::optional<Claimed> claim();
  // Re-reads the results of encodings queued here for a while (another node made them).
  void sync_results();
  int64_t lease_ms(double duration_s) const;
  void run_job(const FileId& id);
  void evict_locked_out(std::unique_lock<std::mutex>& lock);
  void flush_touches(std::unique_lock<std::mutex>& lock);
  Entry& entry_for(const Source& source, audio::Format format, int bitrate_kbps);
  void enqueue_locked(Entry& e, bool background);
  EncodingInfo info_locked(const Entry& e) const;
  std::string path_for(const FileId& id, audio::Format format) const;
  static bool stale(const Entry& e, const Source& s);

  store::Database& db_;
  CacheOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // job threads wait for work
  std::condition_variable idle_cv_;  // wait_idle()
  std::unordered_map<FileId, Entry> entries_;
  std::deque<FileId> foreground_;
  std::deque<FileId> background_;
  std::unordered_set<FileId> touched_;  // last_used_ms not yet written
  std::unordered_map<FileId, int> pending_;  // job rows to insert: id -> priority (0 on demand, 1 background)
  std::mutex post_mu_;                       // one post_pending() at a time
  bool postgres_ = false;
  uint64_t next_seq_ = 0;
  std::condition_variable sync_cv_;
  std::size_t running_ = 0;
  uint64_t completed_ = 0;
  uint64_t evicted_ = 0;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  std::vector<std::thread> threads_;
};

}  // namespace segue::transcode
