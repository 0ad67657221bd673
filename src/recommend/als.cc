#include "recommend/als.h"

#include <Eigen/Dense>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace segue::recommend {
namespace {

float confidence(float w, const AlsOptions& o) {
  return 1.0f + o.alpha * (o.log_confidence ? std::log1p(w / o.epsilon) : w);
}

// Per-thread scratch space for one row's solve.
struct Workspace {
  std::vector<float> rows;  // the row's neighbours' factors, gathered (n x k, row-major)
  Eigen::VectorXf c, cm1, t, r, p, Ap;
};

// Solves one row x of `solve` (users against item factors Y, or the reverse) in place:
// (YtY + lambda I + sum_i (c_i - 1) y_i y_i^T) x = sum_i c_i y_i, by `steps` CG steps from x.
// The factors of the row's items are gathered into one block first, so each step is two
// matrix-vector products over it instead of a loop of small dot products.
void cg_row(Eigen::Ref<Eigen::VectorXf> x, const FactorMatrix& Y, const Eigen::MatrixXf& YtY_reg,
            std::span<const int32_t> idx, std::span<const float> w, const AlsOptions& o, Workspace& ws) {
  const auto n = static_cast<Eigen::Index>(idx.size());
  const auto k = static_cast<Eigen::Index>(Y.cols());
  if (ws.rows.size() < static_cast<std::size_t>(n * k)) ws.rows.resize(static_cast<std::size_t>(n * k));
  Eigen::Map<FactorMatrix> G(ws.rows.data(), n, k);
  if (ws.c.size() < n) {
    ws.c.resize(n);
    ws.cm1.resize(n);
    ws.t.resize(n);
  }
  for (Eigen::Index j = 0; j < n; ++j) {
    G.row(j) = Y.row(idx[static_cast<std::size_t>(j)]);
    const float c = confidence(w[static_cast<std::size_t>(j)], o);
    ws.c[j] = c;
    ws.cm1[j] = c - 1.0f;
  }
  auto c = ws.c.head(n);
  auto cm1 = ws.cm1.head(n);
  auto t = ws.t.head(n);
  auto& r = ws.r;
  auto& p = ws.p;
  auto& Ap = ws.Ap;
  // r = b - A x = G^T (c - (c - 1) .* (G x)) - YtY_reg x
  t.noalias() = G * x;
  t = (c.array() - cm1.array() * t.array()).matrix();
  r.noalias() = G.transpose() * t;
  r.noalias() -= YtY_reg * x;
  p = r;
  float rsold = r.squaredNorm();
  if (rsold < 1e-20f) return;
  for (int it = 0; it < o.cg_steps; ++it) {
    t.noalias() = G * p;
    t.array() *= cm1.array();
    Ap.noalias() = YtY_reg * p;
    Ap.noalias() += G.transpose() * t;
    const float pAp = p.dot(Ap);
    if (!(pAp > 0)) break;
    const float a = rsold / pAp;
    x.noalias() += a * p;
    r.noalias() -= a * Ap;
    const float rsnew = r.squaredNorm();
    if (rsnew < 1e-20f) break;
    p = r + (rsnew / rsold) * p;
    rsold = rsnew;
  }
}

template <typename RowsOf>
void sweep(FactorMatrix& X, const FactorMatrix& Y, int32_t rows, RowsOf rows_of, const AlsOptions& o) {
  const int k = static_cast<int>(Y.cols());
  Eigen::MatrixXf YtY = Y.transpose() * Y;
  YtY.diagonal().array() += o.regularization;
  const int threads = std::max(1, o.threads);
  // Threads take chunks of rows as they go (a thread whose core is busy with something else, or
  // whose rows are long, does fewer), rather than a fixed share each.
  constexpr int32_t kChunk = 256;
  std::atomic<int32_t> next{0};
  auto work = [&](int) {
    Workspace ws;
    ws.r.resize(k);
    ws.p.resize(k);
    ws.Ap.resize(k);
    for (;;) {
      const int32_t from = next.fetch_add(kChunk);
      if (from >= rows) break;
      const int32_t to = std::min(rows, from + kChunk);
      for (int32_t u = from; u < to; ++u) {
        auto [idx, w] = rows_of(u);
        if (idx.empty()) {
          X.row(u).setZero();  // nothing known: no preference for anything
          continue;
        }
        Eigen::VectorXf x = X.row(u).transpose();
        cg_row(x, Y, YtY, idx, w, o, ws);
        X.row(u) = x.transpose();
      }
    }
  };
  if (threads == 1) {
    work(0);
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
}

}  // namespace

void AlsModel::score(int32_t user, std::span<float> out) const {
  if (out.size() != static_cast<std::size_t>(items.rows())) throw std::invalid_argument("score: wrong output size");
  Eigen::Map<Eigen::VectorXf> s(out.data(), static_cast<Eigen::Index>(out.size()));
  s.noalias() = items * users.row(user).transpose();
}

Eigen::VectorXf AlsModel::fold_in(std::span<const int32_t> idx, std::span<const float> w,
                                  const AlsOptions& options) const {
  return items * fold_in_factors(idx, w, options);
}

Eigen::VectorXf AlsModel::fold_in_factors(std::span<const int32_t> idx, std::span<const float> w,
                                          const AlsOptions& options) const {
  const int k = static_cast<int>(items.cols());
  // The Gram matrix costs items x factors^2; train_als keeps it so a fold-in does not redo it.
  Eigen::MatrixXf A = item_gram.rows() == k ? item_gram : Eigen::MatrixXf(items.transpose() * items);
  A.diagonal().array() += options.regularization;
  Eigen::VectorXf b = Eigen::VectorXf::Zero(k);
  for (std::size_t n = 0; n < idx.size(); ++n) {
    const float c = confidence(w[n], options);
    auto y = items.row(idx[n]);
    A.noalias() += (c - 1.0f) * y.transpose() * y;
    b.noalias() += c * y.transpose();
  }
  return A.ldlt().solve(b);
}

AlsModel train_als(const Interactions& data, const AlsOptions& o, const std::function<bool(int, int)>& progress) {
  if (o.factors < 1 || o.iterations < 0 || o.cg_steps < 1 || !(o.regularization >= 0) || !(o.alpha >= 0))
    throw std::invalid_argument("als: bad options");
  AlsModel m;
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<float> normal(0.0f, 0.01f);
  m.users = FactorMatrix::Zero(data.users(), o.factors);
  m.items.resize(data.items(), o.factors);
  for (Eigen::Index i = 0; i < m.items.size(); ++i) m.items.data()[i] = normal(rng);
  for (int it = 0; it < o.iterations; ++it) {
    sweep(m.users, m.items, data.users(),
          [&](int32_t u) { return std::pair{data.items_of(u), data.weights_of(u)}; }, o);
    sweep(m.items, m.users, data.items(),
          [&](int32_t i) { return std::pair{data.users_of(i), data.item_weights(i)}; }, o);
    if (progress && !progress(it + 1, o.iterations)) break;
  }
  m.item_gram = m.items.transpose() * m.items;
  return m;
}

double als_loss(const Interactions& data, const AlsModel& m, const AlsOptions& o) {
  double loss = 0;
  std::vector<float> s(static_cast<std::size_t>(data.items()));
  for (int32_t u = 0; u < data.users(); ++u) {
    m.score(u, s);
    std::vector<float> c(s.size(), 1.0f), p(s.size(), 0.0f);
    auto idx = data.items_of(u);
    auto w = data.weights_of(u);
    for (std::size_t n = 0; n < idx.size(); ++n) {
      c[static_cast<std::size_t>(idx[n])] = confidence(w[n], o);
      p[static_cast<std::size_t>(idx[n])] = 1.0f;
    }
    for (std::size_t i = 0; i < s.size(); ++i) loss += c[i] * (p[i] - s[i]) * (p[i] - s[i]);
  }
  loss += o.regularization * (m.users.squaredNorm() + m.items.squaredNorm());
  return loss;
}

}  // namespace segue::recommend
