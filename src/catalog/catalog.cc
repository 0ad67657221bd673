#include "catalog/catalog.h"

#include <algorithm>
#include <atomic>
#include <tuple>

#include "catalog/catalog_store.h"

namespace segue::catalog {

std::string_view album_group_name(AlbumGroup g) {
  switch (g) {
    case AlbumGroup::kAlbum: return "album";
    case AlbumGroup::kCompilation: return "compilation";
    case AlbumGroup::kAppearsOn: return "appears_on";
  }
  return "album";
}

namespace {
template <typename Map, typename Vec>
auto* find_in(const Map& map, const Vec& vec, const typename Map::key_type& id) {
  auto it = map.find(id);
  return it == map.end() ? nullptr : &vec[it->second];
}

bool newer_release(const Album* a, const Album* b) {
  if (a->release_date != b->release_date) return a->release_date > b->release_date;
  return a->name < b->name;
}
}  // namespace

const Track* Snapshot::track(const TrackId& id) const { return find_in(track_by_id_, tracks_, id); }
const Album* Snapshot::album(const AlbumId& id) const { return find_in(album_by_id_, albums_, id); }
const Artist* Snapshot::artist(const ArtistId& id) const {
  return find_in(artist_by_id_, artists_, id);
}
const AudioFile* Snapshot::file(const FileId& id) const { return find_in(file_by_id_, files_, id); }
const Image* Snapshot::image(const ImageId& id) const { return find_in(image_by_id_, images_, id); }

std::vector<const Track*> Snapshot::album_tracks(const AlbumId& id) const {
  std::vector<const Track*> out;
  auto it = tracks_by_album_.find(id);
  if (it == tracks_by_album_.end()) return out;
  for (std::size_t i : it->second) out.push_back(&tracks_[i]);
  return out;
}

std::vector<ArtistAlbum> Snapshot::artist_albums(const ArtistId& id) const {
  std::vector<ArtistAlbum> own, appears;
  std::unordered_map<AlbumId, bool> seen;
  if (auto it = albums_by_album_artist_.find(id); it != albums_by_album_artist_.end()) {
    for (std::size_t i : it->second) {
      const Album* a = &albums_[i];
      seen[a->id] = true;
      own.push_back({a, a->is_compilation ? AlbumGroup::kCompilation : AlbumGroup::kAlbum});
    }
  }
  if (auto it = tracks_by_artist_.find(id); it != tracks_by_artist_.end()) {
    for (std::size_t i : it->second) {
      const Album* a = album(tracks_[i].album_id);
      if (!a || seen[a->id]) continue;
      seen[a->id] = true;
      appears.push_back({a, AlbumGroup::kAppearsOn});
    }
  }
  auto by_date = [](const ArtistAlbum& x, const ArtistAlbum& y) {
    if (x.group != y.group) return x.group < y.group;
    return newer_release(x.album, y.album);
  };
  std::sort(own.begin(), own.end(), by_date);
  std::sort(appears.begin(), appears.end(), by_date);
  own.insert(own.end(), appears.begin(), appears.end());
  return own;
}

std::vector<const Album*> Snapshot::new_releases(std::size_t limit) const {
  std::vector<const Album*> out;
  for (std::size_t i = 0; i < albums_by_release_.size() && out.size() < limit; ++i)
    out.push_back(&albums_[albums_by_release_[i]]);
  return out;
}

std::vector<const Album*> Snapshot::recently_added(std::size_t limit) const {
  std::vector<const Album*> out;
  for (std::size_t i = 0; i < albums_by_added_.size() && out.size() < limit; ++i)
    out.push_back(&albums_[albums_by_added_[i]]);
  return out;
}

std::vector<const Track*> Snapshot::artist_tracks(const ArtistId& id) const {
  std::vector<const Track*> out;
  auto it = tracks_by_artist_.find(id);
  if (it == tracks_by_artist_.end()) return out;
  for (std::size_t i : it->second) out.push_back(&tracks_[i]);
  return out;
}

std::vector<const Track*> Snapshot::artist_top_tracks(const ArtistId& id, std::size_t n) const {
  std::vector<const Track*> out = artist_tracks(id);
  auto date_of = [&](const Track* t) {
    const Album* a = album(t->album_id);
    return a ? a->release_date : std::string();
  };
  std::stable_sort(out.begin(), out.end(), [&](const Track* a, const Track* b) {
    const std::string da = date_of(a), db = date_of(b);
    if (da != db) return da > db;
    if (a->album_id != b->album_id) return a->album_id < b->album_id;
    return std::tie(a->disc_number, a->track_number) < std::tie(b->disc_number, b->track_number);
  });
  if (out.size() > n) out.resize(n);
  return out;
}

std::vector<const AudioFile*> Snapshot::files_for_track(const TrackId& id) const {
  std::vector<const AudioFile*> out;
  const Track* t = track(id);
  if (!t) return out;
  for (const FileId& f : t->file_ids)
    if (const AudioFile* file = this->file(f)) out.push_back(file);
  return out;
}

Stats Snapshot::stats() const {
  return {artists_.size(), albums_.size(), tracks_.size(), files_.size(), images_.size()};
}

Catalog::Catalog(store::Database& db, bus::EventBus* events)
    : db_(db), events_(events), snapshot_(std::make_shared<Snapshot>()) {}

void Catalog::register_metrics(MetricsRegistry& metrics) const {
  metrics.gauge_fn("segue_catalog_tracks", "Tracks in the catalog", [this] { return static_cast<double>(stats().tracks); });
  metrics.gauge_fn("segue_catalog_albums", "Albums in the catalog", [this] { return static_cast<double>(stats().albums); });
  metrics.gauge_fn("segue_catalog_artists", "Artists in the catalog", [this] { return static_cast<double>(stats().artists); });
}

std::shared_ptr<const Snapshot> Catalog::snapshot() const { return std::atomic_load(&snapshot_); }

Result<bool> Catalog::follow() {
  if (loaded_version_.load() == 0) {  // never loaded (versions start at 1)
    SEGUE_TRY(reload());
    return true;
  }
  int64_t stored = 0;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(stored, load_catalog_version(c));
    return {};
  }));
  if (stored <= loaded_version_.load()) return false;
  SEGUE_TRY(reload());
  return true;
}

Status Catalog::reload() {
  std::lock_guard lock(reload_mu_);
  if (!migrated_) {
    SEGUE_TRY(db_.migrate("catalog", catalog_migrations()));
    migrated_ = true;
  }
  CatalogRows rows;
  int64_t version = 0;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(version, load_catalog_version(c));
    SEGUE_ASSIGN_OR_RETURN(rows, load_catalog_rows(c));
    return {};
  }));
  loaded_version_ = version;
  auto s = std::make_shared<Snapshot>();
  s->artists_ = std::move(rows.artists);
  s->albums_ = std::move(rows.albums);
  s->tracks_ = std::move(rows.tracks);
  s->files_ = std::move(rows.files);
  s->images_ = std::move(rows.images);
  for (std::size_t i = 0; i < s->artists_.size(); ++i) s->artist_by_id_[s->artists_[i].id] = i;
  for (std::size_t i = 0; i < s->albums_.size(); ++i) {
    s->album_by_id_[s->albums_[i].id] = i;
    for (const ArtistId& a : s->albums_[i].artist_ids) s->albums_by_album_artist_[a].push_back(i);
  }
  for (std::size_t i = 0; i < s->files_.size(); ++i) s->file_by_id_[s->files_[i].id] = i;
  for (std::size_t i = 0; i < s->images_.size(); ++i) s->image_by_id_[s->images_[i].id] = i;
  // Album order: disc, track number, title; artist_tracks reuses it album by album.
  std::vector<std::size_t> order(s->tracks_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto& tracks = s->tracks_;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Track& x = tracks[a];
    const Track& y = tracks[b];
    return std::tie(x.album_id, x.disc_number, x.track_number, x.title) <
           std::tie(y.album_id, y.disc_number, y.track_number, y.title);
  });
  for (std::size_t i = 0; i < s->tracks_.size(); ++i) s->track_by_id_[s->tracks_[i].id] = i;
  for (std::size_t i : order) {
    const Track& t = s->tracks_[i];
    s->tracks_by_album_[t.album_id].push_back(i);
    for (const ArtistId& a : t.artist_ids) {
      auto& v = s->tracks_by_artist_[a];
      if (v.empty() || v.back() != i) v.push_back(i);
    }
  }
  const auto& albums = s->albums_;
  s->albums_by_release_.resize(albums.size());
  for (std::size_t i = 0; i < albums.size(); ++i) s->albums_by_release_[i] = i;
  s->albums_by_added_ = s->albums_by_release_;
  std::sort(s->albums_by_release_.begin(), s->albums_by_release_.end(), [&](std::size_t a, std::size_t b) {
    if (albums[a].release_date != albums[b].release_date) return albums[a].release_date > albums[b].release_date;
    if (albums[a].added_at_ms != albums[b].added_at_ms) return albums[a].added_at_ms > albums[b].added_at_ms;
    return albums[a].name < albums[b].name;
  });
  std::sort(s->albums_by_added_.begin(), s->albums_by_added_.end(), [&](std::size_t a, std::size_t b) {
    if (albums[a].added_at_ms != albums[b].added_at_ms) return albums[a].added_at_ms > albums[b].added_at_ms;
    return newer_release(&albums[a], &albums[b]);
  });
  std::shared_ptr<const Snapshot> published(std::move(s));
  std::atomic_store(&snapshot_, published);
  // Announced under reload_mu_, so subscribers hear the generations in order.
  ++generation_;
  if (events_) events_->publish(bus::CatalogSnapshotPublished{generation_, published->stats().tracks});
  return {};
}

}  // namespace segue::catalog
