#include "recommend/interactions.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace segue::recommend {

Interactions::Csr Interactions::build(int32_t rows, std::vector<Triple>& t, bool by_user) {
  auto row = [by_user](const Triple& x) { return by_user ? x.user : x.item; };
  auto col = [by_user](const Triple& x) { return by_user ? x.item : x.user; };
  std::sort(t.begin(), t.end(), [&](const Triple& a, const Triple& b) {
    return row(a) != row(b) ? row(a) < row(b) : col(a) < col(b);
  });
  Csr m;
  m.ptr.assign(static_cast<std::size_t>(rows) + 1, 0);
  m.col.reserve(t.size());
  m.val.reserve(t.size());
  for (const auto& x : t) {
    ++m.ptr[static_cast<std::size_t>(row(x)) + 1];
    m.col.push_back(col(x));
    m.val.push_back(x.weight);
  }
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) m.ptr[r + 1] += m.ptr[r];
  return m;
}

Interactions Interactions::from_triples(int32_t users, int32_t items, std::vector<Triple> triples) {
  if (users < 0 || items < 0) throw std::invalid_argument("interactions: negative dimensions");
  for (const auto& t : triples)
    if (t.user < 0 || t.user >= users || t.item < 0 || t.item >= items)
      throw std::invalid_argument("interactions: index out of range (user " + std::to_string(t.user) + ", item " +
                                  std::to_string(t.item) + ")");
  // Merge duplicates, then drop what is not positive.
  std::sort(triples.begin(), triples.end(), [](const Triple& a, const Triple& b) {
    return a.user != b.user ? a.user < b.user : a.item < b.item;
  });
  std::vector<Triple> merged;
  merged.reserve(triples.size());
  for (const auto& t : triples) {
    if (!merged.empty() && merged.back().user == t.user && merged.back().item == t.item)
      merged.back().weight += t.weight;
    else
      merged.push_back(t);
  }
  std::erase_if(merged, [](const Triple& t) { return !(t.weight > 0); });
  Interactions m;
  m.users_ = users;
  m.items_ = items;
  m.by_user_ = build(users, merged, true);
  m.by_item_ = build(items, merged, false);
  return m;
}

std::vector<int32_t> Interactions::item_degrees() const {
  std::vector<int32_t> d(static_cast<std::size_t>(items_));
  for (int32_t i = 0; i < items_; ++i) d[static_cast<std::size_t>(i)] = static_cast<int32_t>(users_of(i).size());
  return d;
}

}  // namespace segue::recommend
