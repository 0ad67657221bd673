#include "recommend/comembership.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace segue::recommend {

CoMembership CoMembership::build(const std::vector<std::vector<std::string>>& lists, const CoMembershipOptions& options) {
  CoMembership m;
  std::vector<Triple> triples;
  int32_t kept = 0;
  std::vector<int32_t> items;
  for (const auto& list : lists) {
    std::unordered_set<std::string> distinct(list.begin(), list.end());
    distinct.erase(std::string());
    if (distinct.size() < std::max<std::size_t>(options.min_tracks, 1)) continue;
    items.clear();
    for (const auto& id : list) {
      if (id.empty() || !distinct.erase(id)) continue;  // each track once, in list order
      auto [it, added] = m.index.emplace(id, static_cast<int32_t>(m.ids.size()));
      if (added) m.ids.push_back(id);
      items.push_back(it->second);
    }
    for (int32_t i : items) triples.push_back({kept, i, 1.0f});
    ++kept;
  }
  m.lists = kept;
  auto data = Interactions::from_triples(kept, static_cast<int32_t>(m.ids.size()), std::move(triples));
  m.lists_per_track = data.item_degrees();
  m.neighbors = ItemNeighbors::build(data, options.neighbors);
  return m;
}

std::vector<std::pair<int32_t, float>> CoMembership::score(std::span<const std::string> tracks) const {
  std::unordered_map<int32_t, float> acc;
  std::unordered_set<int32_t> seen;
  for (const auto& id : tracks) {
    auto i = find(id);
    if (!i || !seen.insert(*i).second) continue;
    auto nb = neighbors.neighbors_of(*i);
    auto sim = neighbors.similarities_of(*i);
    for (std::size_t k = 0; k < nb.size(); ++k) acc[nb[k]] += sim[k];
  }
  std::vector<std::pair<int32_t, float>> out(acc.begin(), acc.end());
  std::sort(out.begin(), out.end());  // a fixed order, whatever the hash map's
  std::erase_if(out, [](const auto& p) { return !(p.second != 0.0f) || !std::isfinite(p.second); });
  return out;
}

void blend_add(std::span<float> out, std::span<const float> x, float weight) {
  if (x.empty() || x.size() != out.size() || weight == 0.0f) return;
  double sum = 0;
  for (float v : x) sum += v;
  const double mean = sum / static_cast<double>(x.size());
  double sq = 0;
  for (float v : x) sq += (v - mean) * (v - mean);
  const double sd = std::sqrt(sq / static_cast<double>(x.size()));
  if (!(sd > 1e-12) || !std::isfinite(sd)) return;
  for (std::size_t i = 0; i < x.size(); ++i) out[i] += static_cast<float>(weight * (x[i] - mean) / sd);
}

}  // namespace segue::recommend
