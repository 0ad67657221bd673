// A small demo library, composed and encoded by Segue itself, so a fresh install (and the test
// suites) have music to serve without shipping audio files.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"

namespace segue::catalog {

struct DemoOptions {
  // Caps each track's length (seconds); 0 keeps the normal 20-40 s. Tests use ~1 s.
  double max_track_seconds = 0;
};

// Writes the demo library under `dir` (created if needed): 3 artists (Marlow Vance, The Copper
// Lanterns, Nadia Oré), 4 albums (one on two discs, one "Various Artists" compilation with
// tracks by two of them, one track with two artists), 13 tracks of 20-40 s in Ogg Vorbis
// 160 kbps, MP3 320 kbps, FLAC, Opus, M4A/AAC and WAV, tagged with TagLib, with a generated
// cover per album (cover.jpg in the folder for two albums, embedded in the files for the other
// two). Idempotent: if `dir` holds the marker file `.segue-demo-library` nothing is written.
// The marker is written last, so an interrupted run is redone. Blocking and CPU-heavy (a few
// seconds): worker threads only.
Status write_demo_library(const std::string& dir, const DemoOptions& options = {});

// Called with (rows done, total rows).
using LibraryProgressFn = std::function<void(std::size_t done, std::size_t total)>;

// Writes one small tagged file per row of the CSV at `csv_path` (header row naming the columns
// title, artist, album, genre, year in any order; quoted fields allowed) under
// `dir/<artist>/<album>/<n> - <title>.ogg`, by copying one short encoded template and
// writing its tags with TagLib. Error::invalid for a CSV without a title or artist column;
// rows without a title are skipped. Blocking: worker threads only.
Status write_catalog_library(const std::string& dir, const std::string& csv_path,
                             const LibraryProgressFn& progress = nullptr);

}  // namespace segue::catalog
