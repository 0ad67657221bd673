// Who a user is called, from memory: user id -> display name, so rendering a playlist's owner,
// an item's `added_by` or a collaborator list needs no database. AuthService fills it at open
// (every user), after each user it creates or renames, and from each user row it reads; a user
// created by another process since is learnt when it first logs in here, or by the caller's
// fallback (AuthService::get_user) on a miss.
//
// Thread-safe; never blocks on I/O.
#pragma once

#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/user.h"
#include "common/ids.h"

namespace segue::auth {

class UserDirectory {
 public:
  void put(const UserId& id, const std::string& display_name) {
    std::unique_lock l(mu_);
    names_[id] = display_name;
  }
  void put_all(const std::vector<User>& users) {
    std::unique_lock l(mu_);
    for (const User& u : users) names_[u.id] = u.display_name;
  }
  std::optional<std::string> display_name(const UserId& id) const {
    std::shared_lock l(mu_);
    auto it = names_.find(id);
    if (it == names_.end()) return std::nullopt;
    return it->second;
  }
  std::size_t size() const {
    std::shared_lock l(mu_);
    return names_.size();
  }

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<UserId, std::string> names_;
};

}  // namespace segue::auth
