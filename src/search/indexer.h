// Keeps a SearchIndex in step with the catalog and the playlists, through their domain events
// (bus::CatalogSnapshotPublished, bus::PlaylistDetailsChanged) rather than calls from them:
// the catalog and the playlist service do not know search exists. It reads a changed
// playlist's facts from the service on its own thread.
//
// One thread of its own does the work: it diffs each new catalog snapshot against the
// signatures of what is indexed (so a rescan that changed ten files re-indexes ten
// documents, and a restart re-indexes only what changed while the server was down), indexes
// the playlists it was told about, and commits once per batch. Announcements that arrive
// while a batch runs are coalesced into the next one.
//
// Progress and readiness (stats()): an initial build is a batch with more documents to write
// than the index holds (a first start on a scanned library, a first scan, a wiped index); while
// it runs, searches would answer from an index that misses most of the catalog, so the API
// answers 503 instead. Any other batch (a rescan, a playlist edit, popularity) writes while
// searches keep answering from the last commit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bus/event_bus.h"
#include "catalog/catalog.h"
#include "common/metrics.h"
#include "playlist/service.h"
#include "search/document.h"
#include "search/index.h"

namespace segue::search {

// The documents for every track, album and artist of a snapshot. `popularity` (0-100) may be
// null: every document then gets the neutral 50.
using PopularityFn = std::function<int(Kind kind, const std::string& id)>;
std::vector<Document> catalog_documents(const catalog::Snapshot& snap, const PopularityFn& popularity = nullptr);
// A playlist's owner's display name (empty if unknown); the search module does not read users.
using OwnerNameFn = std::function<std::string(const UserId& owner)>;
// Name, description and owner's display name (when `owner_name` is given) are searchable.
Document playlist_document(const playlist::PlaylistService::Facts& facts, const OwnerNameFn& owner_name = nullptr);

class Indexer {
 public:
  // `playlists` may be null (no playlists indexed). Nothing happens before start().
  // Subscribes to `events` in start() (inline delivery: it records the announcement and wakes
  // its thread).
  Indexer(SearchIndex& index, catalog::Catalog& catalog, playlist::PlaylistService* playlists, bus::EventBus& events);
  ~Indexer();  // stops and joins the thread (finishing the batch it is in)

  // Where documents' popularity (0-100) comes from (the event pipeline's play counts), and how
  // often the index is brought in line with it when nothing else changes: only documents whose
  // popularity moved are written. Call before start(); without it popularity is a neutral 50.
  void set_popularity(PopularityFn popularity, std::chrono::seconds refresh);
  // Where playlists' owners' display names come from (searchable); call before start().
  void set_owner_names(OwnerNameFn owner_name) { owner_name_ = std::move(owner_name); }

  // Subscribes to the announcements and starts the thread, which first brings the index in
  // line with the current snapshot and every playlist.
  void start();
  // Blocks until everything announced before the call is indexed and committed.
  void flush();

  // Test knob (SEGUE_TEST_INDEX_DELAY_MS, docs/search.md): write at most `docs` documents per
  // put() and pause `pause` before each, so that tests can watch an initial build. Call before
  // start().
  void set_throttle(std::size_t docs, std::chrono::milliseconds pause);

  struct Stats {
    uint64_t batches = 0;       // commits
    uint64_t put = 0;           // documents added or replaced since start (counted as written)
    uint64_t removed = 0;
    bool synced = false;        // the first full sync since start is done
    bool building = false;      // an initial build runs: searches answer 503 (see above)
    bool ready = false;         // synced and not building: searches see the catalog
    uint64_t indexed = 0;       // documents searches see (as of the last commit)
    uint64_t pending = 0;       // documents still to write (an estimate until a batch is diffed)
    int64_t last_batch_ms = 0;  // how long the last batch that wrote something took
    double docs_per_second = 0; // write rate of the running batch (or of the last one)
    // When a search refused during a build should be retried: the time the pending documents
    // take at the current rate, 1 to 30 s (5 s before any rate is known).
    int retry_after_seconds() const;
  };
  // Cheap (a mutex and an atomic load): callable from network threads.
  Stats stats() const;
  // segue_search_* gauges of stats() (docs/search.md, "Readiness").
  void register_metrics(MetricsRegistry& metrics) const;

 private:
  void run();
  bool pause();  // the throttle's pause; false when stopping
  Status apply(std::shared_ptr<const catalog::Snapshot> snap, bool all_playlists,
               std::set<PlaylistId> playlist_ids);

  SearchIndex& index_;
  catalog::Catalog& catalog_;
  PopularityFn popularity_;
  OwnerNameFn owner_name_;
  std::chrono::seconds popularity_refresh_{0};
  playlist::PlaylistService* playlists_;
  bus::EventBus& events_;
  bus::Subscription subscription_;
  std::thread thread_;
  // What the announcements left for the thread. Shared with the listeners, which hold it
  // weakly: an announcement after the Indexer is gone finds nothing and does nothing.
  struct Inbox {
    std::mutex mu;
    std::condition_variable cv;
    std::shared_ptr<const catalog::Snapshot> snapshot;
    bool all_playlists = false;
    std::set<PlaylistId> playlists;
    uint64_t requested = 0;  // bumped by every announcement and flush
    uint64_t done = 0;
    bool stop = false;
    bool started = false;
    Stats stats;
    // Progress of the running batch: documents it has to write, and written so far.
    uint64_t batch_total = 0, batch_done = 0;
    bool diffing = false;  // the running batch has not finished its diff yet (no total)
    std::chrono::steady_clock::time_point batch_start;
    std::chrono::steady_clock::time_point build_since;  // when the running initial build began
    // Catalog documents the index holds or is writing (the pending estimate of a snapshot not
    // yet diffed is its document count minus this).
    uint64_t catalog_known = 0;
    // The snapshots being applied and last applied (identity only: a rescan's new snapshot
    // is not one of them, so it counts as pending until the thread takes it).
    std::weak_ptr<const catalog::Snapshot> applying, applied;
  };
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
  // doc_key -> signature of what the index holds (loaded at the first batch).
  std::unordered_map<std::string, uint64_t> indexed_;
  bool loaded_ = false;
  std::size_t batch_docs_;
  std::chrono::milliseconds pause_{0};
};

}  // namespace segue::search
