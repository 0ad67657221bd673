#include "search/indexer.h"

#include <chrono>

#include "common/log.h"

namespace segue::search {

namespace {
constexpr std::size_t kBatch = 2000;  // documents per put()

int pop_of(const PopularityFn& fn, Kind kind, const std::string& id) {
  return fn ? fn(kind, id) : 50;
}
}  // namespace

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

Document playlist_document(const playlist::PlaylistService::Facts& f) {
  Document d;
  d.kind = Kind::kPlaylist;
  d.id = f.info.id;
  d.name = f.info.name;
  d.is_public = f.info.is_public;
  for (const auto& m : f.members) d.members.push_back(m.str());
  return d;
}

Indexer::Indexer(SearchIndex& index, catalog::Catalog& catalog, playlist::PlaylistService* playlists)
    : index_(index), catalog_(catalog), playlists_(playlists) {}

Indexer::~Indexer() {
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

void Indexer::start() {
  {
    std::lock_guard l(inbox_->mu);
    if (inbox_->started) return;
    inbox_->started = true;
    inbox_->snapshot = catalog_.snapshot();
    inbox_->all_playlists = playlists_ != nullptr;
    ++inbox_->requested;
  }
  std::weak_ptr<Inbox> weak = inbox_;
  catalog_.subscribe([weak](std::shared_ptr<const catalog::Snapshot> snap) {
    auto inbox = weak.lock();
    if (!inbox) return;
    {
      std::lock_guard l(inbox->mu);
      inbox->snapshot = std::move(snap);
      ++inbox->requested;
    }
    inbox->cv.notify_all();
  });
  if (playlists_) {
    playlists_->add_details_listener([weak](const std::string& id) {
      auto inbox = weak.lock();
      if (!inbox) return;
      {
        std::lock_guard l(inbox->mu);
        inbox->playlists.insert(id);
        ++inbox->requested;
      }
      inbox->cv.notify_all();
    });
  }
  thread_ = std::thread([this] { run(); });
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
  std::lock_guard l(inbox_->mu);
  return inbox_->stats;
}

void Indexer::run() {
  Inbox& in = *inbox_;
  for (;;) {
    std::shared_ptr<const catalog::Snapshot> snap;
    bool all = false;
    std::set<std::string> ids;
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
      all = in.all_playlists;
      in.all_playlists = false;
      ids.swap(in.playlists);
      target = in.requested;
    }
    auto t0 = std::chrono::steady_clock::now();
    Status s = apply(std::move(snap), all, std::move(ids));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    if (!s.ok()) {
      log::error("search indexing failed", {{"reason", s.error().message}});
      loaded_ = false;  // re-read what the index holds before the next batch
    }
    {
      std::lock_guard l(in.mu);
      in.done = target;
      in.stats.last_batch_ms = ms;
      if (s.ok()) in.stats.ready = true;
    }
    in.cv.notify_all();
  }
}

Status Indexer::apply(std::shared_ptr<const catalog::Snapshot> snap, bool all_playlists,
                      std::set<std::string> playlist_ids) {
  if (!loaded_) {
    SEGUE_ASSIGN_OR_RETURN(indexed_, index_.signatures());
    loaded_ = true;
  }
  uint64_t put = 0, removed = 0;
  std::vector<Document> batch;
  auto flush_batch = [&]() -> Status {
    if (batch.empty()) return {};
    SEGUE_TRY(index_.put(batch));
    for (const auto& d : batch) indexed_[doc_key(d.kind, d.id)] = d.signature();
    put += batch.size();
    batch.clear();
    return {};
  };
  std::vector<std::pair<Kind, std::string>> gone;

  if (snap) {
    std::unordered_map<std::string, bool> seen;
    seen.reserve(snap->tracks().size() + snap->albums().size() + snap->artists().size());
    for (auto& d : catalog_documents(*snap, popularity_)) {
      std::string key = doc_key(d.kind, d.id);
      seen.emplace(key, true);
      auto it = indexed_.find(key);
      if (it != indexed_.end() && it->second == d.signature()) continue;
      batch.push_back(std::move(d));
      if (batch.size() >= kBatch) SEGUE_TRY(flush_batch());
    }
    SEGUE_TRY(flush_batch());
    for (const auto& [key, sig] : indexed_) {
      if (key.starts_with("playlist:") || seen.count(key)) continue;
      auto colon = key.find(':');
      Kind kind;
      if (parse_kind(std::string_view(key).substr(0, colon), &kind)) gone.emplace_back(kind, key.substr(colon + 1));
    }
  }

  if (playlists_) {
    if (all_playlists) {
      SEGUE_ASSIGN_OR_RETURN(auto every, playlists_->all_ids());
      std::set<std::string> live(every.begin(), every.end());
      for (const auto& [key, sig] : indexed_)
        if (key.starts_with("playlist:") && !live.count(key.substr(9))) gone.emplace_back(Kind::kPlaylist, key.substr(9));
      playlist_ids.insert(every.begin(), every.end());
    }
    for (const auto& id : playlist_ids) {
      SEGUE_ASSIGN_OR_RETURN(auto facts, playlists_->facts(id));
      if (!facts) {
        if (indexed_.count(doc_key(Kind::kPlaylist, id))) gone.emplace_back(Kind::kPlaylist, id);
        continue;
      }
      Document d = playlist_document(*facts);
      auto it = indexed_.find(doc_key(d.kind, d.id));
      if (it != indexed_.end() && it->second == d.signature()) continue;
      batch.push_back(std::move(d));
      if (batch.size() >= kBatch) SEGUE_TRY(flush_batch());
    }
    SEGUE_TRY(flush_batch());
  }

  if (!gone.empty()) {
    SEGUE_TRY(index_.remove(gone));
    for (const auto& [kind, id] : gone) indexed_.erase(doc_key(kind, id));
    removed = gone.size();
  }
  if (put || removed) {
    SEGUE_TRY(index_.commit());
    std::lock_guard l(inbox_->mu);
    ++inbox_->stats.batches;
    inbox_->stats.put += put;
    inbox_->stats.removed += removed;
  }
  return {};
}

}  // namespace segue::search
