// Where analyses live: one row per audio file (loudness, the track-level features, the whole
// analysis compressed, the fingerprint) and one per album (its loudness gated over all its
// tracks). A row remembers the file's size and mtime and the analyzer version, so a changed
// file or a newer analyzer is analyzed again, and a failure is kept with its reason so a broken
// file is not retried on every scan.
#pragma once

#include <cstdint>
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

class AnalysisStore {
 public:
  explicit AnalysisStore(store::Database& db) : db_(db) {}

  Status put(const FileKey& key, const audio::TrackAnalysis& analysis, int64_t now_ms);
  Status put_failure(const FileKey& key, std::string_view version, std::string_view error, int64_t now_ms);

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

  // Rows of files no longer in the catalog.
  Result<int64_t> remove_except(const std::vector<FileId>& keep);

 private:
  store::Database& db_;
};

// zlib around the stored JSON (an analysis with segments is ~100 KB of JSON, ~25 KB deflated).
std::string deflate_bytes(std::string_view in);
Result<std::string> inflate_bytes(std::string_view in, std::size_t max_size = 64 << 20);

}  // namespace segue::analysis
