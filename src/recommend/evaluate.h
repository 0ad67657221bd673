// Offline evaluation of a recommender by hiding part of each user's items: train on the rest,
// rank every item the user does not have in training, and count how many hidden ones reach the
// top k (Recall@k = hits / min(k, hidden), the normalisation that lets a perfect ranking score
// 1; NDCG@k with binary relevance).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "recommend/interactions.h"

namespace segue::recommend {

struct Split {
  Interactions train;
  std::vector<std::vector<int32_t>> hidden;  // per user, ascending
};

// Hides round(fraction * n) of the items of every user with at least `min_items` items, chosen
// with `seed` (the same seed, the same split).
Split split_per_user(const Interactions& all, double fraction, int min_items, uint64_t seed);

// The best `k` items by score, skipping `exclude` (ascending), best first; ties by item index.
std::vector<int32_t> top_k(std::span<const float> scores, std::span<const int32_t> exclude, std::size_t k);

struct Accuracy {
  double recall = 0;
  double ndcg = 0;
  std::size_t users = 0;  // users with hidden items
};

// `score(user, out)` fills out (items() entries). Runs users on `threads` threads.
Accuracy evaluate(const Split& split, std::size_t k, const std::function<void(int32_t, std::span<float>)>& score,
                  int threads = 2);

}  // namespace segue::recommend
