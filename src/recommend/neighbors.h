// Item-to-item models: for every item, its most similar items with a weight, kept sparse (the
// best `neighbors` per item). A user's score for an item sums, over the items they have, their
// weight for that item times the item's similarity to it.
//
// Two similarities:
// - cosine of the items' user vectors (the classic item-kNN; Sarwar et al., WWW 2001);
// - P^3_alpha with popularity penalty beta ("RP3beta", Paudel et al., ACM TiiS 2017): the
//   probability of a three-step random walk item -> user -> item on the bipartite graph, each
//   step's transition probabilities raised to `alpha`, divided by the target item's popularity
//   to the power `beta`, which keeps hits from drowning the long tail.
// Also used for "related" items (a track's or an artist's neighbours) and as the neighbour
// lists radio and Because-you-listened-to sections start from.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "recommend/interactions.h"

namespace segue::recommend {

struct NeighborOptions {
  enum class Similarity { kCosine, kRp3beta } similarity = Similarity::kRp3beta;
  int neighbors = 200;     // kept per item
  float alpha = 1.0f;      // RP3beta: exponent on transition probabilities
  float beta = 0.5f;       // RP3beta: popularity penalty
  float shrink = 0.0f;     // cosine: added to the norm product (damps pairs with little support)
  bool binary = true;      // use 1 for every observed pair instead of its weight
  int threads = 2;
};

class ItemNeighbors {
 public:
  static ItemNeighbors build(const Interactions& data, const NeighborOptions& options);
  int32_t items() const { return static_cast<int32_t>(ptr_.size()) - 1; }
  // Item's neighbours, most similar first.
  std::span<const int32_t> neighbors_of(int32_t item) const {
    return {col_.data() + ptr_[static_cast<std::size_t>(item)], static_cast<std::size_t>(ptr_[item + 1] - ptr_[item])};
  }
  std::span<const float> similarities_of(int32_t item) const {
    return {val_.data() + ptr_[static_cast<std::size_t>(item)], static_cast<std::size_t>(ptr_[item + 1] - ptr_[item])};
  }
  // Scores every item for someone with these items and weights (out: items() entries, zeroed here).
  void score(std::span<const int32_t> items, std::span<const float> weights, std::span<float> out) const;

  // The lists in compressed form (a saved model): ptr has items() + 1 offsets into col and val.
  const std::vector<int64_t>& csr_ptr() const { return ptr_; }
  const std::vector<int32_t>& csr_col() const { return col_; }
  const std::vector<float>& csr_val() const { return val_; }
  bool binary() const { return binary_; }
  // Error::invalid unless ptr starts at 0, never decreases and ends at col's size (== val's),
  // and every neighbour is an item (< ptr.size() - 1).
  static Result<ItemNeighbors> from_csr(std::vector<int64_t> ptr, std::vector<int32_t> col, std::vector<float> val,
                                        bool binary);

 private:
  std::vector<int64_t> ptr_{0};
  std::vector<int32_t> col_;
  std::vector<float> val_;
  bool binary_ = true;
};

}  // namespace segue::recommend
