#include "recommend/home_redis.h"

#include <hiredis/hiredis.h>

namespace segue::recommend {

std::optional<std::string> RedisHomeCache::get(const UserId& user) {
  std::lock_guard l(mu_);
  auto r = client_.command({"GET", key(user)});
  if (!r.ok() || !*r || (*r)->type != REDIS_REPLY_STRING) return std::nullopt;
  return std::string(redis::str(r->get()));
}

void RedisHomeCache::put(const UserId& user, const std::string& value, int ttl_seconds) {
  std::lock_guard l(mu_);
  (void)client_.command({"SET", key(user), value, "EX", std::to_string(std::max(1, ttl_seconds))});
}

void RedisHomeCache::drop(const UserId& user) {
  std::lock_guard l(mu_);
  (void)client_.command({"DEL", key(user)});
}

}  // namespace segue::recommend
