#include "catalog/catalog_store.h"

#include <boost/json.hpp>

#include <map>

namespace segue::catalog {
namespace {

namespace json = boost::json;
using store::Value;

const char* kSchemaV1 = R"sql(
CREATE TABLE artists (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  sort_name TEXT NOT NULL,
  musicbrainz_id TEXT
);
CREATE TABLE images (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL
);
CREATE TABLE albums (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  year INTEGER,
  release_date TEXT NOT NULL,
  release_date_precision TEXT NOT NULL,
  genres TEXT NOT NULL,
  total_tracks INTEGER NOT NULL,
  total_discs INTEGER NOT NULL,
  is_compilation INTEGER NOT NULL,
  image_id TEXT,
  added_at INTEGER NOT NULL,
  musicbrainz_id TEXT
);
CREATE TABLE album_artists (
  album_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  artist_id TEXT NOT NULL,
  PRIMARY KEY (album_id, position)
);
CREATE INDEX album_artists_artist ON album_artists (artist_id);
CREATE TABLE tracks (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  album_id TEXT NOT NULL,
  track_number INTEGER NOT NULL,
  disc_number INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  explicit INTEGER NOT NULL,
  genres TEXT NOT NULL,
  isrc TEXT,
  musicbrainz_id TEXT,
  rg_track_gain REAL,
  rg_track_peak REAL,
  rg_album_gain REAL,
  rg_album_peak REAL
);
CREATE INDEX tracks_album ON tracks (album_id);
CREATE TABLE track_artists (
  track_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  artist_id TEXT NOT NULL,
  PRIMARY KEY (track_id, position)
);
CREATE INDEX track_artists_artist ON track_artists (artist_id);
CREATE TABLE audio_files (
  id TEXT PRIMARY KEY,
  track_id TEXT NOT NULL,
  path TEXT NOT NULL,
  relative_path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  codec TEXT NOT NULL,
  container TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  bitrate_kbps INTEGER NOT NULL,
  sample_rate INTEGER NOT NULL,
  channels INTEGER NOT NULL,
  lossless INTEGER NOT NULL,
  tags TEXT NOT NULL
);
CREATE INDEX audio_files_track ON audio_files (track_id);
CREATE INDEX audio_files_path ON audio_files (path)
)sql";

Value opt_int(const std::optional<int>& v) { return v ? Value(int64_t{*v}) : Value(nullptr); }
Value opt_real(const std::optional<double>& v) { return v ? Value(*v) : Value(nullptr); }
std::optional<double> row_opt_real(const store::Row& r, int col) {
  return r.is_null(col) ? std::nullopt : std::optional<double>(r.f64(col));
}

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::vector<std::string> from_array(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->as_array())
    if (e.is_string()) out.emplace_back(e.as_string().c_str(), e.as_string().size());
  return out;
}

std::string genres_json(const std::vector<std::string>& g) {
  return json::serialize(to_array(g));
}

std::vector<std::string> parse_genres(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return {};
  return from_array(&v);
}

}  // namespace

// v2: the catalog's version, bumped by each scan that wrote rows (Catalog::follow()).
constexpr const char* kSchemaV2 = R"(
CREATE TABLE catalog_meta (
  id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL
);
INSERT INTO catalog_meta (id, version) VALUES (1, 1);
)";

std::vector<store::Migration> catalog_migrations() { return {{1, kSchemaV1}, {2, kSchemaV2}}; }

Result<int64_t> load_catalog_version(store::Connection& c) {
  SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT version FROM catalog_meta WHERE id = 1"));
  return v.value_or(0);
}

Status bump_catalog_version(store::Connection& c) {
  SEGUE_TRY(c.exec("UPDATE catalog_meta SET version = version + 1 WHERE id = 1"));
  return {};
}

std::string tags_to_json(const TagInfo& t) {
  json::object o;
  o["title"] = t.title;
  o["artists"] = to_array(t.artists);
  o["artist_sort_names"] = to_array(t.artist_sort_names);
  o["album"] = t.album;
  o["album_artists"] = to_array(t.album_artists);
  o["track_number"] = t.track_number;
  o["track_total"] = t.track_total;
  o["disc_number"] = t.disc_number;
  o["disc_total"] = t.disc_total;
  o["date"] = t.date;
  o["genres"] = to_array(t.genres);
  o["compilation"] = t.compilation;
  o["explicit"] = t.explicit_content;
  if (t.isrc) o["isrc"] = *t.isrc;
  if (t.musicbrainz_track_id) o["mb_track"] = *t.musicbrainz_track_id;
  if (t.musicbrainz_album_id) o["mb_album"] = *t.musicbrainz_album_id;
  o["mb_artists"] = to_array(t.musicbrainz_artist_ids);
  o["mb_album_artists"] = to_array(t.musicbrainz_album_artist_ids);
  if (t.replay_gain.track_gain_db) o["rg_track_gain"] = *t.replay_gain.track_gain_db;
  if (t.replay_gain.track_peak) o["rg_track_peak"] = *t.replay_gain.track_peak;
  if (t.replay_gain.album_gain_db) o["rg_album_gain"] = *t.replay_gain.album_gain_db;
  if (t.replay_gain.album_peak) o["rg_album_peak"] = *t.replay_gain.album_peak;
  o["embedded_art"] = t.has_embedded_art;
  o["duration_ms"] = t.duration_ms;
  o["bitrate_kbps"] = t.bitrate_kbps;
  o["sample_rate"] = t.sample_rate;
  o["channels"] = t.channels;
  o["codec"] = t.codec;
  o["container"] = t.container;
  o["mime_type"] = t.mime_type;
  o["lossless"] = t.lossless;
  o["title_from_filename"] = t.title_from_filename;
  o["album_from_folder"] = t.album_from_folder;
  o["artist_from_folder"] = t.artist_from_folder;
  return json::serialize(o);
}

Result<TagInfo> tags_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::corruption("audio_files.tags is not a JSON object");
  const json::object& o = v.as_object();
  auto str = [&](const char* k) -> std::string {
    const json::value* e = o.if_contains(k);
    return e && e->is_string() ? std::string(e->as_string().c_str(), e->as_string().size())
                               : std::string();
  };
  auto opt_str = [&](const char* k) -> std::optional<std::string> {
    const json::value* e = o.if_contains(k);
    if (!e || !e->is_string()) return std::nullopt;
    return std::string(e->as_string().c_str(), e->as_string().size());
  };
  auto num = [&](const char* k) -> int64_t {
    const json::value* e = o.if_contains(k);
    return e && e->is_int64() ? e->as_int64() : 0;
  };
  auto real = [&](const char* k) -> std::optional<double> {
    const json::value* e = o.if_contains(k);
    if (!e) return std::nullopt;
    if (e->is_double()) return e->as_double();
    if (e->is_int64()) return static_cast<double>(e->as_int64());
    return std::nullopt;
  };
  auto flag = [&](const char* k) {
    const json::value* e = o.if_contains(k);
    return e && e->is_bool() && e->as_bool();
  };
  TagInfo t;
  t.title = str("title");
  t.artists = from_array(o.if_contains("artists"));
  t.artist_sort_names = from_array(o.if_contains("artist_sort_names"));
  t.album = str("album");
  t.album_artists = from_array(o.if_contains("album_artists"));
  t.track_number = static_cast<int>(num("track_number"));
  t.track_total = static_cast<int>(num("track_total"));
  t.disc_number = static_cast<int>(num("disc_number"));
  t.disc_total = static_cast<int>(num("disc_total"));
  t.date = str("date");
  t.genres = from_array(o.if_contains("genres"));
  t.compilation = flag("compilation");
  t.explicit_content = flag("explicit");
  t.isrc = opt_str("isrc");
  t.musicbrainz_track_id = opt_str("mb_track");
  t.musicbrainz_album_id = opt_str("mb_album");
  t.musicbrainz_artist_ids = from_array(o.if_contains("mb_artists"));
  t.musicbrainz_album_artist_ids = from_array(o.if_contains("mb_album_artists"));
  t.replay_gain.track_gain_db = real("rg_track_gain");
  t.replay_gain.track_peak = real("rg_track_peak");
  t.replay_gain.album_gain_db = real("rg_album_gain");
  t.replay_gain.album_peak = real("rg_album_peak");
  t.has_embedded_art = flag("embedded_art");
  t.duration_ms = num("duration_ms");
  t.bitrate_kbps = static_cast<int>(num("bitrate_kbps"));
  t.sample_rate = static_cast<int>(num("sample_rate"));
  t.channels = static_cast<int>(num("channels"));
  t.codec = str("codec");
  t.container = str("container");
  t.mime_type = str("mime_type");
  t.lossless = flag("lossless");
  t.title_from_filename = flag("title_from_filename");
  t.album_from_folder = flag("album_from_folder");
  t.artist_from_folder = flag("artist_from_folder");
  return t;
}

namespace {
constexpr const char* kFileColumns =
    "id, track_id, path, relative_path, size, mtime_ns, codec, container, mime_type, "
    "bitrate_kbps, sample_rate, channels, lossless";

AudioFile file_from_row(const store::Row& r) {
  AudioFile f;
  f.id = FileId(r.text(0));
  f.track_id = TrackId(r.text(1));
  f.path = r.text(2);
  f.relative_path = r.text(3);
  f.size = r.i64(4);
  f.mtime_ns = r.i64(5);
  f.codec = r.text(6);
  f.container = r.text(7);
  f.mime_type = r.text(8);
  f.bitrate_kbps = static_cast<int>(r.i64(9));
  f.sample_rate = static_cast<int>(r.i64(10));
  f.channels = static_cast<int>(r.i64(11));
  f.lossless = r.i64(12) != 0;
  return f;
}
}  // namespace

Result<std::vector<StoredFile>> load_stored_files(store::Connection& c) {
  std::vector<StoredFile> out;
  std::optional<Error> bad;
  SEGUE_TRY(c.query(std::string("SELECT ") + kFileColumns + ", tags FROM audio_files", {},
                    [&](const store::Row& r) {
                      StoredFile s;
                      s.file = file_from_row(r);
                      auto tags = tags_from_json(r.text(13));
                      if (tags.ok()) s.tags = std::move(tags).value();
                      else s.file.size = -1;  // forces a re-read of this file
                      out.push_back(std::move(s));
                    }));
  return out;
}

Result<std::vector<std::pair<AlbumId, int64_t>>> load_album_added_at(store::Connection& c) {
  std::vector<std::pair<AlbumId, int64_t>> out;
  SEGUE_TRY(c.query("SELECT id, added_at FROM albums", {}, [&](const store::Row& r) {
    out.emplace_back(AlbumId(r.text(0)), r.i64(1));
  }));
  return out;
}

Result<CatalogRows> load_catalog_rows(store::Connection& c) {
  CatalogRows rows;
  SEGUE_TRY(c.query("SELECT id, name, sort_name, musicbrainz_id FROM artists", {},
                    [&](const store::Row& r) {
                      rows.artists.push_back(
                          {ArtistId(r.text(0)), r.text(1), r.text(2), r.opt_text(3)});
                    }));
  SEGUE_TRY(c.query("SELECT id, source, path, width, height FROM images", {},
                    [&](const store::Row& r) {
                      Image i;
                      i.id = ImageId(r.text(0));
                      i.source = r.text(1) == "embedded" ? ImageSource::kEmbedded
                                                         : ImageSource::kCoverFile;
                      i.path = r.text(2);
                      i.width = static_cast<int>(r.i64(3));
                      i.height = static_cast<int>(r.i64(4));
                      rows.images.push_back(std::move(i));
                    }));
  std::map<std::string, std::size_t> album_index;
  SEGUE_TRY(c.query(
      "SELECT id, name, year, release_date, release_date_precision, genres, total_tracks, "
      "total_discs, is_compilation, image_id, added_at, musicbrainz_id FROM albums",
      {}, [&](const store::Row& r) {
        Album a;
        a.id = AlbumId(r.text(0));
        a.name = r.text(1);
        if (!r.is_null(2)) a.year = static_cast<int>(r.i64(2));
        a.release_date = r.text(3);
        a.release_date_precision = r.text(4);
        a.genres = parse_genres(r.text(5));
        a.total_tracks = static_cast<int>(r.i64(6));
        a.total_discs = static_cast<int>(r.i64(7));
        a.is_compilation = r.i64(8) != 0;
        if (!r.is_null(9)) a.image_id = ImageId(r.text(9));
        a.added_at_ms = r.i64(10);
        a.musicbrainz_id = r.opt_text(11);
        album_index[a.id.str()] = rows.albums.size();
        rows.albums.push_back(std::move(a));
      }));
  SEGUE_TRY(c.query("SELECT album_id, artist_id FROM album_artists ORDER BY album_id, position",
                    {}, [&](const store::Row& r) {
                      auto it = album_index.find(r.text(0));
                      if (it != album_index.end())
                        rows.albums[it->second].artist_ids.emplace_back(r.text(1));
                    }));
  std::map<std::string, std::size_t> track_index;
  SEGUE_TRY(c.query(
      "SELECT id, title, album_id, track_number, disc_number, duration_ms, explicit, genres, "
      "isrc, musicbrainz_id, rg_track_gain, rg_track_peak, rg_album_gain, rg_album_peak "
      "FROM tracks",
      {}, [&](const store::Row& r) {
        Track t;
        t.id = TrackId(r.text(0));
        t.title = r.text(1);
        t.album_id = AlbumId(r.text(2));
        t.track_number = static_cast<int>(r.i64(3));
        t.disc_number = static_cast<int>(r.i64(4));
        t.duration_ms = r.i64(5);
        t.explicit_content = r.i64(6) != 0;
        t.genres = parse_genres(r.text(7));
        t.isrc = r.opt_text(8);
        t.musicbrainz_id = r.opt_text(9);
        t.replay_gain = {row_opt_real(r, 10), row_opt_real(r, 11), row_opt_real(r, 12),
                         row_opt_real(r, 13)};
        track_index[t.id.str()] = rows.tracks.size();
        rows.tracks.push_back(std::move(t));
      }));
  SEGUE_TRY(c.query("SELECT track_id, artist_id FROM track_artists ORDER BY track_id, position",
                    {}, [&](const store::Row& r) {
                      auto it = track_index.find(r.text(0));
                      if (it != track_index.end())
                        rows.tracks[it->second].artist_ids.emplace_back(r.text(1));
                    }));
  SEGUE_TRY(c.query(std::string("SELECT ") + kFileColumns + " FROM audio_files ORDER BY id", {},
                    [&](const store::Row& r) {
                      AudioFile f = file_from_row(r);
                      auto it = track_index.find(f.track_id.str());
                      if (it != track_index.end()) rows.tracks[it->second].file_ids.push_back(f.id);
                      rows.files.push_back(std::move(f));
                    }));
  return rows;
}

Result<bool> upsert_artist(store::Connection& c, const Artist& a) {
  // The WHERE makes an unchanged row cost no write (and count no change).
  SEGUE_ASSIGN_OR_RETURN(int64_t n, c.exec(
      "INSERT INTO artists (id, name, sort_name, musicbrainz_id) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, sort_name = excluded.sort_name, "
      "musicbrainz_id = excluded.musicbrainz_id "
      "WHERE artists.name IS DISTINCT FROM excluded.name OR artists.sort_name IS DISTINCT FROM excluded.sort_name "
      "OR artists.musicbrainz_id IS DISTINCT FROM excluded.musicbrainz_id",
      {a.id.str(), a.name, a.sort_name, store::opt(a.musicbrainz_id)}));
  return n > 0;
}

Result<bool> upsert_album(store::Connection& c, const Album& a) {
  SEGUE_ASSIGN_OR_RETURN(int64_t n, c.exec(
      "INSERT INTO albums (id, name, year, release_date, release_date_precision, genres, "
      "total_tracks, total_discs, is_compilation, image_id, added_at, musicbrainz_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, year = excluded.year, "
      "release_date = excluded.release_date, "
      "release_date_precision = excluded.release_date_precision, genres = excluded.genres, "
      "total_tracks = excluded.total_tracks, total_discs = excluded.total_discs, "
      "is_compilation = excluded.is_compilation, image_id = excluded.image_id, "
      "added_at = excluded.added_at, musicbrainz_id = excluded.musicbrainz_id "
      "WHERE albums.name IS DISTINCT FROM excluded.name OR albums.year IS DISTINCT FROM excluded.year "
      "OR albums.release_date IS DISTINCT FROM excluded.release_date "
      "OR albums.release_date_precision IS DISTINCT FROM excluded.release_date_precision "
      "OR albums.genres IS DISTINCT FROM excluded.genres OR albums.total_tracks IS DISTINCT FROM excluded.total_tracks "
      "OR albums.total_discs IS DISTINCT FROM excluded.total_discs OR albums.is_compilation IS DISTINCT FROM excluded.is_compilation "
      "OR albums.image_id IS DISTINCT FROM excluded.image_id OR albums.added_at IS DISTINCT FROM excluded.added_at "
      "OR albums.musicbrainz_id IS DISTINCT FROM excluded.musicbrainz_id",
      {a.id.str(), a.name, opt_int(a.year), a.release_date, a.release_date_precision,
       genres_json(a.genres), int64_t{a.total_tracks}, int64_t{a.total_discs},
       int64_t{a.is_compilation ? 1 : 0},
       a.image_id ? Value(a.image_id->str()) : Value(nullptr), a.added_at_ms,
       store::opt(a.musicbrainz_id)}));
  // The album artists are rewritten only when they differ from the stored list.
  std::vector<std::string> stored;
  SEGUE_TRY(c.query("SELECT artist_id FROM album_artists WHERE album_id = ? ORDER BY position",
                    {a.id.str()}, [&](const store::Row& r) { stored.push_back(r.text(0)); }));
  bool same = stored.size() == a.artist_ids.size();
  for (std::size_t i = 0; same && i < stored.size(); ++i) same = stored[i] == a.artist_ids[i].str();
  if (same) return n > 0;
  SEGUE_TRY(c.exec("DELETE FROM album_artists WHERE album_id = ?", {a.id.str()}));
  for (std::size_t i = 0; i < a.artist_ids.size(); ++i)
    SEGUE_TRY(c.exec("INSERT INTO album_artists (album_id, position, artist_id) VALUES (?, ?, ?)",
                     {a.id.str(), static_cast<int64_t>(i), a.artist_ids[i].str()}));
  return true;
}

Result<bool> upsert_image(store::Connection& c, const Image& i) {
  SEGUE_ASSIGN_OR_RETURN(int64_t n, c.exec(
      "INSERT INTO images (id, source, path, width, height) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET source = excluded.source, path = excluded.path, "
      "width = excluded.width, height = excluded.height "
      "WHERE images.source IS DISTINCT FROM excluded.source OR images.path IS DISTINCT FROM excluded.path "
      "OR images.width IS DISTINCT FROM excluded.width OR images.height IS DISTINCT FROM excluded.height",
      {i.id.str(), std::string(i.source == ImageSource::kEmbedded ? "embedded" : "file"), i.path,
       int64_t{i.width}, int64_t{i.height}}));
  return n > 0;
}

Status upsert_track(store::Connection& c, const Track& t) {
  SEGUE_TRY(c.exec(
      "INSERT INTO tracks (id, title, album_id, track_number, disc_number, duration_ms, explicit, "
      "genres, isrc, musicbrainz_id, rg_track_gain, rg_track_peak, rg_album_gain, rg_album_peak) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET title = excluded.title, album_id = excluded.album_id, "
      "track_number = excluded.track_number, disc_number = excluded.disc_number, "
      "duration_ms = excluded.duration_ms, explicit = excluded.explicit, "
      "genres = excluded.genres, isrc = excluded.isrc, musicbrainz_id = excluded.musicbrainz_id, "
      "rg_track_gain = excluded.rg_track_gain, rg_track_peak = excluded.rg_track_peak, "
      "rg_album_gain = excluded.rg_album_gain, rg_album_peak = excluded.rg_album_peak",
      {t.id.str(), t.title, t.album_id.str(), int64_t{t.track_number}, int64_t{t.disc_number},
       t.duration_ms, int64_t{t.explicit_content ? 1 : 0}, genres_json(t.genres),
       store::opt(t.isrc), store::opt(t.musicbrainz_id), opt_real(t.replay_gain.track_gain_db),
       opt_real(t.replay_gain.track_peak), opt_real(t.replay_gain.album_gain_db),
       opt_real(t.replay_gain.album_peak)}));
  SEGUE_TRY(c.exec("DELETE FROM track_artists WHERE track_id = ?", {t.id.str()}));
  for (std::size_t i = 0; i < t.artist_ids.size(); ++i)
    SEGUE_TRY(c.exec("INSERT INTO track_artists (track_id, position, artist_id) VALUES (?, ?, ?)",
                     {t.id.str(), static_cast<int64_t>(i), t.artist_ids[i].str()}));
  return {};
}

Status upsert_file(store::Connection& c, const AudioFile& f, const TagInfo& tags) {
  SEGUE_TRY(c.exec(
      "INSERT INTO audio_files (id, track_id, path, relative_path, size, mtime_ns, codec, "
      "container, mime_type, bitrate_kbps, sample_rate, channels, lossless, tags) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET track_id = excluded.track_id, path = excluded.path, "
      "relative_path = excluded.relative_path, size = excluded.size, "
      "mtime_ns = excluded.mtime_ns, codec = excluded.codec, container = excluded.container, "
      "mime_type = excluded.mime_type, bitrate_kbps = excluded.bitrate_kbps, "
      "sample_rate = excluded.sample_rate, channels = excluded.channels, "
      "lossless = excluded.lossless, tags = excluded.tags",
      {f.id.str(), f.track_id.str(), f.path, f.relative_path, f.size, f.mtime_ns, f.codec,
       f.container, f.mime_type, int64_t{f.bitrate_kbps}, int64_t{f.sample_rate},
       int64_t{f.channels}, int64_t{f.lossless ? 1 : 0}, tags_to_json(tags)}));
  return {};
}

Status delete_file(store::Connection& c, const FileId& id) {
  std::optional<std::string> track;
  SEGUE_TRY(c.query("SELECT track_id FROM audio_files WHERE id = ?", {id.str()},
                    [&](const store::Row& r) { track = r.text(0); }));
  SEGUE_TRY(c.exec("DELETE FROM audio_files WHERE id = ?", {id.str()}));
  if (!track) return {};
  SEGUE_ASSIGN_OR_RETURN(auto left, c.query_int("SELECT COUNT(*) FROM audio_files WHERE track_id = ?", {*track}));
  if (left.value_or(0) == 0) {
    SEGUE_TRY(c.exec("DELETE FROM track_artists WHERE track_id = ?", {*track}));
    SEGUE_TRY(c.exec("DELETE FROM tracks WHERE id = ?", {*track}));
  }
  return {};
}

Result<int64_t> delete_orphans(store::Connection& c) {
  int64_t n = 0;
  for (const char* sql :
       {"DELETE FROM albums WHERE id NOT IN (SELECT album_id FROM tracks)",
        "DELETE FROM album_artists WHERE album_id NOT IN (SELECT id FROM albums)",
        "DELETE FROM artists WHERE id NOT IN (SELECT artist_id FROM track_artists) "
        "AND id NOT IN (SELECT artist_id FROM album_artists)",
        "DELETE FROM images WHERE id NOT IN (SELECT image_id FROM albums WHERE image_id IS NOT NULL)"}) {
    SEGUE_ASSIGN_OR_RETURN(int64_t d, c.exec(sql));
    n += d;
  }
  return n;
}

}  // namespace segue::catalog
