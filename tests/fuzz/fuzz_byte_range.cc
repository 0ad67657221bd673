#include <cassert>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "playback/byte_range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t file_size;
  std::memcpy(&file_size, data, 8);
  file_size %= (1ull << 40);
  std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);
  auto d = segue::playback::decide_range(header, file_size);
  if (d.kind == segue::playback::RangeDecision::kPartial) {
    // A partial answer always lies inside the file.
    if (!(d.range.first <= d.range.last && d.range.last < file_size)) __builtin_trap();
  }
  return 0;
}
