#include "auth/token_cache.h"

#include <mutex>
#include <unordered_set>

namespace segue::auth {

TokenCache::TokenCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::optional<TokenCache::Entry> TokenCache::find(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

uint64_t TokenCache::generation() const {
  std::shared_lock lock(mu_);
  return generation_;
}

void TokenCache::insert(const std::string& key, Entry entry, uint64_t generation) {
  std::unique_lock lock(mu_);
  if (generation != generation_) return;
  auto [it, inserted] = map_.insert_or_assign(key, std::move(entry));
  if (!inserted) return;
  order_.push_back(key);
  while (map_.size() > capacity_ && !order_.empty()) {
    map_.erase(order_.front());
    order_.pop_front();
  }
  // Erased keys linger in order_; rebuild it before it grows far beyond the map.
  if (order_.size() > 2 * capacity_) {
    std::deque<std::string> live;
    std::unordered_set<std::string> seen;
    for (auto& k : order_)
      if (map_.count(k) && seen.insert(k).second) live.push_back(std::move(k));
    order_ = std::move(live);
  }
}

void TokenCache::erase(const std::vector<std::string>& keys) {
  std::unique_lock lock(mu_);
  ++generation_;
  for (const auto& k : keys) map_.erase(k);
}

void TokenCache::clear() {
  std::unique_lock lock(mu_);
  ++generation_;
  map_.clear();
  order_.clear();
}

std::size_t TokenCache::size() const {
  std::shared_lock lock(mu_);
  return map_.size();
}

}  // namespace segue::auth
