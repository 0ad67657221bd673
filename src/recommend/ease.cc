#include "recommend/ease.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace segue::recommend {

EaseModel EaseModel::train(const Interactions& data, const EaseOptions& o) {
  if (!(o.lambda > 0) || o.min_users < 1 || !(o.weighting.epsilon > 0)) throw std::invalid_argument("ease: bad options");
  EaseModel m;
  m.weighting_ = o.weighting;
  m.index_.assign(static_cast<std::size_t>(data.items()), -1);
  for (int32_t i = 0; i < data.items(); ++i)
    if (static_cast<int>(data.users_of(i).size()) >= o.min_users) {
      m.index_[static_cast<std::size_t>(i)] = static_cast<int32_t>(m.item_of_.size());
      m.item_of_.push_back(i);
    }
  const auto n = static_cast<Eigen::Index>(m.item_of_.size());
  // G = X^T X + lambda I over the modelled items, one user's outer product at a time (lower
  // triangle only: the Cholesky factorisation reads no more).
  Eigen::MatrixXf g = Eigen::MatrixXf::Zero(n, n);
  std::vector<int32_t> rows;
  std::vector<float> vals, x;
  for (int32_t u = 0; u < data.users(); ++u) {
    auto idx = data.items_of(u);
    x.resize(idx.size());
    o.weighting.apply(data.weights_of(u), x);
    rows.clear();
    vals.clear();
    for (std::size_t k = 0; k < idx.size(); ++k) {
      const int32_t r = m.index_[static_cast<std::size_t>(idx[k])];
      if (r >= 0) {
        rows.push_back(r);
        vals.push_back(x[k]);
      }
    }
    // idx is ascending and so are the rows: rows[a] >= rows[b] for a >= b.
    for (std::size_t a = 0; a < rows.size(); ++a)
      for (std::size_t b = 0; b <= a; ++b) g(rows[a], rows[b]) += vals[a] * vals[b];
  }
  g.diagonal().array() += o.lambda;
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>> llt(g);  // in place: g now holds L
  if (llt.info() != Eigen::Success) throw std::runtime_error("ease: factorisation failed");
  Eigen::MatrixXf p = llt.solve(Eigen::MatrixXf::Identity(n, n));
  m.b_.resize(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) m.b_(i, j) = i == j ? 0.0f : static_cast<float>(-p(i, j) / p(j, j));
  return m;
}

float EaseModel::weight(int32_t from, int32_t to) const {
  const int32_t a = index_.at(static_cast<std::size_t>(from)), b = index_.at(static_cast<std::size_t>(to));
  return a < 0 || b < 0 ? 0.0f : b_(a, b);
}

void EaseModel::score(std::span<const int32_t> idx, std::span<const float> w, std::span<float> out) const {
  if (out.size() != index_.size()) throw std::invalid_argument("score: wrong output size");
  if (idx.size() != w.size()) throw std::invalid_argument("score: items and weights differ in size");
  std::vector<float> x(idx.size());
  weighting_.apply(w, x);
  Eigen::VectorXf s = Eigen::VectorXf::Zero(b_.cols());
  for (std::size_t k = 0; k < idx.size(); ++k) {
    const int32_t item = idx[k];
    if (item < 0 || static_cast<std::size_t>(item) >= index_.size()) throw std::out_of_range("score: unknown item");
    const int32_t r = index_[static_cast<std::size_t>(item)];
    if (r >= 0) s.noalias() += x[k] * b_.row(r).transpose();
  }
  std::fill(out.begin(), out.end(), std::numeric_limits<float>::lowest());
  for (std::size_t r = 0; r < item_of_.size(); ++r) out[static_cast<std::size_t>(item_of_[r])] = s[static_cast<Eigen::Index>(r)];
}

}  // namespace segue::recommend
