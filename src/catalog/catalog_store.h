// The catalog's SQL: schema migrations and row mapping for artists, albums, tracks, audio files
// and images. Portable SQL only (`?` placeholders, TEXT/INTEGER/REAL, INSERT ... ON CONFLICT
// DO UPDATE which SQLite and PostgreSQL share). Genres are stored as a JSON array in a TEXT
// column; the tags read from each file are kept as JSON in audio_files.tags so that the
// grouping rules can be re-applied without re-reading unchanged files.
//
// Threads: these functions run inside store::Database::read()/write() callbacks, on the worker
// thread that called read()/write().
#pragma once

#include <vector>

#include "catalog/model.h"
#include "catalog/tag_reader.h"
#include "store/database.h"

namespace segue::catalog {

// Migrations for db.migrate("catalog", catalog_migrations()).
std::vector<store::Migration> catalog_migrations();
// The catalog's version (catalog_meta): bumped in the last transaction of a scan that wrote rows,
// read with the rows by Catalog::reload(), so other nodes know when to reload.
Result<int64_t> load_catalog_version(store::Connection& c);
Status bump_catalog_version(store::Connection& c);

// One audio_files row with the tags it was last read with.
struct StoredFile {
  AudioFile file;
  TagInfo tags;
};

// Everything the in-memory catalog holds.
struct CatalogRows {
  std::vector<Artist> artists;
  std::vector<Album> albums;
  std::vector<Track> tracks;
  std::vector<AudioFile> files;
  std::vector<Image> images;
};

Result<std::vector<StoredFile>> load_stored_files(store::Connection& c);
// added_at_ms of every album row, for keeping it across rescans.
Result<std::vector<std::pair<AlbumId, int64_t>>> load_album_added_at(store::Connection& c);
Result<CatalogRows> load_catalog_rows(store::Connection& c);

// The artist, album and image upserts write nothing when the stored row (and, for albums,
// the album artists) already has these values; they return whether anything was written.
Result<bool> upsert_artist(store::Connection& c, const Artist& a);
Result<bool> upsert_album(store::Connection& c, const Album& a);  // also replaces album_artists
Result<bool> upsert_image(store::Connection& c, const Image& i);
Status upsert_track(store::Connection& c, const Track& t);  // also replaces track_artists
Status upsert_file(store::Connection& c, const AudioFile& f, const TagInfo& tags);
// Deletes the file row, and its track when no other file belongs to it.
Status delete_file(store::Connection& c, const FileId& id);
// Deletes albums without tracks, artists no track or album refers to, and unreferenced images;
// returns the number of rows deleted.
Result<int64_t> delete_orphans(store::Connection& c);

// JSON (de)serialisation of TagInfo, as stored in audio_files.tags. Exposed for tests.
std::string tags_to_json(const TagInfo& t);
Result<TagInfo> tags_from_json(std::string_view json);

}  // namespace segue::catalog
