#include "recommend/recommender.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace segue::recommend {

Recommender Recommender::train(const Interactions& data, const RecommenderOptions& o,
                               const std::function<bool(int, int)>& progress) {
  if (!(o.ease_weight >= 0)) throw std::invalid_argument("recommender: ease_weight must be >= 0");
  Recommender r;
  r.als_options_ = o.als;
  r.als_weighting_ = o.als_weighting;
  r.als_ = train_als(reweight(data, o.als_weighting), o.als, progress);
  r.ease_weight_ = o.ease_weight;
  if (o.ease_weight > 0) r.ease_ = EaseModel::train(data, o.ease);
  return r;
}

namespace {

// Mean and standard deviation of v over the entries `use` admits.
template <typename Use>
std::pair<double, double> moments(std::span<const float> v, Use use) {
  double s = 0, ss = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (use(i)) {
      s += v[i];
      ss += static_cast<double>(v[i]) * v[i];
      ++n;
    }
  if (n == 0) return {0.0, 1.0};
  const double m = s / static_cast<double>(n);
  const double var = ss / static_cast<double>(n) - m * m;
  return {m, var > 1e-24 ? std::sqrt(var) : 1.0};
}

}  // namespace

void Recommender::score_user(std::span<const int32_t> idx, std::span<const float> w, std::span<float> out) const {
  const auto n = static_cast<std::size_t>(items());
  if (out.size() != n) throw std::invalid_argument("score_user: wrong output size");
  if (idx.size() != w.size()) throw std::invalid_argument("score_user: items and weights differ in size");
  for (auto i : idx)
    if (i < 0 || static_cast<std::size_t>(i) >= n) throw std::invalid_argument("score_user: unknown item");
  std::vector<float> v(idx.size());
  als_weighting_.apply(w, v);
  Eigen::VectorXf a = als_.fold_in(idx, v, als_options_);
  if (!ease_) {
    std::copy(a.data(), a.data() + a.size(), out.begin());
    return;
  }
  std::vector<float> e(n);
  ease_->score(idx, w, e);
  auto modelled = [&](std::size_t i) { return ease_->modelled(static_cast<int32_t>(i)); };
  std::span<const float> as(a.data(), n);
  const auto [ma, sa] = moments(as, modelled);
  const auto [me, se] = moments(e, modelled);
  double lowest = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (modelled(i)) lowest = std::min(lowest, (e[i] - me) / se);
  for (std::size_t i = 0; i < n; ++i) {
    const double ze = modelled(i) ? (e[i] - me) / se : lowest;
    out[i] = static_cast<float>((a[static_cast<Eigen::Index>(i)] - ma) / sa + ease_weight_ * ze);
  }
}

}  // namespace segue::recommend
