// The in-memory catalog: an immutable snapshot of every artist, album, track, file and image,
// loaded from the database and swapped atomically, so reads never touch the database.
//
// Threads: reload() blocks on the database; call it from a worker thread (the Scanner calls it
// after each scan). snapshot() and every Snapshot method are lock-free reads of immutable data
// and may run on network threads. Pointers returned by a Snapshot stay valid as long as the
// caller holds the shared_ptr to that snapshot.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bus/event_bus.h"
#include "catalog/model.h"
#include "common/metrics.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::catalog {

// How an album relates to an artist, as in the Spotify API's album_group.
enum class AlbumGroup { kAlbum, kCompilation, kAppearsOn };
std::string_view album_group_name(AlbumGroup g);  // "album", "compilation", "appears_on"

struct ArtistAlbum {
  const Album* album;
  AlbumGroup group;
};

struct Stats {
  std::size_t artists = 0;
  std::size_t albums = 0;
  std::size_t tracks = 0;
  std::size_t files = 0;
  std::size_t images = 0;
};

class Snapshot {
 public:
  // Lookups return nullptr for unknown ids.
  const Track* track(const TrackId& id) const;
  const Album* album(const AlbumId& id) const;
  const Artist* artist(const ArtistId& id) const;
  const AudioFile* file(const FileId& id) const;
  const Image* image(const ImageId& id) const;

  // The album's tracks sorted by disc, then track number, then title.
  std::vector<const Track*> album_tracks(const AlbumId& id) const;
  // Albums where the artist is an album artist ("album", or "compilation" for compilations),
  // then albums where the artist only appears on tracks ("appears_on"); each group newest
  // release first.
  std::vector<ArtistAlbum> artist_albums(const ArtistId& id) const;
  // The first `limit` albums by release date descending, then date added descending, then
  // name (precomputed when the snapshot is built).
  std::vector<const Album*> new_releases(std::size_t limit = SIZE_MAX) const;
  // The first `limit` albums by the time a scan first saw them, newest first, then release
  // date descending, then name.
  std::vector<const Album*> recently_added(std::size_t limit = SIZE_MAX) const;
  // The artist's tracks. There are no play counts yet, so popularity is neutral: tracks are
  // ordered by their album's release date (newest first), then disc and track number.
  std::vector<const Track*> artist_top_tracks(const ArtistId& id, std::size_t n) const;
  std::vector<const AudioFile*> files_for_track(const TrackId& id) const;
  std::vector<const Track*> artist_tracks(const ArtistId& id) const;  // album order

  const std::vector<Artist>& artists() const { return artists_; }
  const std::vector<Album>& albums() const { return albums_; }
  const std::vector<Track>& tracks() const { return tracks_; }
  const std::vector<AudioFile>& files() const { return files_; }
  const std::vector<Image>& images() const { return images_; }
  Stats stats() const;

 private:
  friend class Catalog;
  std::vector<Artist> artists_;
  std::vector<Album> albums_;
  std::vector<Track> tracks_;
  std::vector<AudioFile> files_;
  std::vector<Image> images_;
  std::unordered_map<ArtistId, std::size_t> artist_by_id_;
  std::unordered_map<AlbumId, std::size_t> album_by_id_;
  std::unordered_map<TrackId, std::size_t> track_by_id_;
  std::unordered_map<FileId, std::size_t> file_by_id_;
  std::unordered_map<ImageId, std::size_t> image_by_id_;
  std::unordered_map<AlbumId, std::vector<std::size_t>> tracks_by_album_;  // sorted
  std::unordered_map<ArtistId, std::vector<std::size_t>> tracks_by_artist_;
  std::unordered_map<ArtistId, std::vector<std::size_t>> albums_by_album_artist_;
  std::vector<std::size_t> albums_by_release_;  // indexes into albums_
  std::vector<std::size_t> albums_by_added_;
};

class Catalog {
 public:
  // Applies the catalog migrations lazily in reload(); `db` must outlive the Catalog. Each
  // published snapshot is announced on `events` (when given) as a CatalogSnapshotPublished, on
  // the thread that called reload(), after the snapshot is visible: how other modules (search,
  // analysis, transcoding) learn that the catalog changed without the catalog knowing them.
  explicit Catalog(store::Database& db, bus::EventBus* events = nullptr);

  // Brings the schema up to date (first call) and loads a consistent snapshot of the tables
  // in one read transaction, then publishes it. On error the previous snapshot stays.
  // Blocking; worker threads only. Concurrent calls are serialised.
  Status reload();

  // The nodes of a cluster share the catalog tables but only one scans (the leader): a scan
  // that wrote rows bumps the catalog's version in its last transaction, and every node reloads
  // when the stored version is newer than the one its snapshot was read with. Blocking (one
  // small read, and reload() when it moved); worker threads only. True if it reloaded.
  Result<bool> follow();
  // The version the current snapshot was read at (0 before the first reload).
  int64_t loaded_version() const { return loaded_version_.load(); }

  // The current snapshot (an empty one before the first reload). Any thread, never blocks on
  // I/O.
  std::shared_ptr<const Snapshot> snapshot() const;

  Stats stats() const { return snapshot()->stats(); }

  // segue_catalog_tracks, _albums, _artists (read from the snapshot when rendered).
  void register_metrics(MetricsRegistry& metrics) const;

  // Called with each newly published snapshot, on the thread that called reload() (after the
  // snapshot is visible): how other modules (search) learn that the catalog changed without
  // the catalog knowing them. A listener must be quick (hand the work to its own thread).
  using SnapshotListener = std::function<void(std::shared_ptr<const Snapshot>)>;
  void subscribe(SnapshotListener fn);

 private:
  store::Database& db_;
  std::mutex reload_mu_;
  bool migrated_ = false;
  std::shared_ptr<const Snapshot> snapshot_;  // accessed with std::atomic_load/store
  bus::EventBus* events_;
  uint64_t generation_ = 0;  // under reload_mu_
  std::atomic<int64_t> loaded_version_{0};
};

}  // namespace segue::catalog
