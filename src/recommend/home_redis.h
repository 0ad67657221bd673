// Home's shelves shared by the nodes of a cluster through Redis (home.h, SharedHomeCache):
// `segue:home:<user id>` with the cache's lifetime as TTL, dropped with DEL. One connection
// under a mutex; Redis being away is a miss (the node builds the shelves itself), never an error.
#pragma once

#include <mutex>

#include "recommend/home.h"
#include "redis/redis.h"

namespace segue::recommend {

class RedisHomeCache final : public SharedHomeCache {
 public:
  explicit RedisHomeCache(redis::Address address) : client_(std::move(address)) {}
  std::optional<std::string> get(const UserId& user) override;
  void put(const UserId& user, const std::string& value, int ttl_seconds) override;
  void drop(const UserId& user) override;

 private:
  static std::string key(const UserId& user) { return "segue:home:" + user.str(); }
  std::mutex mu_;
  redis::Client client_;
};

}  // namespace segue::recommend
