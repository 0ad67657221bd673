// How stored weights (play counts, which on Last.fm span 1 to 350,000 between users) become the
// values the models learn from. Every transform here looks at one user's weights only, so the
// same transform applies to a user the model never saw (scoring from their history).
#pragma once

#include <span>

#include "recommend/interactions.h"

namespace segue::recommend {

struct Weighting {
  enum class Kind {
    kRaw,     // the weight as stored
    kBinary,  // 1 for every item the user has
    kLog,     // log(1 + w / epsilon)
    kRank,    // 1 - (items of the user with a larger weight) / (items of the user): the user's
              // favourite 1, their least played 1/n; a user's scale (how much they listen) drops out
  } kind = Kind::kBinary;
  float epsilon = 1.0f;
  // kLog: divide by the user's largest value (each user's favourite counts 1).
  bool per_user_max = false;
  // One user's values (same order as `weights`) into `out` (same size).
  void apply(std::span<const float> weights, std::span<float> out) const;
};

// The same users and items with every user's weights transformed.
Interactions reweight(const Interactions& data, const Weighting& weighting);

}  // namespace segue::recommend
