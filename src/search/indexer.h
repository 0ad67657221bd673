// Keeps a SearchIndex in step with the catalog and the playlists, through their change
// announcements (Catalog::subscribe, PlaylistService::add_details_listener) rather than calls
// from them: the catalog and the playlist service do not know search exists.
//
// One thread of its own does the work: it diffs each new catalog snapshot against the
// signatures of what is indexed (so a rescan that changed ten files re-indexes ten
// documents, and a restart re-indexes only what changed while the server was down), indexes
// the playlists it was told about, and commits once per batch. Announcements that arrive
// while a batch runs are coalesced into the next one.
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

#include "catalog/catalog.h"
#include "playlist/service.h"
#include "search/document.h"
#include "search/index.h"

namespace segue::search {

// The documents for every track, album and artist of a snapshot. `popularity` (0-100) may be
// null: every document then gets the neutral 50.
using PopularityFn = std::function<int(Kind kind, const std::string& id)>;
std::vector<Document> catalog_documents(const catalog::Snapshot& snap, const PopularityFn& popularity = nullptr);
Document playlist_document(const playlist::PlaylistService::Facts& facts);

class Indexer {
 public:
  // `playlists` may be null (no playlists indexed). Nothing happens before start().
  Indexer(SearchIndex& index, catalog::Catalog& catalog, playlist::PlaylistService* playlists);
  ~Indexer();  // stops and joins the thread (finishing the batch it is in)

  // Where documents' popularity (0-100) comes from (the event pipeline's play counts), and how
  // often the index is brought in line with it when nothing else changes: only documents whose
  // popularity moved are written. Call before start(); without it popularity is a neutral 50.
  void set_popularity(PopularityFn popularity, std::chrono::seconds refresh);

  // Subscribes to the announcements and starts the thread, which first brings the index in
  // line with the current snapshot and every playlist.
  void start();
  // Blocks until everything announced before the call is indexed and committed.
  void flush();

  struct Stats {
    uint64_t batches = 0;       // commits
    uint64_t put = 0;           // documents added or replaced
    uint64_t removed = 0;
    bool ready = false;         // the first full sync is done
    int64_t last_batch_ms = 0;  // how long the last batch took
  };
  Stats stats() const;

 private:
  void run();
  Status apply(std::shared_ptr<const catalog::Snapshot> snap, bool all_playlists,
               std::set<std::string> playlist_ids);

  SearchIndex& index_;
  catalog::Catalog& catalog_;
  PopularityFn popularity_;
  std::chrono::seconds popularity_refresh_{0};
  playlist::PlaylistService* playlists_;
  std::thread thread_;
  // What the announcements left for the thread. Shared with the listeners, which hold it
  // weakly: an announcement after the Indexer is gone finds nothing and does nothing.
  struct Inbox {
    std::mutex mu;
    std::condition_variable cv;
    std::shared_ptr<const catalog::Snapshot> snapshot;
    bool all_playlists = false;
    std::set<std::string> playlists;
    uint64_t requested = 0;  // bumped by every announcement and flush
    uint64_t done = 0;
    bool stop = false;
    bool started = false;
    Stats stats;
  };
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
  // doc_key -> signature of what the index holds (loaded at the first batch).
  std::unordered_map<std::string, uint64_t> indexed_;
  bool loaded_ = false;
};

}  // namespace segue::search
