// The home page (issue 18, the seed's home feed): shelves built by candidate generation (the
// user's ranking, seeds from their top artists, their history, new releases, the made-for-you
// playlists: thousands of items), scoring (each generator's score, normalised per shelf) and
// diversification (an item once per page, at most two tracks per artist per shelf, about 50
// items shown), then the shelves ordered by the BaRT bandit (bandit.h) for the request's context,
// every served page logged as an impression with each shelf's position and exact propensity.
//
// Cache: a user's shelves (the expensive part) are kept for an hour (in memory, or in Redis
// through `SharedCache` when the cluster has it), dropped when the user saves or removes
// something, when a new model or new made-for-you playlists appear. The bandit orders the cached
// shelves again for every request (microseconds), so the page still explores and logs.
//
// Experiment "home_order": users are bucketed (experiments.h) into "bandit" (the policy) and
// "editorial" (a fixed order, propensity 1), counted per arm in /metrics.
//
// Threads: home() blocks on the database on a miss (worker threads only); impressions are
// written by a background thread in batches, so a cached home never waits for a disk.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bus/event_bus.h"
#include "common/metrics.h"
#include "events/event_log.h"
#include "recommend/bandit.h"
#include "recommend/counterfactual.h"
#include "recommend/experiments.h"
#include "recommend/service.h"

namespace segue::recommend {

std::vector<store::Migration> home_migrations();

struct HomeItem {
  std::string kind;  // "track", "album", "artist", "playlist"
  std::string id;
  float score = 0;
};

struct HomeSection {
  std::string id;     // the bandit's arm: "made_for_you", "because_you_listened:<artist id>", ...
  std::string title;  // "Made for you", "Because you listened to Ash Harbor", ...
  std::vector<HomeItem> items;
  int position = 0;
  double propensity = 1;
};

struct Home {
  std::string impression_id;
  std::string policy_version;
  std::string experiment_arm;  // "bandit" or "editorial"
  int64_t generated_at_ms = 0;  // when the shelves were built (a cached page keeps it)
  bool cached = false;
  std::vector<HomeSection> sections;  // in the served order
};

// A made-for-you playlist of the user (Discover Weekly, Release Radar, a Daily Mix).
struct MadeForYouRef {
  std::string kind;  // "discover_weekly", "release_radar", "daily_mix"
  PlaylistId playlist;
  int64_t generated_at_ms = 0;
};

// A shared cache of built shelves across the nodes (Redis), optional.
class SharedHomeCache {
 public:
  virtual ~SharedHomeCache() = default;
  virtual std::optional<std::string> get(const UserId& user) = 0;
  virtual void put(const UserId& user, const std::string& value, int ttl_seconds) = 0;
  virtual void drop(const UserId& user) = 0;
};

struct HomeOptions {
  int64_t cache_ms = 3'600'000;  // an hour
  std::size_t items_per_section = 10;
  double editorial_share = 0.1;  // users in the "editorial" arm of the experiment
  BanditOptions bandit;
};

class HomeService {
 public:
  struct Sources {
    RecommendService* recommend = nullptr;
    events::EventLog* events = nullptr;
    catalog::Catalog* catalog = nullptr;
    store::Database* db = nullptr;        // home_impressions, home_policy
    store::Database* clicks_db = nullptr; // the taste consumer's home_clicks
    bus::EventBus* bus = nullptr;         // LibraryChanged drops a user's cached shelves
    std::function<std::vector<MadeForYouRef>(const UserId&)> made_for_you;  // optional
    std::function<std::string(const PlaylistId&)> playlist_name;            // optional, for titles
    SharedHomeCache* shared_cache = nullptr;
  };
  HomeService(Sources sources, HomeOptions options = {});
  ~HomeService();  // flushes the impressions

  // The user's home for the context. `now_ms` for tests (0: the clock).
  Result<Home> home(const UserId& user, const BanditContext& context, int64_t now_ms = 0);

  // Loads the newest stored policy (every node, periodically), and learns from the impressions
  // whose reward window (30 min) closed since the last update, storing a new policy version
  // (the node holding the recommend lease). Both block on the database.
  Status load_policy();
  Result<int> learn(int64_t now_ms = 0);
  std::string policy_version() const;

  // Counts a click for its user's experiment arm (the taste consumer's callback).
  void count_click(const UserId& user);
  void drop_cache(const UserId& user);
  void register_metrics(MetricsRegistry& metrics);

  // Off-line evaluation of the newest stored policy (with `epsilon` exploration) from the
  // impressions the "bandit" arm logged and the rewards within their windows (a click on a
  // shelf, or a play of 30 s or more started from it: 1 per shelf and impression), over the
  // top `positions` shelves (`segue recommend evaluate`).
  Result<OffPolicyReport> evaluate(double epsilon, std::size_t positions, int64_t now_ms = 0);
  // Per arm of the home_order experiment: impressions stored and those with a reward within
  // their windows
  // (`segue recommend experiments`).
  Result<std::vector<ArmSummary>> experiment_summary(int64_t now_ms = 0);
  const Experiment& experiment() const { return experiment_; }
  // Waits until every impression logged so far is stored (tests, shutdown).
  void flush();

  static constexpr int64_t kRewardWindowMs = 30 * 60 * 1000;

  // One section of the user's home in full ("Show all", GET /v1/me/home/sections/{id}): the
  // section with id `id` built on its own, up to `max_items` items (an item once in it, the
  // same per-artist rule), not cached, no impression; nullopt when the user's home has no such
  // section now. Blocks on the database (worker threads only).
  Result<std::optional<HomeSection>> section(const UserId& user, std::string_view id, std::size_t max_items);

 private:
  // The user's recent listening as the bandit's context sees it, measured when the shelves are
  // built (the last 50 plays): plays of tracks heard for the first time, of tracks the user
  // skipped early more often than not, and plays (of 30 s or more) started from home.
  struct Listening {
    double discovery_share = 0;
    double skip_share = 0;
    double home_share = 0;
  };
  struct Entry {
    std::vector<HomeSection> sections;  // unordered (generation order)
    int64_t built_at_ms = 0;
    std::string model_version;
    Listening listening;
  };
  // `whole` > 0: every section on its own (an item once per section, not per page), up to
  // `whole` items each (section()).
  Result<std::vector<HomeSection>> build(const UserId& user, Listening& listening, std::size_t whole = 0);
  void writer_loop();
  // Logged impressions (all, or of one arm) with the rewards (clicks, plays from home) within
  // each one's window.
  struct Rewarded {
    UserId user;
    std::string arm;
    BanditContext context;
    std::vector<std::string> arms;
    std::vector<LoggedImpression> shown;
  };
  Result<std::vector<Rewarded>> rewarded(int64_t from_ms, int64_t until_ms);
  struct Impression {
    std::string id;
    UserId user;
    int64_t at_ms;
    std::string policy_version, arm, context;
    std::vector<std::string> arms;
    std::vector<Placement> shown;
  };

  Sources src_;
  HomeOptions options_;
  Experiment experiment_;
  ExperimentCounters counters_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;
  std::shared_ptr<const Bandit> bandit_;
  bus::Subscription library_sub_;
  std::atomic<uint64_t> hits_{0}, misses_{0};
  std::mutex learn_mu_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_, flushed_cv_;
  std::deque<Impression> queue_;
  uint64_t queued_ = 0, written_ = 0;
  bool stop_ = false;
  std::thread writer_;
};

// JSON of a home page (docs/formats/home.md) and of cached shelves.
std::string shelves_to_json(const std::vector<HomeSection>& sections);
Result<std::vector<HomeSection>> shelves_from_json(std::string_view text);

}  // namespace segue::recommend
