// Walks library folders, reads tags of new and changed audio files, groups them into artists
// and albums, and writes the result to the catalog tables.
//
// Ids (22-char base62 from derived_base62_id, so they survive restarts and fresh rescans):
//   artist = hash of the normalised name (trimmed, ASCII-lowercased, spaces collapsed); a
//            MusicBrainz artist id is kept as an attribute, it does not split an artist.
//   album  = hash of (normalised album artists, normalised album name): the same album name by
//            two album artists stays two albums. Compilations (COMPILATION/TCMP/cpil flag, or
//            album artist "Various Artists") are keyed by (album name, "Various Artists",
//            folder) so their tracks by many artists form one album per folder.
//            Album artist falls back to the track artists when the tag is missing.
//   track  = kept from the stored row when the path is known (even if the tags changed) or
//            when the file moved (a vanished path with the same size and the same
//            (album, album artist, disc, track number, title)); otherwise a hash of the path
//            relative to its library root.
//   file   = hash of (track id, codec).
// Cover art of an album: the embedded picture of its first track (by disc and track number)
// that has one, else a cover file (cover/folder/front/album .jpg/.png, any case) in a folder
// of its tracks. Embedded art wins because it travels with the files and is what the tagger
// chose; folder images are often scans or leftovers.
//
// Threads: scan() blocks on disk and the database for a long time: run it on a worker thread.
// One scan at a time per Scanner (a second concurrent call gets Error::conflict). Servers may
// read the database and the Catalog throughout: writes go in transactions of at most ~500
// files, new artists/albums are written before the tracks that point at them, and orphans are
// removed last.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::catalog {

struct ScanFailure {
  std::string path;    // valid UTF-8 (invalid bytes replaced by U+FFFD)
  std::string reason;  // "empty file", "symlink loop", "no audio stream", ...
};

struct ScanReport {
  std::size_t added = 0;      // new files
  std::size_t updated = 0;    // known paths whose file or tags changed
  std::size_t moved = 0;      // new paths recognised as a vanished file (id kept)
  std::size_t removed = 0;    // stored files that are gone (or now fail to read)
  std::size_t unchanged = 0;  // known files with the same size and mtime (or same tags)
  std::vector<ScanFailure> failed;
  std::size_t files_seen = 0;  // audio files found by the walk
  // Catalog rows this scan inserted, changed or deleted (0 for a library that did not change).
  std::size_t rows_written = 0;
  // Whether the scan published a new catalog snapshot: only when it wrote rows, or on a
  // Scanner's first scan.
  bool catalog_reloaded = false;
  std::chrono::milliseconds elapsed{0};
};

// Called after each file with (files done, total files); the total is known before reading
// starts because the walk counts first. Runs on the scanning thread.
using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

// Extensions recognised as audio (lowercase, without the dot).
bool is_audio_extension(std::string_view ext);

// The id derivations described above, exposed for tests and tools.
std::string normalize_name(std::string_view s);
ArtistId artist_id_for(std::string_view name);

class Scanner {
 public:
  // `db` must outlive the Scanner. If `catalog` is not null it is reloaded after every
  // successful scan; otherwise the caller reloads its Catalog.
  Scanner(store::Database& db, Catalog* catalog);

  // Scans `library_roots` (folders; symlinks inside them are followed only when they resolve
  // inside one of the roots). Unchanged files (same size and mtime as stored) are not re-read
  // unless `full`; rows that did not change are not rewritten, and a scan that changed
  // nothing does not reload the Catalog (after the Scanner's first scan). Files that cannot be used are skipped and listed in ScanReport::failed with
  // a reason; they never fail the scan. Files under a folder that cannot be listed are kept.
  // Errors: Error::not_found if a root does not exist or is not a folder (nothing is removed),
  // Error::conflict if a scan is already running, database errors as returned by the store.
  Result<ScanReport> scan(const std::vector<std::string>& library_roots, bool full,
                          const ProgressFn& progress = nullptr);

 private:
  Result<ScanReport> scan_locked(const std::vector<std::string>& library_roots, bool full,
                                 const ProgressFn& progress);
  static void release_scan_memory();

  store::Database& db_;
  Catalog* catalog_;
  std::mutex scan_mu_;
  bool migrated_ = false;
  bool published_once_ = false;
};

}  // namespace segue::catalog
