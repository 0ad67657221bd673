// Playlist import and export: M3U8, XSPF and JSON (Segue's own shape, and Spotify's playlist
// object on import). Domain code only: no HTTP, no SQL, no file I/O. The playlist service
// reads the uploaded bytes, calls detect_format / parse_playlist / match_entries, and writes
// the matched tracks as CRDT inserts; for export it passes the ordered track ids.
// docs/formats/playlist-import-export.md has the formats, the matching rules and the limits.
//
// Threads: every function is pure (or reads an immutable catalog Snapshot) and may run on any
// thread. Parsing and matching are linear in the input; a 10,000-entry playlist takes a few
// milliseconds, but run them off the network threads like any other CPU work on a body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/ids.h"
#include "common/result.h"

namespace segue::playlist {

// One entry of an imported playlist, as the file described it (all strings valid UTF-8).
struct ImportEntry {
  // A path or a URI as written: an M3U line, an XSPF <location> (file: URIs and relative
  // references already percent-decoded to a path), a JSON "path" (or a "uri" that is not a
  // track URI). May be empty.
  std::string location;
  // A track URI ("segue:track:<id>", "spotify:track:<id>") when the file carried one (JSON
  // "uri", XSPF <identifier>, an M3U line that is such a URI). May be empty.
  std::string uri;
  std::string title;
  std::string artist;  // several artists joined with ", "
  std::string album;
  std::optional<int64_t> duration_ms;
  // Where the entry came from, for error reports: M3U the 1-based line of the location,
  // XSPF the 1-based line of <track>, JSON the 0-based index in the tracks array.
  std::size_t line_or_index = 0;
};

struct ParsedPlaylist {
  std::string name;
  std::string description;
  std::vector<ImportEntry> entries;  // in file order
  std::vector<std::string> warnings;  // things skipped or guessed, e.g. "line 7: #EXTINF without a location"
};

enum class Format { kM3u8, kXspf, kJson };
std::string_view format_name(Format f);          // "m3u8", "xspf", "json"
std::string_view format_content_type(Format f);  // "audio/x-mpegurl", "application/xspf+xml", "application/json"
std::string_view format_extension(Format f);     // ".m3u8", ".xspf", ".json"

// The format from the file name's extension (.m3u8 .m3u .xspf .json), else from the content
// type (audio/x-mpegurl, application/vnd.apple.mpegurl, application/xspf+xml,
// application/json, ...; parameters ignored), else from the first bytes (after a BOM and
// white space: '{' or '[' is JSON, '<' is XSPF, "#EXTM3U" is M3U8). nullopt if none tells.
std::optional<Format> detect_format(std::string_view filename, std::string_view content_type,
                                    std::string_view bytes);

struct ParseLimits {
  std::size_t max_bytes = 8 << 20;     // whole input
  std::size_t max_entries = 10000;     // Spotify's playlist limit
  std::size_t max_line_bytes = 16384;  // M3U line; also any one XSPF/JSON string
  std::size_t max_depth = 64;          // XML element / JSON nesting
};

// Parses a playlist. Error::invalid for malformed input, with a line (M3U, XSPF: "line N")
// or byte offset (JSON: "offset N") in the message; Error::exhausted("...") when a limit is
// exceeded. Never fetches or opens anything: XML with a DOCTYPE (and so any entity
// declaration) is refused, so entity expansion and external entities cannot happen.
Result<ParsedPlaylist> parse_playlist(Format format, std::string_view bytes,
                                      const ParseLimits& limits = {});

struct MatchResult {
  // The catalog tracks of the matched entries, in entry order (duplicates kept).
  std::vector<TrackId> matched_in_order;

  struct Unmatched {
    std::size_t index;  // into the entries passed to match_entries
    ImportEntry entry;
    std::string reason;  // "no track with this path or artist and title", "several tracks match: ..."
  };
  std::vector<Unmatched> unmatched;

  // The entries matched by something weaker than a URI or a whole path (a path's trailing
  // components, artist and title), so a client can show them for review.
  struct Fuzzy {
    std::size_t index;  // into the entries
    TrackId track;
    std::string how;  // "artist, title and duration", "artist and title (duration differs by 12 s)", ...
  };
  std::vector<Fuzzy> matched_how;
};

// Matches entries to catalog tracks, in this order (the first rule that decides wins):
//  1. a track URI whose id is in the catalog;
//  2. the path: file: URIs percent-decoded, '\' as '/', "." and ".." resolved lexically;
//     absolute as is, relative against `playlist_dir` (if not empty), against each library
//     root, and as a catalog relative path; then the longest trailing run of path components
//     that is a unique catalog relative path (playlists from another machine or OS; ASCII
//     case-insensitive; the file name alone only when rule 3 does not decide). Only the catalog's known file paths are compared: no file is opened,
//     and a path outside the library can never match;
//  3. artist and title, folded (case, Latin accents, punctuation, "&" = "and", a leading
//     "The ", "feat." parts): duration within ±3 s and then the album break ties; a unique
//     artist-and-title match is taken even when its duration differs (noted in `how`).
//     Without an artist, the title with a duration within ±3 s, if unique.
// Every entry ends in exactly one of matched_in_order or unmatched.
MatchResult match_entries(const catalog::Snapshot& snapshot,
                          const std::vector<std::string>& library_roots,
                          std::string_view playlist_dir, const std::vector<ImportEntry>& entries);

// What to export: a name, a description and the ordered tracks (the same id may repeat).
struct ExportPlaylist {
  std::string name;
  std::string description;
  std::vector<TrackId> tracks;
};

struct ExportOptions {
  enum class Paths {
    kAbsolute,  // the file's absolute path (XSPF: a file:/// URI); for local tools only:
                // never in what the server sends a client (it would show the server's folders)
    kRelative,  // relative to `base_dir` ("../" as needed), or to the file's library root if
                // `base_dir` is empty or the file is not under it (XSPF: a percent-encoded
                // relative reference)
  };
  Paths paths = Paths::kRelative;
  std::string base_dir;  // the folder the playlist file will be saved in (local tools only:
                         // "../" paths out of it name the folders above the library)
};

// The three exports. Each track is written with its title, artists, album, duration, the path
// of its first file and its URI (XSPF <identifier>, JSON "uri"; M3U has no place for it). A
// track id missing from the snapshot (deleted since) is written by URI alone, so it stays in
// the file and is reported on import. import(export(p)) against the same catalog gives the
// same tracks in the same order. Control characters in names are replaced by spaces.
std::string export_m3u8(const catalog::Snapshot& snapshot, const ExportPlaylist& playlist,
                        const ExportOptions& options = {});
std::string export_xspf(const catalog::Snapshot& snapshot, const ExportPlaylist& playlist,
                        const ExportOptions& options = {});
std::string export_json(const catalog::Snapshot& snapshot, const ExportPlaylist& playlist,
                        const ExportOptions& options = {});
std::string export_playlist(Format format, const catalog::Snapshot& snapshot,
                            const ExportPlaylist& playlist, const ExportOptions& options = {});

// Helpers, exposed for tests and the service.
// Folds an artist or a title for comparison (see match_entries rule 3).
std::string fold_for_match(std::string_view s, bool is_artist);
// A location as a normalised path: file: URIs decoded ("file:///a%20b" -> "/a b",
// "file://localhost/a" -> "/a"), '\' -> '/', lexically normalised. nullopt for other URI
// schemes (http:, spotify:, ...) and undecodable escapes.
std::optional<std::string> location_to_path(std::string_view location);

}  // namespace segue::playlist
