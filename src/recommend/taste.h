// What users do, as the models' implicit feedback: the "taste" consumer of the event log keeps,
// per user and item (track, album or artist), recency-weighted sums of
// - plays (a stream of 30 s or more, or a short track played to its end: events::counts_as_play),
// - early skips (a skip before 30 s: a negative signal),
// - search clicks (an item picked from search results).
// Private sessions count for nothing. Sums are in the events module's decay form (decay.h):
// each event adds 2^((t - epoch) / half_life), so late and out-of-order events count once and
// the value now is a multiplication away. Saves and playlist adds are read from their own
// stores when a model is trained (their current state is the truth: an unsaved track is no
// longer a save). Table `taste_signals` (migration module "taste"); docs/formats/recommend.md.
// Home's rewards (home.h) are kept here too, in `home_clicks`: clicks on a shelf (home_click)
// and plays of kHomePlayRewardMs or more started from one (a track_end or skip whose source is
// "home:<section>").
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "events/consumer.h"
#include "events/decay.h"
#include "events/track_info.h"

namespace segue::recommend {

inline constexpr int64_t kTasteHalfLifeMs = 90 * events::kDayMs;
inline constexpr int64_t kEarlySkipMs = 30'000;
inline constexpr int64_t kHomePlayRewardMs = 30'000;

std::vector<store::Migration> taste_migrations();

struct TasteRow {
  UserId user;
  events::ItemKind kind = events::ItemKind::kTrack;
  std::string id;
  int64_t plays = 0, skips = 0, clicks = 0;        // counts
  double play_score = 0, skip_score = 0, click_score = 0;  // decay form (kTasteHalfLifeMs)
  int64_t last_ms = 0;                              // the latest event's time
};

// A reward of one of home's shelves: a click (a home_click event), or a play of 30 s or more
// started from the shelf (item_uri: segue:track:<id>).
struct HomeClickRow {
  UserId user;
  int64_t at_ms = 0;
  std::string section;
  std::string item_uri;
  std::string kind = "click";  // "click" or "play"
};

class TasteConsumer final : public events::Consumer {
 public:
  // Called (on the consumer's thread, after the batch committed: quick work only) for each
  // home click applied, e.g. to count it for its experiment arm. Set before the log starts.
  void on_home_click(std::function<void(const UserId&, const std::string& section)> fn) { on_home_click_ = std::move(fn); }

  static inline const std::string kName = "taste";

  const std::string& name() const override { return kName; }
  std::string migration_module() const override { return "taste"; }
  std::vector<store::Migration> migrations() const override { return taste_migrations(); }
  Status apply(store::Connection& c, std::span<const events::Event> events) override;
  Status reset(store::Connection& c) override;
  Status forget_user(store::Connection& c, const UserId& user, std::span<const events::Event> applied) override;
  void on_commit() override;
  void on_rollback() override;

  // Every row (training; one read transaction, rows in key order) and one user's rows
  // (scoring a user with what they did since the model was trained). Worker threads only.
  static Status for_each(store::Database& db, const std::function<void(TasteRow&&)>& fn);
  static Result<std::vector<TasteRow>> of_user(store::Database& db, const UserId& user);
  // Home rewards (clicks and plays) at or after `since_ms`, oldest first.
  static Status home_clicks_since(store::Database& db, int64_t since_ms,
                                  const std::function<void(const HomeClickRow&)>& fn);
  // One user's plays from home (kind "play") at or after `since_ms`, oldest first.
  static Result<std::vector<HomeClickRow>> home_plays_of(store::Database& db, const UserId& user, int64_t since_ms);

 private:
  std::function<void(const UserId&, const std::string&)> on_home_click_;
  std::vector<std::pair<UserId, std::string>> pending_clicks_;
};

}  // namespace segue::recommend
