#include "recommend/weighting.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace segue::recommend {

void Weighting::apply(std::span<const float> w, std::span<float> out) const {
  if (out.size() != w.size()) throw std::invalid_argument("weighting: sizes differ");
  if (!(epsilon > 0)) throw std::invalid_argument("weighting: epsilon must be positive");
  const std::size_t n = w.size();
  switch (kind) {
    case Kind::kRaw:
      std::copy(w.begin(), w.end(), out.begin());
      break;
    case Kind::kBinary:
      std::fill(out.begin(), out.end(), 1.0f);
      break;
    case Kind::kLog:
      for (std::size_t k = 0; k < n; ++k) out[k] = std::log1p(std::max(0.0f, w[k]) / epsilon);
      if (per_user_max && n > 0) {
        const float m = *std::max_element(out.begin(), out.end());
        if (m > 0)
          for (auto& v : out) v /= m;
      }
      break;
    case Kind::kRank: {
      // Sorted copy: the number of weights larger than w[k] is n minus the upper bound of w[k].
      std::vector<float> sorted(w.begin(), w.end());
      std::sort(sorted.begin(), sorted.end());
      for (std::size_t k = 0; k < n; ++k) {
        const auto larger = sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), w[k]);
        out[k] = 1.0f - static_cast<float>(larger) / static_cast<float>(n);
      }
      break;
    }
  }
}

Interactions reweight(const Interactions& data, const Weighting& weighting) {
  std::vector<Triple> t;
  t.reserve(data.nnz());
  std::vector<float> v;
  for (int32_t u = 0; u < data.users(); ++u) {
    auto idx = data.items_of(u);
    v.resize(idx.size());
    weighting.apply(data.weights_of(u), v);
    for (std::size_t k = 0; k < idx.size(); ++k) t.push_back({u, idx[k], v[k]});
  }
  return Interactions::from_triples(data.users(), data.items(), std::move(t));
}

}  // namespace segue::recommend
