#include "recommend/evaluate.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

namespace segue::recommend {

Split split_per_user(const Interactions& all, double fraction, int min_items, uint64_t seed) {
  std::vector<Triple> keep;
  keep.reserve(all.nnz());
  Split s;
  s.hidden.resize(static_cast<std::size_t>(all.users()));
  std::mt19937_64 rng(seed);
  for (int32_t u = 0; u < all.users(); ++u) {
    auto items = all.items_of(u);
    auto w = all.weights_of(u);
    std::vector<std::size_t> order(items.size());
    for (std::size_t n = 0; n < order.size(); ++n) order[n] = n;
    std::size_t hide = 0;
    if (static_cast<int>(items.size()) >= min_items) {
      std::shuffle(order.begin(), order.end(), rng);
      hide = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(items.size())));
    }
    for (std::size_t n = 0; n < order.size(); ++n) {
      const std::size_t at = order[n];
      if (n < hide)
        s.hidden[static_cast<std::size_t>(u)].push_back(items[at]);
      else
        keep.push_back({u, items[at], w[at]});
    }
    std::sort(s.hidden[static_cast<std::size_t>(u)].begin(), s.hidden[static_cast<std::size_t>(u)].end());
  }
  s.train = Interactions::from_triples(all.users(), all.items(), std::move(keep));
  return s;
}

std::vector<int32_t> top_k(std::span<const float> scores, std::span<const int32_t> exclude, std::size_t k) {
  std::vector<std::pair<float, int32_t>> heap;  // min-heap of the best k so far
  heap.reserve(k + 1);
  auto worse = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::size_t e = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    while (e < exclude.size() && static_cast<std::size_t>(exclude[e]) < i) ++e;
    if (e < exclude.size() && static_cast<std::size_t>(exclude[e]) == i) continue;
    std::pair<float, int32_t> c{scores[i], static_cast<int32_t>(i)};
    if (heap.size() < k) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), worse);
    } else if (k > 0 && worse(c, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), worse);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), worse);
    }
  }
  std::sort(heap.begin(), heap.end(), worse);
  std::vector<int32_t> out;
  out.reserve(heap.size());
  for (const auto& h : heap) out.push_back(h.second);
  return out;
}

Accuracy evaluate(const Split& split, std::size_t k, const std::function<void(int32_t, std::span<float>)>& score,
                  int threads) {
  std::mutex mu;
  Accuracy total;
  const int32_t users = split.train.users();
  auto work = [&](int t) {
    std::vector<float> s(static_cast<std::size_t>(split.train.items()));
    double recall = 0, ndcg = 0;
    std::size_t n = 0;
    for (int32_t u = t; u < users; u += threads) {
      const auto& hidden = split.hidden[static_cast<std::size_t>(u)];
      if (hidden.empty()) continue;
      score(u, s);
      auto top = top_k(s, split.train.items_of(u), k);
      double hits = 0, dcg = 0, idcg = 0;
      for (std::size_t r = 0; r < top.size(); ++r)
        if (std::binary_search(hidden.begin(), hidden.end(), top[r])) {
          hits += 1;
          dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
        }
      for (std::size_t r = 0; r < std::min(k, hidden.size()); ++r) idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
      recall += hits / static_cast<double>(std::min(k, hidden.size()));
      ndcg += dcg / idcg;
      ++n;
    }
    std::lock_guard lock(mu);
    total.recall += recall;
    total.ndcg += ndcg;
    total.users += n;
  };
  threads = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
  if (total.users) {
    total.recall /= static_cast<double>(total.users);
    total.ndcg /= static_cast<double>(total.users);
  }
  return total;
}

}  // namespace segue::recommend
