#include "catalog/scanner.h"

#include <sys/stat.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "audio/image.h"
#include "catalog/artwork.h"
#include "catalog/catalog_store.h"
#include "catalog/tag_reader.h"
#include "common/log.h"
#include "common/strings.h"

namespace segue::catalog {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBatch = 500;
constexpr int kMaxDepth = 64;
constexpr const char* kVariousArtists = "Various Artists";

// Cover file names in order of preference.
constexpr const char* kCoverNames[] = {"cover.jpg", "cover.png", "folder.jpg", "folder.png",
                                       "front.jpg", "album.jpg", "cover.jpeg", "folder.jpeg",
                                       "front.png", "album.png"};

int cover_rank(std::string_view lower_name) {
  for (int i = 0; i < static_cast<int>(std::size(kCoverNames)); ++i)
    if (lower_name == kCoverNames[i]) return i;
  return -1;
}

struct Candidate {
  std::string path;      // as found under the root (symlinks not resolved)
  std::string relative;  // relative to the root
  std::string dir;       // parent folder, absolute
  std::string relative_dir;
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

struct WalkResult {
  std::vector<Candidate> files;
  std::map<std::string, std::pair<int, std::string>> covers;  // dir -> (rank, path)
  std::vector<std::string> unreadable_dirs;
  std::vector<ScanFailure> failed;
};

class Walker {
 public:
  Walker(std::vector<std::string> canonical_roots, WalkResult& out)
      : roots_(std::move(canonical_roots)), out_(out) {}

  void walk_root(const std::string& root) {
    visited_.insert(root);
    walk(fs::path(root), root, "", 0);
  }

 private:
  bool inside_roots(const std::string& p) const {
    for (const auto& r : roots_)
      if (p == r || (p.size() > r.size() && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/'))
        return true;
    return false;
  }

  void fail(const fs::path& p, std::string reason) {
    out_.failed.push_back({strings::sanitize_utf8(p.string()), std::move(reason)});
  }

  void walk(const fs::path& dir, const std::string& root, const std::string& rel_dir, int depth) {
    if (depth > kMaxDepth) {
      fail(dir, "folder nesting too deep");
      return;
    }
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      fail(dir, "cannot list folder: " + ec.message());
      out_.unreadable_dirs.push_back(dir.string());
      return;
    }
    std::vector<fs::directory_entry> entries;
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) entries.push_back(*it);
    if (ec) {
      fail(dir, "cannot list folder: " + ec.message());
      out_.unreadable_dirs.push_back(dir.string());
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path() < b.path(); });
    for (const auto& entry : entries) visit(entry.path(), root, rel_dir, depth);
  }

  void visit(const fs::path& p, const std::string& root, const std::string& rel_dir, int depth) {
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') return;  // hidden files and folders
    if (!strings::is_valid_utf8(name)) {
      fail(p, "file name is not valid UTF-8");
      return;
    }
    const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
    std::error_code ec;
    fs::file_status ls = fs::symlink_status(p, ec);
    if (ec) {
      fail(p, "cannot stat: " + ec.message());
      return;
    }
    fs::file_status st = ls;
    if (fs::is_symlink(ls)) {
      fs::path target = fs::canonical(p, ec);
      if (ec) {
        fail(p, ec.value() == ELOOP ? "symlink loop" : "broken symlink: " + ec.message());
        return;
      }
      if (!inside_roots(target.string())) {
        fail(p, "symlink points outside the library");
        return;
      }
      st = fs::status(target, ec);
      if (ec) {
        fail(p, "cannot stat symlink target: " + ec.message());
        return;
      }
      if (fs::is_directory(st)) {
        if (!visited_.insert(target.string()).second) {
          fail(p, "symlink loop");
          return;
        }
        walk(p, root, rel, depth + 1);
        return;
      }
    } else if (fs::is_directory(st)) {
      fs::path canon = fs::canonical(p, ec);
      if (ec || !visited_.insert(canon.string()).second) return;
      walk(p, root, rel, depth + 1);
      return;
    }
    if (!fs::is_regular_file(st)) return;
    std::string ext = strings::ascii_lower(p.extension().string());
    if (!ext.empty()) ext.erase(0, 1);
    const std::string lower = strings::ascii_lower(name);
    if (int rank = cover_rank(lower); rank >= 0) {
      auto& slot = out_.covers[p.parent_path().string()];
      if (slot.second.empty() || rank < slot.first) slot = {rank, p.string()};
      return;
    }
    if (!is_audio_extension(ext)) return;
    struct stat sb {};
    if (::stat(p.c_str(), &sb) != 0) {
      fail(p, errno == EACCES ? "permission denied" : std::string("cannot stat"));
      return;
    }
    Candidate c;
    c.path = p.string();
    c.relative = rel;
    c.dir = p.parent_path().string();
    c.relative_dir = rel_dir;
    c.size = static_cast<int64_t>(sb.st_size);
    c.mtime_ns = static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
    out_.files.push_back(std::move(c));
  }

  std::vector<std::string> roots_;
  WalkResult& out_;
  std::set<std::string> visited_;
};

// A file that will be in the catalog after this scan.
struct Entry {
  Candidate where;
  TagInfo tags;
  TrackId track_id;
  FileId file_id;
  bool write = false;  // added, updated or moved: rows must be written
};

std::vector<std::string> album_artist_names(const TagInfo& t, bool& compilation) {
  std::vector<std::string> names = t.album_artists;
  if (names.empty()) names = t.compilation ? std::vector<std::string>{kVariousArtists} : t.artists;
  compilation = t.compilation ||
                (names.size() == 1 && normalize_name(names[0]) == normalize_name(kVariousArtists));
  if (compilation) names = {kVariousArtists};
  return names;
}

std::string album_key(const TagInfo& t, const std::string& relative_dir) {
  bool compilation = false;
  auto names = album_artist_names(t, compilation);
  if (compilation)
    return "compilation\n" + normalize_name(t.album) + "\n" + normalize_name(kVariousArtists) +
           "\n" + relative_dir;
  std::string key = "album\n";
  for (const auto& n : names) key += normalize_name(n) + "\x1f";
  return key + "\n" + normalize_name(t.album);
}

// What must match for a new path to be the same track as a vanished one.
std::string move_identity(const TagInfo& t, int64_t size) {
  bool compilation = false;
  std::string artists;
  for (const auto& n : album_artist_names(t, compilation)) artists += normalize_name(n) + "\x1f";
  return std::to_string(size) + "\n" + artists + "\n" + normalize_name(t.album) + "\n" +
         std::to_string(t.disc_number) + "\n" + std::to_string(t.track_number) + "\n" +
         normalize_name(t.title) + "\n" + t.codec;
}

std::string default_sort_name(const std::string& name) {
  if (name.size() > 4 && strings::ascii_lower(name.substr(0, 4)) == "the ") return name.substr(4);
  return name;
}

// Fills the picture's width and height by decoding its header; leaves 0 when it cannot.
void probe_image_size(Image& img) {
  std::string bytes;
  if (img.source == ImageSource::kEmbedded) {
    auto r = read_embedded_picture(img.path, kMaxArtworkBytes);
    if (!r.ok()) return;
    bytes = std::move(r).value();
  } else {
    std::ifstream f(img.path, std::ios::binary);
    if (!f) return;
    bytes.resize(kMaxArtworkBytes);
    f.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(f.gcount()));
  }
  auto info = audio::probe_image(bytes);
  if (!info.ok()) return;
  img.width = info->width;
  img.height = info->height;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Derived {
  std::map<std::string, Artist> artists;
  std::map<std::string, Album> albums;
  std::map<std::string, Image> images;
  std::vector<Track> tracks;  // parallel to entries
};

Derived derive(const std::vector<Entry>& entries,
               const std::map<std::string, std::pair<int, std::string>>& covers,
               const std::unordered_map<AlbumId, int64_t>& added_at, int64_t scan_time_ms) {
  Derived d;
  auto artist = [&](const std::string& name, const std::string* sort,
                    const std::string* mbid) -> ArtistId {
    ArtistId id = artist_id_for(name);
    auto [it, inserted] = d.artists.try_emplace(id.str());
    Artist& a = it->second;
    if (inserted) {
      a.id = id;
      a.name = name;
      a.sort_name = default_sort_name(name);
    }
    if (sort && !sort->empty() && a.sort_name == default_sort_name(a.name)) a.sort_name = *sort;
    if (mbid && !mbid->empty() && !a.musicbrainz_id) a.musicbrainz_id = *mbid;
    return id;
  };

  // Album members in album order, to pick the "first track" and aggregate fields.
  std::map<std::string, std::vector<std::size_t>> members;
  std::vector<std::string> album_of(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    album_of[i] = derived_base62_id("album", album_key(e.tags, e.where.relative_dir));
    members[album_of[i]].push_back(i);
  }

  d.tracks.resize(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const TagInfo& t = entries[i].tags;
    Track& tr = d.tracks[i];
    tr.id = entries[i].track_id;
    tr.title = t.title;
    const bool aligned_mb = t.musicbrainz_artist_ids.size() == t.artists.size();
    const bool aligned_sort = t.artist_sort_names.size() == t.artists.size();
    for (std::size_t k = 0; k < t.artists.size(); ++k) {
      ArtistId id = artist(t.artists[k], aligned_sort ? &t.artist_sort_names[k] : nullptr,
                           aligned_mb ? &t.musicbrainz_artist_ids[k] : nullptr);
      if (std::find(tr.artist_ids.begin(), tr.artist_ids.end(), id) == tr.artist_ids.end())
        tr.artist_ids.push_back(id);
    }
    tr.album_id = AlbumId(album_of[i]);
    tr.track_number = t.track_number;
    tr.disc_number = std::max(1, t.disc_number);
    tr.duration_ms = t.duration_ms;
    tr.explicit_content = t.explicit_content;
    tr.genres = t.genres;
    tr.isrc = t.isrc;
    tr.musicbrainz_id = t.musicbrainz_track_id;
    tr.replay_gain = t.replay_gain;
    tr.file_ids = {entries[i].file_id};
  }

  for (auto& [album_id, idx] : members) {
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(d.tracks[a].disc_number, d.tracks[a].track_number, entries[a].where.path) <
             std::tie(d.tracks[b].disc_number, d.tracks[b].track_number, entries[b].where.path);
    });
    const TagInfo& first = entries[idx.front()].tags;
    Album al;
    al.id = AlbumId(album_id);
    al.name = first.album;
    bool compilation = false;
    const auto names = album_artist_names(first, compilation);
    al.is_compilation = compilation;
    const bool aligned_mb = !compilation && first.musicbrainz_album_artist_ids.size() == names.size();
    for (std::size_t k = 0; k < names.size(); ++k) {
      ArtistId id = artist(names[k], nullptr,
                           aligned_mb ? &first.musicbrainz_album_artist_ids[k] : nullptr);
      if (std::find(al.artist_ids.begin(), al.artist_ids.end(), id) == al.artist_ids.end())
        al.artist_ids.push_back(id);
    }
    int max_disc = 1;
    for (std::size_t i : idx) {
      const TagInfo& t = entries[i].tags;
      if (al.release_date.empty() && !t.date.empty()) al.release_date = t.date;
      for (const auto& g : t.genres)
        if (std::find(al.genres.begin(), al.genres.end(), g) == al.genres.end())
          al.genres.push_back(g);
      al.total_tracks = std::max(al.total_tracks, t.track_total);
      max_disc = std::max({max_disc, t.disc_total, d.tracks[i].disc_number});
      if (!al.musicbrainz_id && t.musicbrainz_album_id) al.musicbrainz_id = t.musicbrainz_album_id;
    }
    if (al.total_tracks == 0) al.total_tracks = static_cast<int>(idx.size());
    al.total_discs = max_disc;
    if (!al.release_date.empty()) {
      al.year = std::stoi(al.release_date.substr(0, 4));
      al.release_date_precision = al.release_date.size() == 4   ? "year"
                                  : al.release_date.size() == 7 ? "month"
                                                                : "day";
    }
    std::optional<Image> img;
    for (std::size_t i : idx) {
      if (!entries[i].tags.has_embedded_art) continue;
      img = Image{ImageId(derived_base62_id("image", "embedded:" + entries[i].where.path)),
                  ImageSource::kEmbedded, entries[i].where.path, 0, 0};
      break;
    }
    for (std::size_t k = 0; !img && k < idx.size(); ++k) {
      auto it = covers.find(entries[idx[k]].where.dir);
      if (it != covers.end())
        img = Image{ImageId(derived_base62_id("image", "file:" + it->second.second)),
                    ImageSource::kCoverFile, it->second.second, 0, 0};
    }
    if (img) {
      al.image_id = img->id;
      d.images[img->id.str()] = *img;
    }
    auto old = added_at.find(al.id);
    al.added_at_ms = old != added_at.end() ? old->second : scan_time_ms;
    d.albums[album_id] = std::move(al);
  }
  return d;
}

}  // namespace

bool is_audio_extension(std::string_view ext) {
  static const std::unordered_set<std::string_view> kExts = {"mp3", "flac", "ogg", "oga", "opus",
                                                             "m4a", "mp4", "aac", "wav"};
  return kExts.count(ext) > 0;
}

std::string normalize_name(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : strings::trim(s)) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

ArtistId artist_id_for(std::string_view name) {
  return ArtistId(derived_base62_id("artist", normalize_name(name)));
}

Scanner::Scanner(store::Database& db, Catalog* catalog) : db_(db), catalog_(catalog) {}

// A scan's working set (every stored file with its tags, the walk, the derived rows: tens of
// MB for a large library) is freed when scan() returns, but glibc keeps freed pages in the
// scanning thread's arena, so each rescan left the process a little larger. Give them back.
void Scanner::release_scan_memory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

Result<ScanReport> Scanner::scan(const std::vector<std::string>& library_roots, bool full,
                                 const ProgressFn& progress) {
  std::unique_lock lock(scan_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return Error::conflict("a library scan is already running");
  auto report = scan_locked(library_roots, full, progress);
  release_scan_memory();  // after scan_locked's working set is gone
  return report;
}

Result<ScanReport> Scanner::scan_locked(const std::vector<std::string>& library_roots, bool full,
                                        const ProgressFn& progress) {
  const auto started = std::chrono::steady_clock::now();
  const int64_t scan_time = now_ms();
  try {
    if (!migrated_) {
      SEGUE_TRY(db_.migrate("catalog", catalog_migrations()));
      migrated_ = true;
    }
    std::vector<std::string> roots;
    for (const auto& r : library_roots) {
      std::error_code ec;
      fs::path canon = fs::canonical(r, ec);
      if (ec || !fs::is_directory(canon, ec))
        return Error::not_found("library folder " + strings::sanitize_utf8(r) +
                                " does not exist or is not a folder");
      roots.push_back(canon.string());
    }
    ScanReport report;
    WalkResult walk;
    Walker walker(roots, walk);
    for (const auto& r : roots) walker.walk_root(r);
    report.failed = std::move(walk.failed);
    report.files_seen = walk.files.size();

    std::vector<StoredFile> stored;
    std::vector<std::pair<AlbumId, int64_t>> album_added;
    SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(stored, load_stored_files(c));
      SEGUE_ASSIGN_OR_RETURN(album_added, load_album_added_at(c));
      return {};
    }));
    std::unordered_map<std::string, std::size_t> stored_by_path;
    for (std::size_t i = 0; i < stored.size(); ++i) stored_by_path[stored[i].file.path] = i;

    // Read tags of new and changed files.
    std::vector<Entry> entries;
    std::vector<bool> stored_kept(stored.size(), false);
    std::vector<std::size_t> fresh;  // entries at paths the database does not know
    const std::size_t total = walk.files.size();
    for (std::size_t n = 0; n < total; ++n) {
      Candidate& c = walk.files[n];
      auto known = stored_by_path.find(c.path);
      const StoredFile* old = known == stored_by_path.end() ? nullptr : &stored[known->second];
      Entry e;
      e.where = c;
      if (old && !full && old->file.size == c.size && old->file.mtime_ns == c.mtime_ns) {
        e.tags = old->tags;
        ++report.unchanged;
      } else {
        auto tags = read_tags(c.path);
        if (!tags.ok()) {
          report.failed.push_back({strings::sanitize_utf8(c.path), tags.error().message});
          if (progress) progress(n + 1, total);
          continue;  // a stored row for it is removed below
        }
        e.tags = std::move(tags).value();
        if (old && old->file.size == c.size && old->file.mtime_ns == c.mtime_ns &&
            tags_to_json(old->tags) == tags_to_json(e.tags)) {
          ++report.unchanged;
        } else {
          e.write = true;
          if (old) ++report.updated;
        }
      }
      if (old) {
        stored_kept[known->second] = true;
        e.track_id = old->file.track_id;
      } else {
        fresh.push_back(entries.size());
      }
      entries.push_back(std::move(e));
      if (progress) progress(n + 1, total);
    }

    // Stored files that vanished, unless their folder could not be listed this time.
    auto in_unreadable_dir = [&](const std::string& p) {
      for (const auto& d : walk.unreadable_dirs)
        if (p.size() > d.size() && p.compare(0, d.size(), d) == 0 && p[d.size()] == '/')
          return true;
      return false;
    };
    std::unordered_map<std::string, std::vector<std::size_t>> vanished_by_identity;
    std::vector<std::size_t> vanished;
    for (std::size_t i = 0; i < stored.size(); ++i) {
      if (stored_kept[i]) continue;
      if (in_unreadable_dir(stored[i].file.path)) {
        // Keep the row as it is: a folder we cannot list now is not a deleted folder.
        Entry e;
        e.where.path = stored[i].file.path;
        e.where.relative = stored[i].file.relative_path;
        e.where.dir = fs::path(e.where.path).parent_path().string();
        e.where.relative_dir = fs::path(e.where.relative).parent_path().string();
        e.where.size = stored[i].file.size;
        e.where.mtime_ns = stored[i].file.mtime_ns;
        e.tags = stored[i].tags;
        e.track_id = stored[i].file.track_id;
        entries.push_back(std::move(e));
        continue;
      }
      vanished.push_back(i);
      vanished_by_identity[move_identity(stored[i].tags, stored[i].file.size)].push_back(i);
    }
    std::vector<bool> vanished_moved(stored.size(), false);
    std::unordered_set<std::string> used_track_ids;
    for (const Entry& e : entries)
      if (!e.track_id.empty()) used_track_ids.insert(e.track_id.str());
    for (std::size_t i : fresh) {
      Entry& e = entries[i];
      e.write = true;
      auto it = vanished_by_identity.find(move_identity(e.tags, e.where.size));
      if (it != vanished_by_identity.end() && !it->second.empty()) {
        const std::size_t from = it->second.back();
        it->second.pop_back();
        vanished_moved[from] = true;
        e.track_id = stored[from].file.track_id;
        ++report.moved;
        continue;
      }
      std::string id = derived_base62_id("track", e.where.relative);
      if (used_track_ids.count(id)) id = derived_base62_id("track", e.where.path);
      e.track_id = TrackId(id);
      ++report.added;
    }
    for (Entry& e : entries) {
      used_track_ids.insert(e.track_id.str());
      e.file_id = FileId(derived_base62_id("file", e.track_id.str() + "/" + e.tags.codec));
    }
    // Rows to delete: vanished files that did not move, and stored rows whose file is still
    // there but no longer readable (or whose id changed with its codec).
    std::unordered_set<std::string> live_files;
    for (const Entry& e : entries) live_files.insert(e.file_id.str());
    std::vector<FileId> to_delete;
    for (std::size_t i = 0; i < stored.size(); ++i) {
      if (vanished_moved[i] || live_files.count(stored[i].file.id.str())) continue;
      to_delete.push_back(stored[i].file.id);
    }
    report.removed = to_delete.size();

    std::unordered_map<AlbumId, int64_t> added_at(album_added.begin(), album_added.end());
    Derived derived = derive(entries, walk.covers, added_at, scan_time);
    // Cover dimensions for the images arrays: reuse what the catalog knows about the same
    // source, and probe only new sources (so a rescan with nothing changed reads no pictures).
    {
      auto snap = catalog_ ? catalog_->snapshot() : nullptr;
      for (auto& [id, img] : derived.images) {
        const Image* known = snap ? snap->image(img.id) : nullptr;
        if (known && known->path == img.path && known->width > 0) {
          img.width = known->width;
          img.height = known->height;
        } else {
          probe_image_size(img);
        }
      }
    }

    // 1. Artists, images and albums first, so readers never see a track without its album.
    // Rows that already hold these values are not written (and not counted).
    SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
      auto count = [&](bool changed) { report.rows_written += changed ? 1 : 0; };
      for (const auto& [id, a] : derived.artists) {
        SEGUE_ASSIGN_OR_RETURN(bool w, upsert_artist(c, a));
        count(w);
      }
      for (const auto& [id, i] : derived.images) {
        SEGUE_ASSIGN_OR_RETURN(bool w, upsert_image(c, i));
        count(w);
      }
      for (const auto& [id, a] : derived.albums) {
        SEGUE_ASSIGN_OR_RETURN(bool w, upsert_album(c, a));
        count(w);
      }
      return {};
    }));
    // 2. Tracks and files in batches.
    std::vector<std::size_t> to_write;
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (entries[i].write) to_write.push_back(i);
    for (std::size_t start = 0; start < to_write.size(); start += kBatch) {
      const std::size_t end = std::min(to_write.size(), start + kBatch);
      SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
        for (std::size_t k = start; k < end; ++k) {
          const Entry& e = entries[to_write[k]];
          AudioFile f;
          f.id = e.file_id;
          f.track_id = e.track_id;
          f.path = e.where.path;
          f.relative_path = e.where.relative;
          f.size = e.where.size;
          f.mtime_ns = e.where.mtime_ns;
          f.codec = e.tags.codec;
          f.container = e.tags.container;
          f.mime_type = e.tags.mime_type;
          f.bitrate_kbps = e.tags.bitrate_kbps;
          f.sample_rate = e.tags.sample_rate;
          f.channels = e.tags.channels;
          f.lossless = e.tags.lossless;
          SEGUE_TRY(upsert_track(c, derived.tracks[to_write[k]]));
          SEGUE_TRY(upsert_file(c, f, e.tags));
          report.rows_written += 2;
        }
        return {};
      }));
    }
    // 3. Deletions, then orphans.
    for (std::size_t start = 0; start < to_delete.size(); start += kBatch) {
      const std::size_t end = std::min(to_delete.size(), start + kBatch);
      SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
        for (std::size_t k = start; k < end; ++k) SEGUE_TRY(delete_file(c, to_delete[k]));
        return {};
      }));
      report.rows_written += end - start;
    }
    SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(int64_t orphans, delete_orphans(c));
      report.rows_written += static_cast<std::size_t>(orphans);
      // Other nodes reload when they see the version move (Catalog::follow()).
      if (report.rows_written > 0) SEGUE_TRY(bump_catalog_version(c));
      return {};
    }));

    report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    log::info("library scan finished",
              {{"added", std::to_string(report.added)},
               {"updated", std::to_string(report.updated)},
               {"moved", std::to_string(report.moved)},
               {"removed", std::to_string(report.removed)},
               {"unchanged", std::to_string(report.unchanged)},
               {"failed", std::to_string(report.failed.size())},
               {"rows_written", std::to_string(report.rows_written)},
               {"ms", std::to_string(report.elapsed.count())}});
    // A scan that wrote nothing leaves the catalog as it is: no new snapshot, so nothing
    // downstream (search index, analysis, encode-ahead) rebuilds or re-diffs anything. The
    // first scan of a Scanner always publishes, so a server start behaves as before.
    if (catalog_ && (report.rows_written > 0 || !published_once_)) {
      SEGUE_TRY(catalog_->reload());
      published_once_ = true;
      report.catalog_reloaded = true;
    }
    return report;
  } catch (const std::exception& e) {
    return Error::internal(std::string("library scan failed: ") + e.what());
  }
}

}  // namespace segue::catalog
