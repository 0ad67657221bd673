// EASE ("Embarrassingly Shallow Autoencoders for Sparse Data", Steck, WWW 2019): a dense
// item-to-item weight matrix B learned in closed form. It minimises ||X - X B||^2 + lambda ||B||^2
// subject to diag(B) = 0 (an item may not predict itself), whose solution is
//   P = (X^T X + lambda I)^-1,   B_ij = -P_ij / P_jj (i != j),   B_jj = 0.
// A user's score for item j is sum_i x_i B_ij over the items i they have, so a user the model
// never saw is scored from their history alone (nothing to fold in).
//
// Only items with at least `min_users` users are modelled (the others have no co-occurrence to
// learn from, and leaving them out keeps the n x n inverse small): they score lowest.
// Training costs O(nnz * items per user) for X^T X plus O(n^3) for the inverse; memory is three
// n x n matrices while training and one (float) after. Fine for a few thousand items (HetRec's
// 5,000 artists with two or more listeners: seconds); a catalogue of 100,000 tracks needs the
// items cut down first (most played) or a sparse approximation, which this does not do.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <vector>

#include "recommend/interactions.h"
#include "recommend/weighting.h"

namespace segue::recommend {

struct EaseOptions {
  float lambda = 200.0f;  // L2 penalty; larger for denser data
  int min_users = 2;      // items with fewer users are left out of B
  Weighting weighting;
};

class EaseModel {
 public:
  static EaseModel train(const Interactions& data, const EaseOptions& options);

  int32_t items() const { return static_cast<int32_t>(index_.size()); }  // all items, as in the data
  int32_t modelled() const { return static_cast<int32_t>(item_of_.size()); }
  bool modelled(int32_t item) const { return index_[static_cast<std::size_t>(item)] >= 0; }
  // B's weight from item `from` to item `to` (0 if either is not modelled).
  float weight(int32_t from, int32_t to) const;

  // Scores every item for someone with these items and raw weights (`out`: items() entries,
  // overwritten). Items not modelled get the lowest float, below any score a modelled item gets.
  void score(std::span<const int32_t> items, std::span<const float> weights, std::span<float> out) const;

 private:
  std::vector<int32_t> index_;    // item -> row/column of B, or -1
  std::vector<int32_t> item_of_;  // row of B -> item
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> b_;
  Weighting weighting_;
};

}  // namespace segue::recommend
