// The recommendation service (the seed's ML platform, issue 18): trains models from what users
// did, keeps the current one in memory, and answers the queries the API and home ask.
//
// Training (train(): `segue recommend train`, and the server's scheduled job on the node that
// leads): reads the taste consumer's sums, imported listens, saves and playlist adds, trains
// both levels (training.h), publishes the model under `models_dir` (model.h) and swaps it in.
// Nodes that do not train see a new `current` within `follow()`'s next call (the server calls
// it every 30 s) when they share the models directory.
//
// Queries never block on training: they read an immutable Model through a shared_ptr. They do
// block on the database for a user's latest signals (worker threads only).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audio/features.h"
#include "catalog/catalog.h"
#include "common/metrics.h"
#include "playlist/service.h"
#include "recommend/comembership.h"
#include "recommend/content.h"
#include "recommend/model.h"
#include "recommend/training.h"
#include "user/library.h"

namespace segue::recommend {

struct Scored {
  std::string id;
  float score = 0;
};

enum class Level { kTracks, kArtists };

// Spotify's tunable track attributes (min_/max_/target_ of each); values in the API's units
// (tempo BPM, loudness dB, popularity 0-100, key 0-11, mode 0/1, time_signature, duration_ms,
// the rest 0..1).
struct Tunable {
  std::string name;  // "tempo", "energy", ...
  std::optional<double> min, max, target;
};
const std::vector<std::string>& tunable_names();

struct Seeds {
  std::vector<std::string> artists, tracks, genres;
};

struct SeedReport {
  std::string id, type;  // "ARTIST", "TRACK", "GENRE"
  int initial_pool = 0, after_filtering = 0;
};

struct Recommendations {
  std::vector<std::string> tracks;
  std::vector<SeedReport> seeds;
};

// Content vectors of the catalog's tracks (content.h: audio features, genres, year), so tracks
// the model does not know (nobody played them yet) still get neighbours and scores: rebuilt
// when the catalog or the model changes, or every 10 minutes as analyses arrive.
struct ContentIndex {
  int64_t catalog_version = -1;  // the catalog's loaded_version() it was built from
  std::string model_version;
  int64_t built_at_ms = 0;
  uint64_t features_generation = 0;  // of the audio features it was built with
  std::vector<std::string> ids;  // content item -> track id
  std::unordered_map<std::string, int32_t> index;
  ContentSpace space;
  // Cold tracks (not in the model's track level): their content items and predicted factors.
  std::vector<int32_t> cold;
  FactorMatrix cold_factors;
  // Content item -> the model's track index (-1: not in the model), for model_version.
  std::vector<int32_t> model_track;
  // Folded genre (fold_genre) -> its tracks' content items, most popular first, at most
  // kGenrePool: a genre seed's candidates without a pass over the catalog.
  static constexpr std::size_t kGenrePool = 500;
  std::unordered_map<std::string, std::vector<int32_t>> genre_tracks;
  // Content item -> its position in `cold` (-1: not cold), for model_version.
  std::vector<int32_t> cold_position;
  // The model's most popular tracks (by listeners), for model_version: a candidate pool of last
  // resort at catalog scale.
  std::vector<int32_t> popular_tracks;
};

// From this many tracks (the model's and the cold ones together), a user's ranking of tracks
// scores candidates (about 10,000: the model's neighbours of what they played, tracks of the
// artists the model ranks for them, content neighbours, the popular) instead of every track.
inline constexpr std::size_t kTrackCandidatesFrom = 200'000;

// From this many tracks on, the content index answers nearest() through an inverted file
// (ContentSpace::build_cells: sqrt(tracks) cells, 32 probed, at most 30,000 tracks scored per
// query) instead of a full pass; below, exactly.
inline constexpr std::size_t kContentCellsFrom = 200'000;

// "Recommended songs" under a playlist (for_playlist): every catalog track scored by four
// components, each z-scored over the catalog's tracks (blend_add) and weighted:
// - comembership: the co-membership model over public playlists (comembership.h), from the
//   playlist's tracks;
// - content: the sum of the content cosines (content.h) to the playlist's tracks;
// - neighbors: the tracks level's RP3beta lists (what users played, saved and added to public
//   playlists), from the playlist's tracks;
// - taste: the viewer's own ALS score (a user the model was trained with);
// - artist: how many of the playlist's tracks are by the track's first artist (catalog
//   metadata: more by an artist the playlist already has).
// Weights of the continuation bench (docs/benchmarks.md, "Through the API").
struct PlaylistBlend {
  float comembership = 1.0f;
  float content = 0.5f;
  float neighbors = 0.5f;
  float taste = 0.1f;
  float artist = 0.5f;
};

struct RecommendServiceOptions {
  std::string models_dir;
  TrainOptions train;
  SignalWeights weights;
  int max_per_artist = 0;  // 0: max(2, limit / 5) per answer
  // Catalog scale (tests lower them): kContentCellsFrom and kTrackCandidatesFrom.
  std::size_t content_cells_from = kContentCellsFrom;
  std::size_t track_candidates_from = kTrackCandidatesFrom;
  // The content index is rebuilt for new audio features at most this often (set_features).
  int64_t content_refresh_ms = 10 * 60 * 1000;
  CoMembershipOptions playlists;  // the co-membership model over public playlists
  PlaylistBlend playlist_blend;   // how "Recommended songs" under a playlist are scored
};

class RecommendService {
 public:
  struct Sources {
    store::Database* taste_db = nullptr;  // the taste consumer's database
    store::Database* db = nullptr;        // listens
    catalog::Catalog* catalog = nullptr;
    user::Library* library = nullptr;
    playlist::PlaylistService* playlists = nullptr;
    // The track's audio features when analysed, and its popularity 0-100.
    std::function<std::optional<audio::AudioAnalysis>(const TrackId&)> features;
    std::function<int(const TrackId&)> popularity;
  };
  RecommendService(Sources sources, RecommendServiceOptions options);
  // The audio features arrive with the analysis service, after construction (before queries).
  // `generation` (optional) changes whenever the features do: the content index is then rebuilt
  // at most every 10 minutes, and not at all while nothing changes.
  void set_features(std::function<std::optional<audio::AudioAnalysis>(const TrackId&)> features,
                    std::function<uint64_t()> generation = {}) {
    src_.features = std::move(features);
    features_generation_ = std::move(generation);
  }

  // The current model from disk, if there is one (none is not an error).
  Status load();
  // Loads `current` again when it points at another version than the one in memory, and
  // rebuilds the content index when it is out of date.
  Status follow();
  Status refresh_content(bool force = false);
  std::shared_ptr<const ContentIndex> content() const;
  // Gathers the signals, trains, publishes and swaps in. `progress(stage, done, total)`:
  // stages "signals", "tracks", "artists"; false stops.
  Result<ModelInfo> train(const std::function<bool(const std::string&, int, int)>& progress = {});
  Result<std::string> rollback();
  std::shared_ptr<const Model> model() const;
  ModelStore& store() { return store_; }

  // A user's ranking of tracks or artists they have not played (nor early-skipped), best first.
  // Users the model was not trained with are folded in from their latest signals; with no
  // model or no signals, the most played items the user has not played.
  Result<std::vector<Scored>> for_user(const UserId& user, Level level, std::size_t limit);
  // Tracks like the seeds, filtered and ranked by the tunables (Error::invalid for a seed that
  // does not exist, naming it).
  Result<Recommendations> from_seeds(const Seeds& seeds, const std::vector<Tunable>& tunables, std::size_t limit,
                                     const std::optional<UserId>& user = std::nullopt);
  // "Recommended songs" under a playlist holding `tracks` (ids, in playlist order): the best
  // `limit` catalog tracks that are not in it, by the PlaylistBlend. Error::unavailable before
  // the content index is built (follow() builds it; the caller falls back to from_seeds).
  Result<std::vector<Scored>> for_playlist(const std::vector<std::string>& tracks, const std::optional<UserId>& viewer,
                                           std::size_t limit);
  // Artists like `artist` (the model's neighbours, then artists sharing its genres).
  Result<std::vector<ArtistId>> related_artists(const ArtistId& artist, std::size_t limit);
  // The genres of the catalog, folded to lower case, sorted.
  std::vector<std::string> genre_seeds() const;

  void register_metrics(MetricsRegistry& metrics);

 private:
  // `public_lists` gets each public playlist's catalog tracks (for the co-membership model).
  Result<TrainingSet> gather(int64_t now_ms, const std::function<bool(const std::string&, int, int)>& progress,
                             std::vector<std::vector<std::string>>* public_lists = nullptr);
  void swap_in(std::shared_ptr<const Model> m);
  // The user's latest signals as weights per level index (for fold-in and exclusions).
  // for_user at catalog scale (kTrackCandidatesFrom): the best of the candidates.
  std::vector<Scored> rank_track_candidates(const Model& m, const ContentIndex& ci, const catalog::Snapshot& snap,
                                            const Eigen::VectorXf& user_vec, const std::vector<int32_t>& history,
                                            const std::vector<char>& excluded, std::size_t limit);
  Result<std::vector<std::pair<int32_t, float>>> fresh_history(const Model& m, const UserId& user, Level level,
                                                               std::vector<int32_t>& played);

  Sources src_;
  std::function<uint64_t()> features_generation_;
  RecommendServiceOptions options_;
  ModelStore store_;
  mutable std::mutex mu_;
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const ContentIndex> content_;
  std::mutex train_mu_;  // one training at a time in this process
  std::atomic<uint64_t> trainings_ok_{0}, trainings_failed_{0};
};

}  // namespace segue::recommend
