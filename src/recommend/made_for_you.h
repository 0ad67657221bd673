// "Made for you" (issue 18): Discover Weekly, Release Radar and the Daily Mixes as real
// playlists owned by each user, so they play, save and share like any other playlist, and
// their history (the playlist CRDT's versions) keeps the earlier weeks.
//
// - Discover Weekly: 30 tracks the user never played (RecommendService::for_user), at most 2
//   per artist, diversified by maximal marginal relevance on the ALS item factors; last week's
//   tracks make way for others while there are enough. New every Monday 00:00 in the user's
//   time zone.
// - Release Radar: tracks of albums released or added to the library in the last 14 days by
//   artists the user plays (top artists) or saved (saved tracks and albums), newest first, two
//   per album, up to 30. New every Friday 00:00 local.
// - Daily Mixes: the user's top tracks clustered (k-means on the ALS item factors, k up to 6
//   chosen by silhouette, clusters of too few tracks dropped); each mix interleaves the
//   cluster's familiar tracks with unplayed tracks nearest to it, about 50. New every local day.
//
// Periods are keys in the user's time zone (user::Prefs::time_zone, an IANA name): the ISO week
// ("2026-W50") for Discover Weekly, the date of the week's Friday ("2026-12-04") for Release
// Radar, the date ("2026-12-07") for Daily Mixes. The `made_for_you` table maps (user, kind,
// index) to the playlist and records the period of the last generation, so the scheduler
// (run_due(), every minute on the node holding the recommend lease) generates exactly what is
// missing: after downtime the first run catches every user up. Time zones come from the
// system's tz database (/usr/share/zoneinfo) through the `date` library (Debian's
// libhowardhinnant-date), the reference implementation of C++20's <chrono> time zones, which
// g++ 12's library lacks.
//
// Blocking (database, model queries): worker threads and the scheduler's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/ids.h"
#include "common/result.h"
#include "events/event_log.h"
#include "playlist/service.h"
#include "recommend/als.h"
#include "recommend/service.h"
#include "store/database.h"
#include "user/library.h"
#include "user/preferences.h"

namespace segue::recommend {

std::vector<store::Migration> made_for_you_migrations();

enum class MixKind { kDiscoverWeekly, kReleaseRadar, kDailyMix };
std::string_view mix_kind_name(MixKind kind);  // "discover_weekly", "release_radar", "daily_mix"
std::optional<MixKind> parse_mix_kind(std::string_view name);

// ---- pure parts (tested on their own) ----

// The period `kind` is in at `at_ms` in time zone `zone` (an IANA name, see
// user::check_time_zone; an unknown zone is Error::invalid): "2026-W50" (ISO week, Monday 00:00 local to Sunday 24:00),
// "2026-12-04" (the Friday starting the week from Friday 00:00 local), "2026-12-07" (the day).
Result<std::string> period_key(MixKind kind, std::string_view zone, int64_t at_ms);

struct Candidate {
  std::string id;      // track id
  std::string artist;  // main artist id (the per-artist cap)
  float score = 0;     // relevance, higher first
  int32_t item = -1;   // row of `factors`, -1 when the model has none
};
// Maximal marginal relevance: picks up to `n` candidates, each the best of
// lambda * relevance - (1 - lambda) * (highest cosine similarity to one already picked), at most
// `max_per_artist` per artist. Relevance is the score rescaled to [0, 1] over the candidates.
// Deterministic: ties go to the earlier candidate. Returns indexes into `candidates`, in order.
std::vector<std::size_t> diversify(const std::vector<Candidate>& candidates, const FactorMatrix* factors,
                                   std::size_t n, int max_per_artist, float lambda = 0.7f);

// k-means (k-means++ seeding from `seed`, Lloyd iterations) on the rows of `points` after
// scaling each to unit length (cosine geometry). Returns the cluster of each row, in [0, k).
std::vector<int> kmeans(const FactorMatrix& points, int k, uint64_t seed, int iterations = 50);
// Mean silhouette of an assignment (cosine distance), in [-1, 1]; 0 for fewer than 2 clusters.
double silhouette(const FactorMatrix& points, const std::vector<int>& assignment, int k);
// Clusters of the rows: for k from 2 to `max_k` the assignment with the best silhouette among
// those explaining at least `min_explained` of the spread (1 - within-cluster / total sum of
// squares, so that splitting one taste's noise does not count), or one cluster when none
// reaches `min_silhouette`; clusters of fewer than `min_size` rows get -1.
// Cluster numbers are renumbered by size, largest first.
std::vector<int> taste_clusters(const FactorMatrix& points, int max_k, std::size_t min_size, uint64_t seed,
                                double min_silhouette = 0.25, double min_explained = 0.6);

// ---- the service ----

struct MadeForYouPlaylist {
  MixKind kind = MixKind::kDiscoverWeekly;
  int index = 0;  // 0 for Discover Weekly and Release Radar; 0..5 for the Daily Mixes
  PlaylistId playlist;
  int64_t generated_at_ms = 0;
  std::string period;
};

struct MadeForYouOptions {
  std::size_t discover_size = 30;
  int discover_per_artist = 2;
  std::size_t radar_size = 30;
  int radar_days = 14;
  int radar_per_album = 2;
  int max_mixes = 6;
  std::size_t mix_size = 50;
  std::size_t min_cluster_tracks = 4;
  // The clock (ms since the epoch): the wall clock unless set. The server's test knob
  // test_clock_offset_s shifts it (docs/formats/made-for-you.md).
  std::function<int64_t()> now_ms;
};

// What one generation did for a user.
struct GenerationReport {
  int created = 0;    // playlists made
  int replaced = 0;   // playlists whose tracks changed
  int unchanged = 0;  // generated, same tracks as before (no new version)
};

class MadeForYou {
 public:
  struct Sources {
    store::Database* db = nullptr;  // the made_for_you table
    RecommendService* recommend = nullptr;
    catalog::Catalog* catalog = nullptr;
    playlist::PlaylistService* playlists = nullptr;
    user::Preferences* preferences = nullptr;
    user::Library* library = nullptr;
    events::EventLog* events = nullptr;  // top tracks and artists
    std::function<Result<std::vector<UserId>>()> users;  // every user (the scheduler's)
  };
  MadeForYou(Sources sources, MadeForYouOptions options);

  // The user's mixes that have a playlist: Discover Weekly, Release Radar, then the Daily Mixes
  // by index (those of the latest day's clustering only).
  Result<std::vector<MadeForYouPlaylist>> playlists_of(const UserId& user);

  // Generates the user's mixes whose current period has no generation yet, or every mix with
  // `force` (POST /v1/me/made-for-you/refresh, `segue recommend mixes`). A mix whose tracks come
  // out the same as its playlist's is left alone (no new version).
  Result<GenerationReport> generate(const UserId& user, bool force);
  // The scheduler's run: generate(user, false) for every user with a mix due. Returns how many
  // users were generated for; one user's failure is logged and the others go on.
  Result<int> run_due();

  int64_t now_ms() const;

 private:
  struct Row;
  Result<std::vector<std::string>> discover_weekly(const UserId& user, const std::vector<std::string>& last_week);
  Result<std::vector<std::string>> release_radar(const UserId& user, int64_t now);
  struct Mix {
    std::vector<std::string> tracks;
    std::string description;
  };
  Result<std::vector<Mix>> daily_mixes(const UserId& user, uint64_t seed);
  // Creates or updates the playlist of (user, kind, index) with `tracks` and records `period`.
  Status publish(const UserId& user, MixKind kind, int index, const std::string& name, const std::string& description,
                 const std::vector<std::string>& tracks, const std::string& period, GenerationReport& report);

  Sources src_;
  MadeForYouOptions options_;
  std::mutex user_mu_;  // one generation at a time (scheduler and refresh alike)
};

}  // namespace segue::recommend
