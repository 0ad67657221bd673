#include "recommend/neighbors.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace segue::recommend {

ItemNeighbors ItemNeighbors::build(const Interactions& data, const NeighborOptions& o) {
  if (o.neighbors < 1) throw std::invalid_argument("neighbors: at least one per item");
  const int32_t n = data.items();
  const auto value = [&](float w) { return o.binary ? 1.0f : w; };
  // Per-row normalisers: the items' norms (cosine), or the out-weights of items and users
  // (RP3beta's transition probabilities).
  std::vector<float> item_norm(static_cast<std::size_t>(n), 0.0f), item_out(static_cast<std::size_t>(n), 0.0f);
  std::vector<float> user_out(static_cast<std::size_t>(data.users()), 0.0f);
  for (int32_t i = 0; i < n; ++i) {
    for (float w : data.item_weights(i)) {
      item_norm[static_cast<std::size_t>(i)] += value(w) * value(w);
      item_out[static_cast<std::size_t>(i)] += value(w);
    }
    item_norm[static_cast<std::size_t>(i)] = std::sqrt(item_norm[static_cast<std::size_t>(i)]);
  }
  for (int32_t u = 0; u < data.users(); ++u)
    for (float w : data.weights_of(u)) user_out[static_cast<std::size_t>(u)] += value(w);
  const auto degrees = data.item_degrees();

  struct Row {
    std::vector<int32_t> col;
    std::vector<float> val;
  };
  std::vector<Row> rows(static_cast<std::size_t>(n));
  const int threads = std::max(1, o.threads);
  auto work = [&](int t) {
    std::vector<float> acc(static_cast<std::size_t>(n), 0.0f);
    std::vector<int32_t> touched;
    for (int32_t i = t; i < n; i += threads) {
      touched.clear();
      auto users = data.users_of(i);
      auto uw = data.item_weights(i);
      for (std::size_t a = 0; a < users.size(); ++a) {
        const int32_t u = users[a];
        float step1;  // item i -> user u
        if (o.similarity == NeighborOptions::Similarity::kCosine)
          step1 = value(uw[a]);
        else
          step1 = std::pow(value(uw[a]) / item_out[static_cast<std::size_t>(i)], o.alpha);
        auto items = data.items_of(u);
        auto w = data.weights_of(u);
        for (std::size_t b = 0; b < items.size(); ++b) {
          const int32_t j = items[b];
          if (j == i) continue;
          float step2;  // user u -> item j
          if (o.similarity == NeighborOptions::Similarity::kCosine)
            step2 = value(w[b]);
          else
            step2 = std::pow(value(w[b]) / user_out[static_cast<std::size_t>(u)], o.alpha);
          if (acc[static_cast<std::size_t>(j)] == 0.0f) touched.push_back(j);
          acc[static_cast<std::size_t>(j)] += step1 * step2;
        }
      }
      std::vector<std::pair<float, int32_t>> cand;
      cand.reserve(touched.size());
      for (int32_t j : touched) {
        float s = acc[static_cast<std::size_t>(j)];
        acc[static_cast<std::size_t>(j)] = 0.0f;
        if (o.similarity == NeighborOptions::Similarity::kCosine)
          s /= item_norm[static_cast<std::size_t>(i)] * item_norm[static_cast<std::size_t>(j)] + o.shrink;
        else
          s /= std::pow(static_cast<float>(degrees[static_cast<std::size_t>(j)]), o.beta);
        if (s > 0) cand.emplace_back(s, j);
      }
      const std::size_t keep = std::min(cand.size(), static_cast<std::size_t>(o.neighbors));
      std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(keep), cand.end(),
                        [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
      Row& r = rows[static_cast<std::size_t>(i)];
      for (std::size_t k = 0; k < keep; ++k) {
        r.col.push_back(cand[k].second);
        r.val.push_back(cand[k].first);
      }
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
    for (auto& th : pool) th.join();
  }
  ItemNeighbors m;
  m.binary_ = o.binary;
  m.ptr_.assign(static_cast<std::size_t>(n) + 1, 0);
  for (int32_t i = 0; i < n; ++i)
    m.ptr_[static_cast<std::size_t>(i) + 1] = m.ptr_[static_cast<std::size_t>(i)] + static_cast<int64_t>(rows[static_cast<std::size_t>(i)].col.size());
  m.col_.reserve(static_cast<std::size_t>(m.ptr_.back()));
  m.val_.reserve(static_cast<std::size_t>(m.ptr_.back()));
  for (auto& r : rows) {
    m.col_.insert(m.col_.end(), r.col.begin(), r.col.end());
    m.val_.insert(m.val_.end(), r.val.begin(), r.val.end());
  }
  return m;
}

void ItemNeighbors::score(std::span<const int32_t> items, std::span<const float> weights, std::span<float> out) const {
  if (out.size() != static_cast<std::size_t>(this->items())) throw std::invalid_argument("score: wrong output size");
  std::fill(out.begin(), out.end(), 0.0f);
  for (std::size_t n = 0; n < items.size(); ++n) {
    const float w = binary_ ? 1.0f : weights[n];
    auto nb = neighbors_of(items[n]);
    auto sim = similarities_of(items[n]);
    for (std::size_t k = 0; k < nb.size(); ++k) out[static_cast<std::size_t>(nb[k])] += w * sim[k];
  }
}

Result<ItemNeighbors> ItemNeighbors::from_csr(std::vector<int64_t> ptr, std::vector<int32_t> col,
                                              std::vector<float> val, bool binary) {
  if (ptr.empty() || ptr.front() != 0 || static_cast<std::size_t>(ptr.back()) != col.size() || col.size() != val.size())
    return Error::invalid("neighbour lists: bad offsets");
  for (std::size_t i = 1; i < ptr.size(); ++i)
    if (ptr[i] < ptr[i - 1]) return Error::invalid("neighbour lists: offsets decrease");
  const auto items = static_cast<int64_t>(ptr.size()) - 1;
  for (int32_t c : col)
    if (c < 0 || c >= items) return Error::invalid("neighbour lists: neighbour out of range");
  ItemNeighbors n;
  n.ptr_ = std::move(ptr);
  n.col_ = std::move(col);
  n.val_ = std::move(val);
  n.binary_ = binary;
  return n;
}

}  // namespace segue::recommend
