// Listening history: the "history" consumer keeps every counted play (counts_as_play, not
// private) in `event_history`, time-ordered per user; recently_played() pages through it.
// Consumer methods run on the runner's thread; recently_played() on any worker thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "events/consumer.h"

namespace segue::events {

struct Play {
  TrackId track;
  int64_t played_at_ms;     // the client's timestamp of the track_end
  std::string context_uri;
};

struct PlaysPage {
  std::vector<Play> items;  // newest first
  bool has_more = false;
};

class HistoryConsumer final : public Consumer {
 public:
  static inline const std::string kName = "history";

  const std::string& name() const override { return kName; }
  Status apply(store::Connection& c, std::span<const Event> events) override;
  Status reset(store::Connection& c) override;
  Status forget_user(store::Connection& c, const UserId& user, std::span<const Event> applied) override;

  // Plays of `user`, newest first, strictly before `before_ms` or strictly after `after_ms` (at
  // most one of them), at most `limit`. Reads what the consumer has committed.
  static Result<PlaysPage> recently_played(store::Database& db, const UserId& user, int limit,
                                           std::optional<int64_t> before_ms, std::optional<int64_t> after_ms);
};

}  // namespace segue::events
