// Play counts and popularity per track, album and artist: the "popularity" consumer keeps
// `event_item_stats` (plays, recency-weighted score, last play) and `event_artist_tracks`, and a
// copy in memory for popularity() and top_tracks_of_artist(), which any thread may call
// without I/O. Formula and half-life: docs/formats/event-log.md.
#pragma once

#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include "events/consumer.h"
#include "events/decay.h"
#include "events/track_info.h"

namespace segue::events {

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
};

}  // namespace segue::events
