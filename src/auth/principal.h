// Who is calling: what a valid access token stands for. Built by AuthService from the token's
// grant and, for user tokens, the user's current tier and admin flag.
#pragma once

#include <chrono>
#include <optional>

#include "auth/scopes.h"
#include "auth/user.h"
#include "common/ids.h"

namespace segue::auth {

struct Principal {
  std::optional<UserId> user;  // nullopt for client_credentials tokens (an app, no user)
  ClientId client;
  ScopeSet scopes;
  std::chrono::system_clock::time_point expires_at;  // of the access token
  std::optional<Tier> tier;    // the user's tier; nullopt without a user
  bool admin = false;          // the user is an administrator; false without a user
};

}  // namespace segue::auth
