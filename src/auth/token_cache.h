// A bounded in-memory map from access-token hash to Principal, so that the check done on every
// API request usually costs one SHA-256 and one hash-map lookup, without the database.
//
// Threads: every method is thread-safe; lookups share a read lock, so network threads may call
// find() freely. Eviction is first-in-first-out when full.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/principal.h"

namespace segue::auth {

class TokenCache {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  struct Entry {
    Principal principal;
    // After this instant the entry may be stale (another process may have revoked the token)
    // and is treated as a miss.
    TimePoint fresh_until;
  };

  explicit TokenCache(std::size_t capacity);

  // The entry for `key` (a token hash), or nullopt.
  std::optional<Entry> find(const std::string& key) const;

  // The current generation: read it before loading a principal from the database and pass it
  // to insert(), so that a principal read before a concurrent invalidation is not cached.
  uint64_t generation() const;
  // Caches `entry` under `key` unless an invalidation happened since `generation` was read.
  void insert(const std::string& key, Entry entry, uint64_t generation);

  // Forgets `keys` and starts a new generation. Call after the revocation is committed.
  void erase(const std::vector<std::string>& keys);
  // Forgets everything and starts a new generation.
  void clear();

  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> map_;
  std::deque<std::string> order_;  // insertion order; may hold keys already erased
  uint64_t generation_ = 0;
};

}  // namespace segue::auth
