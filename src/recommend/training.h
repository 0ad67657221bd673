// From what users did to a trained Model. The composition root reads the signals out of their
// stores (the taste consumer's sums, imported listens, saves, playlist adds) and hands them to a
// TrainingSet one by one; train_model() builds both levels and their neighbour lists.
//
// Weights (SignalWeights, docs/formats/recommend.md): each signal's count times its weight,
// times a recency factor 0.5 + 0.5 * 2^(-age / 90 days) (old history still counts half: a taste
// fades, it does not vanish). Early skips subtract; a (user, item) whose sum is not positive is
// not a preference, and if it was skipped it is remembered as disliked (never recommended back).
// A track's weight is added to each of its artists as well.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "recommend/model.h"
#include "recommend/weighting.h"

namespace segue::recommend {

struct SignalWeights {
  float play = 1.0f;           // per play of 30 s or more (and per imported listen)
  float early_skip = -1.0f;    // per skip before 30 s
  float search_click = 0.5f;   // per pick from search results
  float save = 4.0f;           // a track, album or artist in Your Library
  float playlist_add = 2.0f;   // a track the user added to a playlist
};

// 0.5 + 0.5 * 2^(-(now - t) / half_life): 1 for now, 0.75 one half-life ago, -> 0.5.
float recency_factor(int64_t t_ms, int64_t now_ms, int64_t half_life_ms);

struct TrainOptions {
  // ALS on each user's ranking of their items with linear confidence 1 + 30 * rank: the best
  // setting of the offline bench (recommender.h, docs/benchmarks.md "Recommendations").
  Weighting weighting{Weighting::Kind::kRank};
  AlsOptions als{.factors = 64, .iterations = 15, .cg_steps = 3, .regularization = 50.0f, .alpha = 30.0f,
                 .log_confidence = false};
  NeighborOptions neighbors;
  std::string version;  // empty: version_for(now)
};

class TrainingSet {
 public:
  // `artists_of(track)` names a track's artists (empty when the track is unknown: its signals
  // are then dropped, the catalog no longer has it).
  using ArtistsOf = std::function<std::vector<std::string>(const std::string& track)>;
  TrainingSet(ArtistsOf artists_of, int64_t now_ms, SignalWeights weights = {});

  // A signal on a track: `weight` already multiplied out (count x weight x recency).
  void track(const std::string& user, const std::string& track, float weight, bool skipped = false);
  // A signal on an artist alone (a saved or clicked artist).
  void artist(const std::string& user, const std::string& artist, float weight);

  const SignalWeights& weights() const { return weights_; }
  int64_t now_ms() const { return now_ms_; }
  int64_t signals() const { return signals_; }
  std::size_t users() const { return users_.size(); }

  struct Level {
    std::vector<std::string> ids;
    std::unordered_map<std::string, int32_t> index;
    std::vector<Triple> triples;
    std::vector<std::pair<int32_t, int32_t>> skipped;  // (user, item)
    int32_t id_of(const std::string& s);
  };

 private:
  friend Result<Model> train_model(TrainingSet&&, const TrainOptions&,
                                   const std::function<bool(const std::string&, int, int)>&);
  int32_t user_of(const std::string& u);
  ArtistsOf artists_of_;
  int64_t now_ms_;
  SignalWeights weights_;
  int64_t signals_ = 0;
  std::vector<std::string> users_;
  std::unordered_map<std::string, int32_t> user_index_;
  Level tracks_, artists_;
  std::unordered_map<std::string, std::vector<std::string>> artist_cache_;
};

// `progress(stage, done, total)` with stages "tracks", "artists", "neighbours"; false stops
// (Error::unavailable "training stopped"). Error::invalid without any signal.
Result<Model> train_model(TrainingSet&& set, const TrainOptions& options,
                          const std::function<bool(const std::string&, int, int)>& progress = {});

}  // namespace segue::recommend
