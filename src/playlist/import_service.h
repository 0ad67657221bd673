// Playlist import as one call: detect the file's format, parse it, match its entries to catalog
// tracks, create the playlist and add the matched tracks, for any API surface.
// Blocking (parsing, SQLite): worker threads only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/ids.h"
#include "common/result.h"
#include "playlist/io.h"
#include "playlist/service.h"

namespace segue::playlist {

struct ImportRequest {
  UserId owner;
  std::string_view bytes;         // the playlist file
  std::string filename;           // may be empty; its extension names the format ("x.m3u8")
  std::string content_type;       // may be empty
  std::optional<std::string> name;  // else the file's own name, else "Imported playlist"
  bool is_public = false;
};

struct ImportResult {
  PlaylistInfo playlist;  // as created, with the matched tracks
  Format format = Format::kM3u8;
  ParsedPlaylist parsed;  // entries and warnings
  MatchResult matched;    // matched in order, unmatched with reasons, fuzzy matches
};

class PlaylistImporter {
 public:
  // All must outlive the importer.
  PlaylistImporter(PlaylistService& playlists, const catalog::Catalog& catalog,
                   std::vector<std::string> library_roots);

  // Error::invalid "format: could not tell ..." when no format can be told; parse_playlist's
  // errors (invalid with the line or offset; exhausted when the file exceeds a limit); the
  // playlist service's. Nothing is created unless parsing succeeded.
  Result<ImportResult> import(const ImportRequest& request) const;

 private:
  PlaylistService& playlists_;
  const catalog::Catalog& catalog_;
  std::vector<std::string> library_roots_;
};

}  // namespace segue::playlist
