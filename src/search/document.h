// What the search index holds: one Document per track, album, artist and playlist, built by
// the indexer from catalog snapshots and playlist events (or directly, by tests and benches).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace segue::search {

enum class Kind { kTrack = 0, kAlbum = 1, kArtist = 2, kPlaylist = 3 };
inline constexpr int kKindCount = 4;

const char* kind_name(Kind k);                          // "track", "album", "artist", "playlist"
bool parse_kind(std::string_view s, Kind* out);         // the same names

struct Document {
  Kind kind = Kind::kTrack;
  std::string id;                    // the catalog or playlist id (base62)
  std::string name;                  // track title, album, artist or playlist name
  std::vector<std::string> artists;  // tracks and albums: artist names; playlists: owner's display name
  std::string album;                 // tracks: the album's name
  std::vector<std::string> genres;
  int year = 0;                      // release year, 0 if unknown
  int popularity = 50;               // 0-100; 50 (neutral) until play counts exist
  int64_t duration_ms = 0;           // tracks
  // Playlists: public ones are visible to everyone, private ones only to `members` (owner and
  // collaborators, user ids).
  bool is_public = true;
  std::vector<std::string> members;
  std::string description;           // playlists: searchable, weighted below the name

  // A hash of every field above: the indexer re-indexes a document only when it changed.
  uint64_t signature() const;
};

// "track:<id>" etc.: a document's unique key in the index.
std::string doc_key(Kind kind, std::string_view id);

}  // namespace segue::search
