// Smart playlists (issue 18): a smart playlist is an ordinary playlist of its owner (so every
// playlist endpoint, the web player, sharing and the version history work unchanged) plus a row
// of rules (smart_store.h). The service creates one (the playlist, its rules, its first fill),
// changes its rules, and refreshes it: evaluates the rules over the catalog, the audio features
// and the owner's listening, and replaces the items only when the result differs from what the
// playlist holds (a manual edit is undone by the next refresh).
//
// Refreshes run on the service's own thread (start()): after every catalog snapshot this node
// publishes (bus::CatalogSnapshotPublished: a scan or another node's scan) and every `interval`
// (play counts and last-played dates change without a catalog change). create() and
// set_rules() refresh the playlist at once, on the calling (worker) thread. Blocking (database):
// never on a network thread. Thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bus/event_bus.h"
#include "catalog/catalog.h"
#include "common/metrics.h"
#include "playlist/service.h"
#include "recommend/smart_rules.h"
#include "recommend/smart_store.h"
#include "store/database.h"
#include "user/library.h"

namespace segue::recommend {

class SmartPlaylists {
 public:
  struct Sources {
    store::Database* db = nullptr;        // smart_playlists and the imported listens
    store::Database* plays_db = nullptr;  // the top_items consumer's database (event_user_top)
    catalog::Catalog* catalog = nullptr;
    user::Library* library = nullptr;
    playlist::PlaylistService* playlists = nullptr;
    std::function<int64_t()> now_ms;      // empty: the wall clock
  };
  explicit SmartPlaylists(Sources sources);
  ~SmartPlaylists();  // stop()

  // A track's audio features (nullopt: not analysed); unset: every audio condition is unmet.
  using FeatureLookup = std::function<std::optional<smart::AudioValues>(const TrackId&)>;
  void set_features(FeatureLookup fn);

  struct View {
    playlist::PlaylistInfo playlist;
    std::optional<boost::json::object> rules;  // nullopt: an ordinary playlist
    int64_t refreshed_at_ms = 0;
  };

  // Error::invalid for bad rules (smart::parse_rules' message) or a bad name, before anything
  // is created.
  Result<View> create(const UserId& owner, std::string_view name, std::string_view description, bool is_public,
                      const boost::json::value& rules);
  // A Navidrome .nsp file (JSON): its name (unless `name` is given) and comment become the
  // playlist's name and description. Error::invalid when neither gives a name.
  Result<View> import_nsp(const UserId& owner, std::string_view text, const std::optional<std::string>& name,
                          bool is_public);
  // Readable by whoever may read the playlist (not_found otherwise).
  Result<View> rules(const PlaylistId& id, const UserId& viewer);
  // The owner's only (permission_denied for a collaborator, not_found for others): sets the
  // rules (an ordinary playlist becomes a smart one) and refreshes.
  Result<View> set_rules(const PlaylistId& id, const UserId& user, const boost::json::value& rules);

  // `owner`'s smart playlists with their rules, newest first (a playlist that is gone is left out).
  Result<std::vector<View>> list(const UserId& owner);
  // The owner's only (permission_denied for a collaborator, not_found for others and for an
  // ordinary playlist): deletes the rules, so refreshes stop; the playlist stays, an ordinary
  // playlist with the tracks it last held (Segue, like Spotify, deletes no playlist).
  Status remove_rules(const PlaylistId& id, const UserId& user);

  // Evaluates one smart playlist now; true if its items changed.
  Result<bool> refresh(const PlaylistId& id);
  // Every smart playlist (catalog facts gathered once, each owner's listening once).
  Status refresh_all();

  // Subscribes to `bus` and starts the refresh thread: a refresh at once, then every
  // `interval` and soon after each catalog snapshot. stop() ends it (waiting for a refresh in
  // progress); start() again restarts it (a node that regained the lease).
  void start(bus::EventBus& bus, std::chrono::milliseconds interval);
  void stop();

  // segue_smart_playlists_refreshes{result="changed"|"unchanged"|"failed"}.
  void register_metrics(MetricsRegistry& metrics) const;

 private:
  Result<std::vector<smart::TrackFacts>> catalog_facts();
  Result<smart::UserFacts> user_facts(const UserId& user);
  Result<bool> refresh_row(const StoredSmart& row, const std::vector<smart::TrackFacts>& tracks,
                           const smart::UserFacts& facts);
  Result<smart::Rules> checked_rules(const boost::json::value& doc, std::string* canonical);
  Result<View> view(const PlaylistId& id, const UserId& viewer);
  int64_t now() const;
  void loop();

  Sources src_;
  std::mutex features_mu_;
  FeatureLookup features_;
  std::mutex refresh_mu_;  // one refresh at a time
  std::atomic<uint64_t> changed_{0}, unchanged_{0}, failed_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool dirty_ = false;
  std::chrono::milliseconds interval_{std::chrono::minutes(10)};
  std::thread thread_;
  bus::Subscription subscription_;
};

}  // namespace segue::recommend
