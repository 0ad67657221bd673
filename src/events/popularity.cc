#include "events/popularity.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "events/multi_row.h"

namespace segue::events {
namespace {

const MultiRow& upsert() {
  static const MultiRow m(
      "INSERT INTO event_item_stats (kind, id, plays, score, last_played)", 5,
      "ON CONFLICT (kind, id) DO UPDATE SET plays = event_item_stats.plays + excluded.plays, "
      "score = event_item_stats.score + excluded.score, last_played = CASE WHEN excluded.last_played > "
      "event_item_stats.last_played THEN excluded.last_played ELSE event_item_stats.last_played END");
  return m;
}
const MultiRow& insert_artist_track() {
  static const MultiRow m("INSERT INTO event_artist_tracks (artist_id, track_id)", 2,
                          "ON CONFLICT (artist_id, track_id) DO NOTHING");
  return m;
}

const MultiRow& upsert_window() {
  static const MultiRow m("INSERT INTO event_play_window (day, user_id, track_id, plays)", 4,
                          "ON CONFLICT (day, user_id, track_id) DO UPDATE SET plays = excluded.plays");
  return m;
}

// Windows of days before the newest seen minus this are deleted: plays arrive on the server's
// clock, so a window is needed only while its day lasts (two days' slack for clock steps).
constexpr int64_t kWindowDaysKept = 2;

}  // namespace

SharedPlayTime shared_play_time(const Event& e) {
  const int64_t arrival = e.received_ms > 0 ? e.received_ms : e.timestamp_ms;
  const int64_t at = std::min(e.timestamp_ms, arrival);
  // Floor division: days before 1970 cannot occur (timestamps are after 2000), but stay exact.
  const int64_t day = arrival >= 0 ? arrival / kDayMs : -((-arrival + kDayMs - 1) / kDayMs);
  return {day, at};
}

std::vector<CountedItem> counted_items(const Event& e, const TrackLookup& lookup) {
  std::vector<CountedItem> out;
  if (e.private_session || !counts_as_play(e)) return out;
  const TrackId& track = e.playback()->track;
  out.push_back({ItemKind::kTrack, track.str()});
  if (!lookup) return out;
  auto info = lookup(track);
  if (!info) return out;
  if (!info->album.empty()) out.push_back({ItemKind::kAlbum, info->album.str()});
  for (std::size_t i = 0; i < info->artists.size(); ++i) {
    const auto& a = info->artists[i];
    if (a.empty() || std::find(info->artists.begin(), info->artists.begin() + i, a) != info->artists.begin() + i) continue;
    out.push_back({ItemKind::kArtist, a.str()});
  }
  return out;
}

PopularityConsumer::PopularityConsumer(TrackLookup lookup) : lookup_(std::move(lookup)) {}

void PopularityConsumer::merge(Table (&into)[3], ItemKind kind, const std::string& id, const ItemStats& delta) {
  ItemStats& s = into[static_cast<int>(kind)][id];
  s.plays += delta.plays;
  s.score += delta.score;
  s.last_played_ms = std::max(s.last_played_ms, delta.last_played_ms);
}

Status PopularityConsumer::load(store::Connection& c) {
  Table items[3];
  std::unordered_map<std::string, std::unordered_set<std::string>> artist_tracks;
  SEGUE_TRY(c.query("SELECT kind, id, plays, score, last_played FROM event_item_stats", {},
                    [&](const store::Row& r) {
                      int k = static_cast<int>(r.i64(0));
                      if (k < 0 || k > 2) return;
                      items[k][r.text(1)] = ItemStats{r.i64(2), r.f64(3), r.i64(4)};
                    }));
  SEGUE_TRY(c.query("SELECT artist_id, track_id FROM event_artist_tracks", {},
                    [&](const store::Row& r) { artist_tracks[r.text(0)].insert(r.text(1)); }));
  std::unique_lock l(mu_);
  for (int k = 0; k < 3; ++k) {
    items_[k] = std::move(items[k]);
    max_score_[k] = 0;
    for (const auto& [id, s] : items_[k]) max_score_[k] = std::max(max_score_[k], s.score);
  }
  artist_tracks_ = std::move(artist_tracks);
  // Day windows are read again when a batch needs them: another process (a cluster's node) may
  // have counted plays in them since this one cached them.
  windows_.clear();
  return {};
}

Status PopularityConsumer::load_day(store::Connection& c, int64_t day) {
  DayWindows loaded;
  SEGUE_TRY(c.query("SELECT user_id, track_id, plays FROM event_play_window WHERE day = ?", {day},
                    [&](const store::Row& r) { loaded[r.text(0) + '\0' + r.text(1)] = r.i64(2); }));
  windows_[day] = std::move(loaded);  // rows the database holds: valid whatever this batch does
  return {};
}

Status PopularityConsumer::apply(store::Connection& c, std::span<const Event> events) {
  Table delta[3];
  std::vector<std::pair<std::string, std::string>> new_pairs;
  // The windows this batch touched: counted plays before the batch and now.
  std::map<WindowKey, std::pair<int64_t, int64_t>> windows;
  int64_t newest_day = INT64_MIN;
  {
    std::shared_lock l(mu_);  // guards artist_tracks_ (written by on_commit, this thread)
    for (const Event& e : events) {
      auto items = counted_items(e, lookup_);
      if (items.empty()) continue;
      const SharedPlayTime when = shared_play_time(e);
      newest_day = std::max(newest_day, when.day);
      auto [w, fresh] = windows.try_emplace(WindowKey{when.day, e.user.str(), items.front().id}, 0, 0);
      if (fresh) {
        if (!windows_.count(when.day)) SEGUE_TRY(load_day(c, when.day));
        const DayWindows& day = windows_[when.day];
        auto found = day.find(e.user.str() + '\0' + items.front().id);
        const int64_t n = found == day.end() ? 0 : found->second;
        w->second = {n, n};
      }
      if (w->second.second >= kMaxSharedPlaysPerUserTrackDay) continue;
      ++w->second.second;
      const ItemStats one{1, play_weight(when.at_ms, kPopularityHalfLifeMs), when.at_ms};
      for (const auto& item : items) {
        merge(delta, item.kind, item.id, one);
        if (item.kind != ItemKind::kArtist) continue;
        const std::string& track = items.front().id;
        auto it = artist_tracks_.find(item.id);
        if (it != artist_tracks_.end() && it->second.count(track)) continue;
        new_pairs.emplace_back(item.id, track);
      }
    }
  }
  {
    std::vector<store::Value> rows;  // in key order (the map's)
    for (const auto& [k, n] : windows) {
      if (n.first == n.second) continue;
      rows.emplace_back(std::get<0>(k));
      rows.emplace_back(std::get<1>(k));
      rows.emplace_back(std::get<2>(k));
      rows.emplace_back(n.second);
      pending_windows_[k] = n.second;
    }
    if (!rows.empty()) SEGUE_TRY(upsert_window().run(c, std::move(rows)));
  }
  pending_newest_day_ = std::max(pending_newest_day_, newest_day);
  if (newest_day != INT64_MIN)
    SEGUE_TRY(c.exec("DELETE FROM event_play_window WHERE day < ?", {newest_day - kWindowDaysKept}));
  {
    // In key order (kind, id): neighbouring rows share pages.
    std::vector<store::Value> rows;
    for (int k = 0; k < 3; ++k) {
      std::vector<const std::pair<const std::string, ItemStats>*> sorted;
      sorted.reserve(delta[k].size());
      for (const auto& kv : delta[k]) sorted.push_back(&kv);
      std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
      for (const auto* kv : sorted) {
        rows.emplace_back(int64_t{k});
        rows.emplace_back(kv->first);
        rows.emplace_back(kv->second.plays);
        rows.emplace_back(kv->second.score);
        rows.emplace_back(kv->second.last_played_ms);
      }
    }
    SEGUE_TRY(upsert().run(c, std::move(rows)));
  }
  std::sort(new_pairs.begin(), new_pairs.end());
  new_pairs.erase(std::unique(new_pairs.begin(), new_pairs.end()), new_pairs.end());
  {
    std::vector<store::Value> rows;
    rows.reserve(new_pairs.size() * 2);
    for (const auto& [artist, track] : new_pairs) {
      rows.emplace_back(artist);
      rows.emplace_back(track);
    }
    SEGUE_TRY(insert_artist_track().run(c, std::move(rows)));
  }
  for (int k = 0; k < 3; ++k)
    for (const auto& [id, d] : delta[k]) merge(pending_, static_cast<ItemKind>(k), id, d);
  pending_artist_tracks_.insert(pending_artist_tracks_.end(), new_pairs.begin(), new_pairs.end());
  return {};
}

Status PopularityConsumer::reset(store::Connection& c) {
  SEGUE_TRY(c.exec("DELETE FROM event_item_stats"));
  SEGUE_TRY(c.exec("DELETE FROM event_artist_tracks"));
  SEGUE_TRY(c.exec("DELETE FROM event_play_window"));
  on_rollback();
  pending_reset_ = true;
  pending_drop_windows_ = true;
  return {};
}

Status PopularityConsumer::forget_user(store::Connection& c, const UserId& user, std::span<const Event> applied) {
  // Which of the user's plays were counted follows from the user's own events alone (the bound
  // is per user), so replaying them in offset order finds exactly those to take back.
  Table delta[3];
  std::map<std::pair<int64_t, std::string>, int64_t> windows;
  for (const Event& e : applied) {
    auto items = counted_items(e, lookup_);
    if (items.empty()) continue;
    const SharedPlayTime when = shared_play_time(e);
    int64_t& n = windows[{when.day, items.front().id}];
    if (n >= kMaxSharedPlaysPerUserTrackDay) continue;
    ++n;
    for (const auto& item : items)
      merge(delta, item.kind, item.id, ItemStats{-1, -play_weight(when.at_ms, kPopularityHalfLifeMs), 0});
  }
  SEGUE_TRY(c.exec("DELETE FROM event_play_window WHERE user_id = ?", {user.str()}));
  pending_drop_windows_ = true;  // reloaded from the table on next use
  for (int k = 0; k < 3; ++k) {
    for (const auto& [id, d] : delta[k]) {
      SEGUE_TRY(c.exec("UPDATE event_item_stats SET plays = plays + ?, score = score + ? WHERE kind = ? AND id = ?",
                       {d.plays, d.score, int64_t{k}, id}));
      SEGUE_TRY(c.exec("DELETE FROM event_item_stats WHERE kind = ? AND id = ? AND plays <= 0", {int64_t{k}, id}));
      merge(pending_, static_cast<ItemKind>(k), id, d);
    }
  }
  pending_recompute_max_ = true;
  return {};
}

void PopularityConsumer::on_commit() {
  std::unique_lock l(mu_);
  if (pending_reset_) {
    for (auto& t : items_) t.clear();
    for (auto& m : max_score_) m = 0;
    artist_tracks_.clear();
  }
  for (int k = 0; k < 3; ++k) {
    for (const auto& [id, d] : pending_[k]) {
      merge(items_, static_cast<ItemKind>(k), id, d);
      auto it = items_[k].find(id);
      if (it->second.plays <= 0) items_[k].erase(it);
      else max_score_[k] = std::max(max_score_[k], it->second.score);
    }
    if (pending_recompute_max_) {
      max_score_[k] = 0;
      for (const auto& [id, s] : items_[k]) max_score_[k] = std::max(max_score_[k], s.score);
    }
  }
  for (auto& [artist, track] : pending_artist_tracks_) artist_tracks_[artist].insert(std::move(track));
  l.unlock();
  if (pending_drop_windows_) {
    windows_.clear();
  } else {
    for (const auto& [k, n] : pending_windows_)
      windows_[std::get<0>(k)][std::get<1>(k) + '\0' + std::get<2>(k)] = n;
    if (pending_newest_day_ != INT64_MIN)
      windows_.erase(windows_.begin(), windows_.lower_bound(pending_newest_day_ - kWindowDaysKept));
  }
  on_rollback();
}

void PopularityConsumer::on_rollback() {
  pending_windows_.clear();
  pending_newest_day_ = INT64_MIN;
  pending_drop_windows_ = false;
  pending_reset_ = false;
  pending_recompute_max_ = false;
  for (auto& t : pending_) t.clear();
  pending_artist_tracks_.clear();
}

int PopularityConsumer::popularity(ItemKind kind, const std::string& id, int64_t now_ms) const {
  std::shared_lock l(mu_);
  const int k = static_cast<int>(kind);
  auto it = items_[k].find(id);
  if (it == items_[k].end() || it->second.score <= 0 || max_score_[k] <= 0) return 0;
  const double d = decayed(it->second.score, now_ms, kPopularityHalfLifeMs);
  const double d_max = decayed(max_score_[k], now_ms, kPopularityHalfLifeMs);
  if (!(d_max > 0)) return 0;
  const double p = 100.0 * std::log1p(d) / std::log1p(d_max);
  return std::clamp(static_cast<int>(std::lround(p)), 0, 100);
}

std::optional<ItemStats> PopularityConsumer::stats(ItemKind kind, const std::string& id) const {
  std::shared_lock l(mu_);
  const auto& t = items_[static_cast<int>(kind)];
  auto it = t.find(id);
  if (it == t.end()) return std::nullopt;
  return it->second;
}

std::vector<TrackId> PopularityConsumer::top_tracks_of_artist(const ArtistId& artist, std::size_t n) const {
  std::vector<std::pair<double, const std::string*>> scored;
  std::shared_lock l(mu_);
  auto it = artist_tracks_.find(artist.str());
  if (it == artist_tracks_.end()) return {};
  const auto& tracks = items_[static_cast<int>(ItemKind::kTrack)];
  for (const auto& t : it->second) {
    auto s = tracks.find(t);
    if (s != tracks.end() && s->second.plays > 0) scored.emplace_back(s->second.score, &s->first);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  });
  std::vector<TrackId> out;
  for (std::size_t i = 0; i < scored.size() && i < n; ++i) out.emplace_back(*scored[i].second);
  return out;
}

}  // namespace segue::events
