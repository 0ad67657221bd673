// Play counts and popularity per track, album and artist: the "popularity" consumer keeps
// `event_item_stats` (plays, recency-weighted score, last play) and `event_artist_tracks`, and a
// copy in memory for popularity() and top_tracks_of_artist(), which any thread may call
// without I/O. Formula and half-life: docs/formats/event-log.md.
//
// One user's share of these shared counts is bounded (issue 14): of a user's plays of one track
// that arrive on one UTC day (the log's received_at, not the client's timestamp), at most
// kMaxSharedPlaysPerUserTrackDay count, and a play timestamped after its arrival counts at its
// arrival. Both follow from the log alone (offset order, received_at), so a replay or recount
// gives the same numbers whenever it runs. The user's own history and top items count every play.
#pragma once

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "events/consumer.h"
#include "events/decay.h"
#include "events/track_info.h"

namespace segue::events {

inline constexpr int64_t kMaxSharedPlaysPerUserTrackDay = 3;

// When a play counts in shared counts: its UTC day of arrival (the bound's window) and the time
// its weight is computed at (the client's timestamp, at most its arrival). An event not yet in
// the log (received_ms 0) uses its timestamp for both. Pure.
struct SharedPlayTime {
  int64_t day = 0;
  int64_t at_ms = 0;
};
SharedPlayTime shared_play_time(const Event& e);

struct ItemStats {
  int64_t plays = 0;
  double score = 0;             // sum of play_weight(played_at, kPopularityHalfLifeMs)
  int64_t last_played_ms = 0;
};

class PopularityConsumer final : public Consumer {
 public:
  static inline const std::string kName = "popularity";

  // `lookup` may be empty: then only tracks are counted.
  explicit PopularityConsumer(TrackLookup lookup);

  const std::string& name() const override { return kName; }
  Status load(store::Connection& c) override;
  Status apply(store::Connection& c, std::span<const Event> events) override;
  Status reset(store::Connection& c) override;
  Status forget_user(store::Connection& c, const UserId& user, std::span<const Event> applied) override;
  void on_commit() override;
  void on_rollback() override;

  // 0-100: round(100 * ln(1 + d) / ln(1 + d_max)) with d the item's decayed score at `now_ms`
  // and d_max the highest of its kind; 0 for an item never played. Memory only; any thread.
  int popularity(ItemKind kind, const std::string& id, int64_t now_ms) const;
  int popularity(ItemKind kind, const std::string& id) const { return popularity(kind, id, wall_clock_ms()); }

  // The committed counts of one item (nullopt if never played). Memory only; any thread.
  std::optional<ItemStats> stats(ItemKind kind, const std::string& id) const;

  // The artist's `n` most popular tracks (by score now), most popular first. Memory only.
  std::vector<TrackId> top_tracks_of_artist(const ArtistId& artist, std::size_t n) const;

 private:
  using Table = std::unordered_map<std::string, ItemStats>;
  // (day, user, track): that user's counted plays of the track on that day of arrival.
  using WindowKey = std::tuple<int64_t, std::string, std::string>;
  // A copy of event_play_window for the days kept, loaded a whole day at a time on first use,
  // so a batch reads the table once per day instead of once per (user, track). The runner's
  // thread only; changed at on_commit(), dropped after a reset or a forget_user.
  using DayWindows = std::unordered_map<std::string, int64_t>;  // user '\0' track -> plays
  Status load_day(store::Connection& c, int64_t day);
  void merge(Table (&into)[3], ItemKind kind, const std::string& id, const ItemStats& delta);

  const TrackLookup lookup_;
  mutable std::shared_mutex mu_;
  Table items_[3];
  double max_score_[3] = {0, 0, 0};
  std::unordered_map<std::string, std::unordered_set<std::string>> artist_tracks_;
  // Changes of the transaction in flight (the runner's thread only), published by on_commit().
  bool pending_reset_ = false;
  bool pending_recompute_max_ = false;
  Table pending_[3];
  std::vector<std::pair<std::string, std::string>> pending_artist_tracks_;
  std::map<int64_t, DayWindows> windows_;
  std::map<WindowKey, int64_t> pending_windows_;  // new counts of the batch in flight
  int64_t pending_newest_day_ = INT64_MIN;
  bool pending_drop_windows_ = false;
};

}  // namespace segue::events
