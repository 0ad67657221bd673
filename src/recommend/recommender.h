// The model the server trains on every user and scores any user with (issue 18): implicit ALS on
// rank-weighted plays (each user's artists weighted by their rank in that user's list, not by the
// raw count), optionally blended with EASE. Measured on the HetRec 2011 Last.fm plays in
// docs/benchmarks.md, "Recommendations".
//
// Scoring works from a user's history alone: the ALS part folds the user in (one exact
// least-squares solve against the item factors), the EASE part is a sum of item rows. So a user
// who joined after training, or whose plays changed since, is scored the same way as everyone.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "recommend/als.h"
#include "recommend/ease.h"
#include "recommend/interactions.h"
#include "recommend/weighting.h"

namespace segue::recommend {

struct RecommenderOptions {
  // ALS on rank-weighted plays with linear confidence 1 + alpha * rank (chosen on seed 1 of the
  // bench; see docs/benchmarks.md).
  Weighting als_weighting{Weighting::Kind::kRank};
  AlsOptions als = [] {
    AlsOptions o;
    o.factors = 64;
    o.iterations = 15;
    o.alpha = 30.0f;
    o.regularization = 50.0f;
    o.log_confidence = false;
    return o;
  }();
  // EASE next to ALS: weight of its standardised scores (0 = no EASE, nothing trained for it).
  float ease_weight = 0.25f;
  EaseOptions ease;
};

class Recommender {
 public:
  // `progress(step, steps)` after each ALS sweep; returning false stops ALS early.
  static Recommender train(const Interactions& data, const RecommenderOptions& options,
                           const std::function<bool(int, int)>& progress = {});

  int32_t items() const { return static_cast<int32_t>(als_.items.rows()); }
  bool has_ease() const { return ease_.has_value(); }

  // Scores every item (`out`: items() entries, overwritten; larger is better) for a user with
  // these items (indices of the training data, any order, no repeats) and raw weights (play
  // counts, the same kind of weights the model was trained on). The user's own items are scored
  // too: callers exclude them (evaluate.h's top_k takes an exclusion list). Each model's scores
  // are standardised over the items EASE models (mean 0, deviation 1) before the weighted sum;
  // items EASE leaves out (fewer than ease.min_users users) count as EASE's lowest score.
  // With no items every score is the same. Throws std::invalid_argument on mismatched sizes or
  // unknown items. Thread-safe (const; scratch space is per call).
  void score_user(std::span<const int32_t> items, std::span<const float> weights, std::span<float> out) const;

 private:
  AlsModel als_;
  AlsOptions als_options_;
  Weighting als_weighting_;
  std::optional<EaseModel> ease_;
  float ease_weight_ = 0;
};

}  // namespace segue::recommend
