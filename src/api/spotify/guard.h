// Authentication, scope checks and rate limiting for /v1 endpoints.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <variant>

#include "api/spotify/context.h"
#include "auth/principal.h"
#include "auth/scopes.h"

namespace segue::api::spotify {

struct Access {
  bool user_required = false;  // refuse app-only (client credentials) tokens
  auth::ScopeSet scopes;       // all required
};

// Either the caller's principal, or the response refusing the request: 401 with
// WWW-Authenticate for a missing, malformed, unknown or expired token; 403 for a missing
// scope or an app-only token where a user is needed; 429 with Retry-After past a rate limit.
using Guarded = std::variant<auth::Principal, net::Response>;
boost::asio::awaitable<Guarded> guard(ApiContext& ctx, net::Request& req, const Access& access);

// The guard of the request's route as the access table (access.h) states it: caller, scopes,
// then the object rule (on a worker; 404 for a playlist the user may not see, 403 for a
// missing object-dependent scope). A route without a rule is refused with 500: the server
// does not start with one, so this is a programming error.
boost::asio::awaitable<Guarded> guard(ApiContext& ctx, net::Request& req);

}  // namespace segue::api::spotify
