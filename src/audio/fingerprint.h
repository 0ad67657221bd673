// Acoustic fingerprints with Chromaprint, and finding the same recording twice in a library
// (two formats, or the same take on an album and a compilation) by comparing them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace segue::audio {

struct Fingerprint {
  std::vector<uint32_t> items;  // Chromaprint's raw fingerprint: one 32-bit item per ~124 ms
  double item_seconds = 0;

  std::string encode() const;  // item_seconds (f64) then items, little-endian
  static Result<Fingerprint> decode(std::string_view bytes);
};

// Feeds interleaved float PCM (any rate, 1 or 2 channels). Like AcoustID, only the first
// `max_seconds` count. Not thread-safe; one per file.
class Fingerprinter {
 public:
  static constexpr double kDefaultSeconds = 120;
  static Result<std::unique_ptr<Fingerprinter>> create(int sample_rate, int channels,
                                                       double max_seconds = kDefaultSeconds);
  ~Fingerprinter();
  Fingerprinter(const Fingerprinter&) = delete;
  Fingerprinter& operator=(const Fingerprinter&) = delete;

  Status add(const float* interleaved, std::size_t frames);
  // Error::invalid when the audio was too short or silent to fingerprint.
  Result<Fingerprint> finish();

 private:
  Fingerprinter(void* ctx, int sample_rate, int channels, double max_seconds);
  void* ctx_;  // ChromaprintContext
  int channels_;
  int64_t frames_left_;
  std::vector<int16_t> buffer_;
};

// Share of equal bits (0..1) at the best alignment of `a` against `b` within +-max_offset
// items, over an overlap of at least `min_overlap` items (0 if there is none). Unrelated audio
// scores about 0.5, the same recording through two lossy codecs above 0.9.
double fingerprint_similarity(const Fingerprint& a, const Fingerprint& b, int max_offset = 80,
                              int min_overlap = 40);

struct FingerprintEntry {
  std::string key;        // e.g. a file id
  double duration_s = 0;  // of the whole file
  Fingerprint fingerprint;
};

struct DuplicateGroup {
  std::vector<std::size_t> members;  // indexes into the entries, ascending
  double min_similarity = 1;          // the weakest link that joined the group
};

// Groups entries that are the same recording: similar fingerprints (>= threshold) and
// durations within 3 % or 5 s. Candidates come from an inverted index over a fixed subset of
// item values, so the cost grows with the library, not its square. Groups are ordered by their
// first member.
std::vector<DuplicateGroup> find_duplicates(const std::vector<FingerprintEntry>& entries, double threshold = 0.85);

}  // namespace segue::audio
