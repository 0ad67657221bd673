#include "search/document.h"

#include <cstring>

namespace segue::search {

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kTrack: return "track";
    case Kind::kAlbum: return "album";
    case Kind::kArtist: return "artist";
    case Kind::kPlaylist: return "playlist";
  }
  return "track";
}

bool parse_kind(std::string_view s, Kind* out) {
  for (int i = 0; i < kKindCount; ++i) {
    if (s == kind_name(static_cast<Kind>(i))) {
      *out = static_cast<Kind>(i);
      return true;
    }
  }
  return false;
}

std::string doc_key(Kind kind, std::string_view id) {
  std::string k = kind_name(kind);
  k += ':';
  k += id;
  return k;
}

namespace {
// FNV-1a, 64 bit; each field is followed by a separator byte so ("ab","c") != ("a","bc").
struct Hasher {
  uint64_t h = 1469598103934665603ULL;
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 1099511628211ULL;
    }
  }
  void str(std::string_view s) {
    bytes(s.data(), s.size());
    unsigned char sep = 0xff;
    bytes(&sep, 1);
  }
  template <typename T>
  void num(T v) { bytes(&v, sizeof v); }
};
}  // namespace

uint64_t Document::signature() const {
  Hasher h;
  h.num(static_cast<int>(kind));
  h.str(id);
  h.str(name);
  h.num(artists.size());
  for (const auto& a : artists) h.str(a);
  h.str(album);
  h.num(genres.size());
  for (const auto& g : genres) h.str(g);
  h.num(year);
  h.num(popularity);
  h.num(duration_ms);
  h.num(is_public);
  h.num(members.size());
  for (const auto& m : members) h.str(m);
  // Hashed only when present, so documents without one keep the signatures they had.
  if (!description.empty()) {
    h.num(uint8_t{0xd});
    h.str(description);
  }
  return h.h;
}

}  // namespace segue::search
