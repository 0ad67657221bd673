// Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren and Volinsky,
// "Collaborative Filtering for Implicit Feedback Datasets", ICDM 2008), each least-squares
// problem solved approximately by a few conjugate-gradient steps warm-started from the previous
// sweep (Takács, Pilászy and Tikk, RecSys 2011), so a sweep costs O(nnz k + (users + items) k^2)
// instead of O((users + items) k^3).
//
// Every observed (user, item) pair is a preference of 1 with confidence c = 1 + alpha * f(weight)
// (f the identity, or log(1 + weight / epsilon) for play counts, whose range is wide); every
// unobserved pair a preference of 0 with confidence 1.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <span>

#include "recommend/interactions.h"

namespace segue::recommend {

using FactorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct AlsOptions {
  int factors = 64;
  int iterations = 15;      // sweeps (users then items)
  int cg_steps = 3;         // conjugate-gradient steps per row and sweep
  float regularization = 0.05f;
  float alpha = 2.0f;
  bool log_confidence = true;  // f(w) = log(1 + w / epsilon), else f(w) = w
  float epsilon = 1.0f;
  int threads = 2;
  uint64_t seed = 42;
};

struct AlsModel {
  FactorMatrix users;  // users x factors
  FactorMatrix items;  // items x factors
  Eigen::MatrixXf item_gram;  // items^T items (factors x factors), kept by train_als for fold_in
  // The user's predicted preference for every item (`out` has items() entries).
  void score(int32_t user, std::span<float> out) const;
  // Predicted preferences for a user given only their items (fold-in: one least-squares solve
  // against the item factors), for users the model was not trained with.
  Eigen::VectorXf fold_in(std::span<const int32_t> items, std::span<const float> weights,
                          const AlsOptions& options) const;
  // The folded-in user's factors themselves (fold_in() is items times these).
  Eigen::VectorXf fold_in_factors(std::span<const int32_t> items, std::span<const float> weights,
                                  const AlsOptions& options) const;
};

// `progress(iteration, iterations)` after each sweep; returning false stops early.
AlsModel train_als(const Interactions& data, const AlsOptions& options,
                   const std::function<bool(int, int)>& progress = {});

// The loss the model minimises (weighted squared error over all pairs plus the penalty), for
// tests: O(users * items * factors), small data only.
double als_loss(const Interactions& data, const AlsModel& model, const AlsOptions& options);

}  // namespace segue::recommend
