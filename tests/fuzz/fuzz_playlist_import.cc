// Playlist import: the bytes go through format detection and all three parsers, and every
// parsed entry through the path and text folding helpers and the matcher (empty catalog).
#include <cstdint>
#include <string>
#include <string_view>

#include "playlist/io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace segue::playlist;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)detect_format("", "", bytes);
  static const segue::catalog::Snapshot empty;
  ParseLimits limits;
  limits.max_entries = 1000;
  for (Format f : {Format::kM3u8, Format::kXspf, Format::kJson}) {
    auto parsed = parse_playlist(f, bytes, limits);
    if (!parsed.ok()) continue;
    for (const auto& e : parsed->entries) {
      (void)location_to_path(e.location);
      (void)fold_for_match(e.artist, true);
      (void)fold_for_match(e.title, false);
    }
    auto r = match_entries(empty, {"/music"}, "/music/playlists", parsed->entries);
    if (r.matched_in_order.size() + r.unmatched.size() != parsed->entries.size()) __builtin_trap();
  }
  return 0;
}
