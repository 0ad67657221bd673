// HTTP Range requests (RFC 9110 §14) for audio files: a single range, open ("500-") and suffix
// ("-500") forms. Multiple ranges are answered with the whole file, which the RFC allows.
#pragma once

#include <cstdint>
#include <string_view>

namespace segue::playback {

struct ByteRange {
  uint64_t first = 0;  // inclusive
  uint64_t last = 0;   // inclusive
  uint64_t length() const { return last - first + 1; }
};

struct RangeDecision {
  enum Kind { kWhole, kPartial, kUnsatisfiable } kind = kWhole;
  ByteRange range;  // for kPartial
};

// Decides how to answer `header` (the Range header's value, "" if absent) for a file of
// `size` bytes. Malformed or non-bytes ranges are ignored (kWhole), as the RFC requires.
RangeDecision decide_range(std::string_view header, uint64_t size);

}  // namespace segue::playback
