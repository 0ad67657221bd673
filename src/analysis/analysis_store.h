// Where analyses live: one row per audio file (loudness, the track-level features, the whole
// analysis compressed, the fingerprint) and one per album (its loudness gated over all its
// tracks). A row remembers the file's size and mtime and the analyzer version, so a changed
// file or a newer analyzer is analyzed again, and a failure is kept with its reason so a broken
// file is not retried on every scan.
//
// In a cluster (several nodes on one PostgreSQL database, issue 17) the work is shared through
// the table analysis_jobs: nodes that analyze post a job per file that lacks a current analysis
// (idempotent on the file), and claim the oldest free one (`FOR UPDATE SKIP LOCKED` on
// PostgreSQL: rows another node is claiming are skipped, not waited for). A claim carries a
// lease; a job whose claimer died (its lease ran out) is taken over, and one claimed
// kMaxAttempts times without a result is stored as failed. A result is stored and its job
// removed in one transaction. Every write of a result bumps the module's version
// (analysis_meta) and stamps the row with it (change_seq), so any node learns what others wrote
// with one small read (changes_since()).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audio/analyzer.h"
#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::analysis {

std::vector<store::Migration> analysis_migrations();

// Which version of which file an analysis belongs to.
struct FileKey {
  FileId file;
  TrackId track;
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

struct AnalysisRecord {
  FileKey key;
  std::string version;
  bool ok = false;
  std::string error;  // why it failed, when !ok
  int64_t analyzed_at_ms = 0;
  std::optional<double> integrated_lufs;
  double true_peak_dbtp = -200;
  double range_lu = 0;
  double duration_s = 0;
  // Track-level values of the music analysis (no beats, sections or segments), when ok.
  std::optional<audio::AudioAnalysis> summary;
};

struct AlbumLoudness {
  AlbumId album;
  std::optional<double> integrated_lufs;
  double true_peak_dbtp = -200;
  int tracks_measured = 0;
};

// A file to analyze, as the table analysis_jobs holds it.
struct AnalysisJob {
  FileKey key;
  std::string path;
  double duration_s = 0;  // from the catalog; sizes the claim's lease
  int attempts = 0;       // claims so far, this one included
};

// What changed since a version (changes_since()).
struct AnalysisChanges {
  int64_t version = 0;  // the stored version these changes bring the reader to
  std::vector<AnalysisRecord> records;
  std::vector<AlbumLoudness> albums;
  bool jobs_waiting = false;  // any row in analysis_jobs (claimed or not)
};

class AnalysisStore {
 public:
  // A job claimed this many times without a result is stored as failed (it keeps killing the
  // workers that run it).
  static constexpr int kMaxAttempts = 3;

  explicit AnalysisStore(store::Database& db) : db_(db) {}

  // Store a result and remove the file's job (when it is for the same version of the file), in
  // one transaction that bumps the version. Returns the summary as every reader will read it back
  // (Boost.JSON 1.81 parses doubles to within an ulp, so the writer keeps the parsed-back form
  // instead of its own values: every node, and this one after a restart, answers alike).
  Result<audio::AudioAnalysis> put(const FileKey& key, const audio::TrackAnalysis& analysis, int64_t now_ms);
  Status put_failure(const FileKey& key, std::string_view version, std::string_view error, int64_t now_ms);

  // Jobs: inserted unless the file has one for the same size and mtime (a job for another
  // version of the file is replaced, its claim dropped). In transactions of a few hundred rows.
  Status post_jobs(const std::vector<AnalysisJob>& jobs, int64_t now_us);
  // A cheap read: is there a job nobody holds a live claim on?
  Result<bool> claimable(int64_t now_ms);
  // Claims the oldest job free or with an expired claim for `node` until now_ms + lease_ms(job).
  // Jobs already analyzed (by analyzer `version`, for the same file size and mtime) are removed
  // on the way, and jobs claimed kMaxAttempts times are stored as failed. nullopt: none free.
  Result<std::optional<AnalysisJob>> claim(const std::string& node, std::string_view version, int64_t now_ms,
                                           const std::function<int64_t(const AnalysisJob&)>& lease_ms);
  // Gives a claim back without counting it (the node is stopping).
  Status release(const FileId& file, const std::string& node);
  // The rows written after `version` (every row when nullopt), and the version they bring the
  // reader to, in one snapshot. When nothing changed, one small read.
  Result<AnalysisChanges> changes_since(std::optional<int64_t> version);

  // Every row without the large columns: what the service needs to decide what is stale and
  // to answer loudness and features from memory.
  Result<std::vector<AnalysisRecord>> records();
  Result<std::optional<AnalysisRecord>> record(const FileId& file);
  // The whole analysis of a file (decompressed), nullopt if there is none that succeeded.
  Result<std::optional<audio::TrackAnalysis>> full(const FileId& file);
  // Fingerprints of every analyzed file, keyed by file id, with the file's duration.
  Result<std::vector<audio::FingerprintEntry>> fingerprints();

  // Recomputes an album's loudness from the stored histograms of `files` (its tracks' files)
  // and stores it.
  Result<AlbumLoudness> update_album(const AlbumId& album, const std::vector<FileId>& files);
  Result<std::vector<AlbumLoudness>> albums();

  // Rows (and jobs) of files no longer in the catalog.
  Result<int64_t> remove_except(const std::vector<FileId>& keep);

 private:
  store::Database& db_;
};

// zlib around the stored JSON (an analysis with segments is ~100 KB of JSON, ~25 KB deflated).
std::string deflate_bytes(std::string_view in);
Result<std::string> inflate_bytes(std::string_view in, std::size_t max_size = 64 << 20);

}  // namespace segue::analysis
