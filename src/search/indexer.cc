#include "search/indexer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/log.h"

namespace segue::search {

namespace {
constexpr std::size_t kBatch = 2000;  // documents per put()

int pop_of(const PopularityFn& fn, Kind kind, const std::string& id) {
  return fn ? fn(kind, id) : 50;
}

uint64_t snapshot_docs(const catalog::Snapshot& s) {
  return s.tracks().size() + s.albums().size() + s.artists().size();
}

template <typename T>
bool same_snapshot(const std::weak_ptr<T>& a, const std::shared_ptr<T>& b) {
  return !a.owner_before(b) && !b.owner_before(a);
}

bool is_playlist_key(const std::string& key) { return key.starts_with("playlist:"); }
}  // namespace

int Indexer::Stats::retry_after_seconds() const {
  if (docs_per_second <= 0) return 5;
  double s = std::ceil(static_cast<double>(pending) / docs_per_second);
  return static_cast<int>(std::clamp(s, 1.0, 30.0));
}

std::vector<Document> catalog_documents(const catalog::Snapshot& snap, const PopularityFn& popularity) {
  std::vector<Document> docs;
  docs.reserve(snap.tracks().size() + snap.albums().size() + snap.artists().size());
  auto names = [&](const std::vector<ArtistId>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids)
      if (const auto* a = snap.artist(id)) out.push_back(a->name);
    return out;
  };
  for (const auto& a : snap.artists()) {
    Document d;
    d.kind = Kind::kArtist;
    d.id = a.id.str();
    d.name = a.name;
    d.popularity = pop_of(popularity, d.kind, d.id);
    docs.push_back(std::move(d));
  }
  for (const auto& al : snap.albums()) {
    Document d;
    d.kind = Kind::kAlbum;
    d.id = al.id.str();
    d.name = al.name;
    d.artists = names(al.artist_ids);
    d.genres = al.genres;
    d.year = al.year.value_or(0);
    d.popularity = pop_of(popularity, d.kind, d.id);
    docs.push_back(std::move(d));
  }
  for (const auto& t : snap.tracks()) {
    Document d;
    d.kind = Kind::kTrack;
    d.id = t.id.str();
    d.name = t.title;
    d.artists = names(t.artist_ids);
    const auto* al = snap.album(t.album_id);
    if (al) {
      d.album = al->name;
      d.year = al->year.value_or(0);
    }
    d.genres = !t.genres.empty() ? t.genres : (al ? al->genres : std::vector<std::string>{});
    d.duration_ms = t.duration_ms;
    d.popularity = pop_of(popularity, d.kind, d.id);
    docs.push_back(std::move(d));
  }
  return docs;
}

Document playlist_document(const playlist::PlaylistService::Facts& f, const OwnerNameFn& owner_name) {
  Document d;
  d.kind = Kind::kPlaylist;
  d.id = f.info.id.str();
  d.name = f.info.name;
  d.description = f.info.description;
  if (owner_name) {
    std::string owner = owner_name(f.info.owner);
    if (!owner.empty()) d.artists.push_back(std::move(owner));
  }
  d.is_public = f.info.is_public;
  for (const auto& m : f.members) d.members.push_back(m.str());
  return d;
}

Indexer::Indexer(SearchIndex& index, catalog::Catalog& catalog, playlist::PlaylistService* playlists,
                 bus::EventBus& events)
    : index_(index), catalog_(catalog), playlists_(playlists), events_(events), batch_docs_(kBatch) {}

Indexer::~Indexer() {
  subscription_.reset();  // no announcement runs or arrives from here on
  {
    std::lock_guard l(inbox_->mu);
    inbox_->stop = true;
  }
  inbox_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Indexer::set_popularity(PopularityFn popularity, std::chrono::seconds refresh) {
  popularity_ = std::move(popularity);
  popularity_refresh_ = refresh;
}

void Indexer::set_throttle(std::size_t docs, std::chrono::milliseconds pause) {
  batch_docs_ = std::max<std::size_t>(1, docs);
  pause_ = pause;
}

void Indexer::start() {
  // What searches see now (the index as the last run left it).
  const uint64_t held = index_.size();
  {
    std::lock_guard l(inbox_->mu);
    if (inbox_->started) return;
    inbox_->started = true;
    inbox_->snapshot = catalog_.snapshot();
    inbox_->all_playlists = playlists_ != nullptr;
    ++inbox_->requested;
    inbox_->stats.indexed = held;
    inbox_->catalog_known = held;
    const uint64_t docs = snapshot_docs(*inbox_->snapshot);
    // A catalog much larger than the index: an initial build, from the start.
    if (docs > held && docs - held > held) {
      inbox_->stats.building = true;
      inbox_->build_since = std::chrono::steady_clock::now();
    }
  }
  // Announcements from the domain-event bus (inline: they only record and wake the thread).
  std::weak_ptr<Inbox> weak = inbox_;
  const bool with_playlists = playlists_ != nullptr;
  subscription_ = events_.subscribe("search-indexer", [weak, catalog = &catalog_, with_playlists](const bus::DomainEvent& e) {
    if (std::holds_alternative<bus::CatalogSnapshotPublished>(e)) {
      auto inbox = weak.lock();
      if (!inbox) return;
      auto snap = catalog->snapshot();  // at least the announced one
      {
        std::lock_guard l(inbox->mu);
        const uint64_t docs = snapshot_docs(*snap);
        const uint64_t est = docs > inbox->catalog_known ? docs - inbox->catalog_known : 0;
        if (est > inbox->stats.indexed && !inbox->stats.building) {
          inbox->stats.building = true;
          inbox->build_since = std::chrono::steady_clock::now();
        }
        inbox->snapshot = std::move(snap);
        ++inbox->requested;
      }
      inbox->cv.notify_all();
    } else if (const auto* d = std::get_if<bus::PlaylistDetailsChanged>(&e); d && with_playlists) {
      auto inbox = weak.lock();
      if (!inbox) return;
      {
        std::lock_guard l(inbox->mu);
        inbox->playlists.insert(d->playlist_id);
        ++inbox->requested;
      }
      inbox->cv.notify_all();
    }
  });
  thread_ = std::thread([this] { run(); });
}

void Indexer::register_metrics(MetricsRegistry& metrics) const {
  metrics.gauge_fn("segue_search_ready", "1 when the search index has caught up with the catalog (first sync done, no initial build running)",
                   [this] { return stats().ready ? 1.0 : 0.0; });
  metrics.gauge_fn("segue_search_building", "1 while an initial build runs (searches answer 503)",
                   [this] { return stats().building ? 1.0 : 0.0; });
  metrics.gauge_fn("segue_search_documents_indexed", "Documents (re)indexed since start",
                   [this] { return static_cast<double>(stats().put); });
  metrics.gauge_fn("segue_search_documents", "Documents searches see (as of the last commit)",
                   [this] { return static_cast<double>(stats().indexed); });
  metrics.gauge_fn("segue_search_documents_pending", "Documents the indexer has yet to write",
                   [this] { return static_cast<double>(stats().pending); });
  metrics.gauge_fn("segue_search_index_batches", "Search index commits since start",
                   [this] { return static_cast<double>(stats().batches); });
  metrics.gauge_fn("segue_search_last_batch_seconds", "How long the indexer's last batch took",
                   [this] { return static_cast<double>(stats().last_batch_ms) / 1000.0; });
  metrics.gauge_fn("segue_search_indexing_documents_per_second", "Write rate of the indexer's running (or last) batch",
                   [this] { return stats().docs_per_second; });
}

void Indexer::flush() {
  Inbox& in = *inbox_;
  std::unique_lock l(in.mu);
  if (!in.started) return;
  uint64_t target = ++in.requested;
  in.cv.notify_all();
  in.cv.wait(l, [&] { return in.done >= target || in.stop; });
}

Indexer::Stats Indexer::stats() const {
  auto current = catalog_.snapshot();
  std::lock_guard l(inbox_->mu);
  const Inbox& in = *inbox_;
  Stats s = in.stats;
  uint64_t queued = 0;
  // A snapshot the thread has not taken yet (or not even been told about: the catalog
  // publishes before it announces): its new documents are pending.
  if (current && in.started && !same_snapshot(in.applying, current) && !same_snapshot(in.applied, current)) {
    const uint64_t docs = snapshot_docs(*current);
    queued = docs > in.catalog_known ? docs - in.catalog_known : 0;
  }
  // The snapshot being diffed: its new documents, until the diff gives the exact count.
  if (in.diffing)
    if (auto a = in.applying.lock()) {
      const uint64_t docs = snapshot_docs(*a);
      queued += docs > in.catalog_known ? docs - in.catalog_known : 0;
    }
  s.pending = (in.batch_total - std::min(in.batch_done, in.batch_total)) + queued;
  if (queued > s.indexed) s.building = true;
  s.ready = s.synced && !s.building;
  return s;
}

bool Indexer::pause() {
  if (pause_.count() <= 0) return true;
  std::unique_lock l(inbox_->mu);
  return !inbox_->cv.wait_for(l, pause_, [&] { return inbox_->stop; });
}

void Indexer::run() {
  Inbox& in = *inbox_;
  for (;;) {
    std::shared_ptr<const catalog::Snapshot> snap;
    bool all = false;
    std::set<PlaylistId> ids;
    uint64_t target = 0;
    {
      std::unique_lock l(in.mu);
      auto woken = [&] { return in.stop || in.requested > in.done; };
      if (popularity_ && popularity_refresh_.count() > 0) {
        // Nothing announced for a while: play counts still move, so compare against the
        // current snapshot (unchanged documents are skipped by their signatures).
        if (!in.cv.wait_for(l, popularity_refresh_, woken)) {
          in.snapshot = catalog_.snapshot();
          ++in.requested;
        }
      } else {
        in.cv.wait(l, woken);
      }
      if (in.stop) return;
      snap = std::move(in.snapshot);
      in.snapshot.reset();
      in.applying = snap;
      in.diffing = true;
      all = in.all_playlists;
      in.all_playlists = false;
      ids.swap(in.playlists);
      target = in.requested;
    }
    const bool with_snapshot = snap != nullptr;
    const uint64_t batches_before = stats().batches;
    auto t0 = std::chrono::steady_clock::now();
    Status s = apply(std::move(snap), all, std::move(ids));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard l(in.mu);
      if (in.stop) return;
    }
    if (!s.ok()) {
      log::error("search indexing failed", {{"reason", s.error().message}});
      loaded_ = false;  // re-read what the index holds before the next batch
    }
    int64_t build_ms = -1;
    {
      std::lock_guard l(in.mu);
      in.done = target;
      if (in.stats.batches != batches_before) in.stats.last_batch_ms = ms;  // it wrote something
      in.batch_total = in.batch_done = 0;
      in.diffing = false;
      if (s.ok()) {
        if (with_snapshot) in.applied = in.applying;
        in.stats.synced = true;
      }
      in.applying.reset();
      // The build is over once no large batch waits (a snapshot announced meanwhile is taken
      // at the next turn; it keeps the build going only if it is large itself).
      if (in.stats.building && s.ok()) {
        uint64_t queued = 0;
        if (in.snapshot) {
          const uint64_t docs = snapshot_docs(*in.snapshot);
          queued = docs > in.catalog_known ? docs - in.catalog_known : 0;
        }
        if (queued <= kBatch) {
          in.stats.building = false;
          build_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - in.build_since).count();
        }
      }
    }
    if (build_ms >= 0) log::info("search index built", {{"documents", std::to_string(stats().indexed)}, {"ms", std::to_string(build_ms)}});
    in.cv.notify_all();
  }
}

Status Indexer::apply(std::shared_ptr<const catalog::Snapshot> snap, bool all_playlists,
                      std::set<PlaylistId> playlist_ids) {
  Inbox& in = *inbox_;
  auto count_catalog = [&] {
    uint64_t n = 0;
    for (const auto& [key, sig] : indexed_)
      if (!is_playlist_key(key)) ++n;
    return n;
  };
  if (!loaded_) {
    SEGUE_ASSIGN_OR_RETURN(indexed_, index_.signatures());
    loaded_ = true;
    const uint64_t known = count_catalog();
    std::lock_guard l(in.mu);
    in.catalog_known = known;
  }
  // First what to write (the diff against the signatures), so that progress has a total.
  std::vector<Document> todo;
  std::vector<std::pair<Kind, std::string>> gone;
  if (snap) {
    std::unordered_map<std::string, bool> seen;
    seen.reserve(snap->tracks().size() + snap->albums().size() + snap->artists().size());
    for (auto& d : catalog_documents(*snap, popularity_)) {
      std::string key = doc_key(d.kind, d.id);
      seen.emplace(key, true);
      auto it = indexed_.find(key);
      if (it != indexed_.end() && it->second == d.signature()) continue;
      todo.push_back(std::move(d));
    }
    for (const auto& [key, sig] : indexed_) {
      if (is_playlist_key(key) || seen.count(key)) continue;
      auto colon = key.find(':');
      Kind kind;
      if (parse_kind(std::string_view(key).substr(0, colon), &kind)) gone.emplace_back(kind, key.substr(colon + 1));
    }
  }
  if (playlists_) {
    if (all_playlists) {
      SEGUE_ASSIGN_OR_RETURN(auto every, playlists_->all_ids());
      std::set<PlaylistId> live(every.begin(), every.end());
      for (const auto& [key, sig] : indexed_)
        if (is_playlist_key(key) && !live.count(PlaylistId(key.substr(9))))
          gone.emplace_back(Kind::kPlaylist, key.substr(9));
      playlist_ids.insert(every.begin(), every.end());
    }
    for (const auto& id : playlist_ids) {
      SEGUE_ASSIGN_OR_RETURN(auto facts, playlists_->facts(id));
      if (!facts) {
        if (indexed_.count(doc_key(Kind::kPlaylist, id.str()))) gone.emplace_back(Kind::kPlaylist, id.str());
        continue;
      }
      Document d = playlist_document(*facts, owner_name_);
      auto it = indexed_.find(doc_key(d.kind, d.id));
      if (it != indexed_.end() && it->second == d.signature()) continue;
      todo.push_back(std::move(d));
    }
  }
  {
    std::lock_guard l(in.mu);
    in.batch_total = todo.size();
    in.batch_done = 0;
    in.diffing = false;
    in.batch_start = std::chrono::steady_clock::now();
    // More to write than the index holds: an initial build (searches wait for it).
    if (todo.size() > in.stats.indexed && !in.stats.building) {
      in.stats.building = true;
      in.build_since = in.batch_start;
    }
  }

  uint64_t put = 0, removed = 0;
  std::vector<Document> batch;
  for (std::size_t at = 0; at < todo.size(); at += batch_docs_) {
    if (!pause()) return Error::internal("search: the indexer is stopping");
    const std::size_t end = std::min(todo.size(), at + batch_docs_);
    batch.assign(std::make_move_iterator(todo.begin() + static_cast<std::ptrdiff_t>(at)),
                 std::make_move_iterator(todo.begin() + static_cast<std::ptrdiff_t>(end)));
    SEGUE_TRY(index_.put(batch));
    uint64_t added_catalog = 0;
    for (const auto& d : batch) {
      auto [it, fresh] = indexed_.insert_or_assign(doc_key(d.kind, d.id), d.signature());
      if (fresh && d.kind != Kind::kPlaylist) ++added_catalog;
    }
    put += batch.size();
    std::lock_guard l(in.mu);
    in.batch_done += batch.size();
    in.stats.put += batch.size();
    in.catalog_known += added_catalog;
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - in.batch_start).count();
    if (secs > 0) in.stats.docs_per_second = static_cast<double>(in.batch_done) / secs;
  }
  batch.clear();
  todo.clear();

  if (!gone.empty()) {
    SEGUE_TRY(index_.remove(gone));
    for (const auto& [kind, id] : gone) indexed_.erase(doc_key(kind, id));
    removed = gone.size();
  }
  if (put || removed) {
    SEGUE_TRY(index_.commit());
    const uint64_t known = count_catalog();
    std::lock_guard l(in.mu);
    ++in.stats.batches;
    in.stats.removed += removed;
    in.stats.indexed = indexed_.size();
    in.catalog_known = known;
  }
  return {};
}

}  // namespace segue::search
