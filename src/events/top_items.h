// Top items per user: the "top_items" consumer keeps, per user and track and per user and
// artist, the play count, the last play and three recency-weighted scores (`event_user_top`):
// short_term (half-life 7 days, played in the last 28 days), medium_term (30 days, last 182
// days) and long_term (365 days, all time). Consumer methods run on the runner's thread; top()
// on any worker thread.
#pragma once

#include "events/consumer.h"
#include "events/decay.h"
#include "events/track_info.h"

namespace segue::events {

enum class TimeRange { kShortTerm, kMediumTerm, kLongTerm };

std::optional<TimeRange> parse_time_range(std::string_view s);  // "short_term", ...

struct TopItem {
  std::string id;       // track or artist id
  int64_t plays = 0;    // all-time plays of the user
  double score = 0;     // the range's score (ordering only)
};

struct TopPage {
  std::vector<TopItem> items;  // best first
  int64_t total = 0;           // items in the range, for paging
};

class TopItemsConsumer final : public Consumer {
 public:
  static inline const std::string kName = "top_items";

  // `lookup` may be empty: then there are no top artists.
  explicit TopItemsConsumer(TrackLookup lookup) : lookup_(std::move(lookup)) {}

  const std::string& name() const override { return kName; }
  Status apply(store::Connection& c, std::span<const Event> events) override;
  Status reset(store::Connection& c) override;
  Status forget_user(store::Connection& c, const UserId& user, std::span<const Event> applied) override;

  // `user`'s top tracks (kind kTrack) or artists (kArtist) in `range` as of `now_ms`, skipping
  // `offset` and returning at most `limit`. Error::invalid for kAlbum.
  static Result<TopPage> top(store::Database& db, const UserId& user, ItemKind kind, TimeRange range,
                             int limit, int offset, int64_t now_ms);

 private:
  const TrackLookup lookup_;
};

}  // namespace segue::events
