#include "api/spotify/guard.h"

#include "api/spotify/access.h"
#include "api/spotify/abuse.h"
#include "api/spotify/errors.h"
#include "common/log.h"

#include <strings.h>

namespace segue::api::spotify {
namespace http = net::http;

namespace {
// Failed bearer authentications count per address (token guessing, a client stuck on a dead
// token); past the limit the answer is 429 with Retry-After instead of 401. nullopt: answer 401.
// `count` false: only asks whether the address is already past the limit (before a lookup).
std::optional<net::Response> limit_bad_token(ApiContext& ctx, const net::Request& req, bool count = true) {
  if (!ctx.abuse) return std::nullopt;
  const std::string key = "bad-token:" + address_key(req.remote_ip);
  auto d = count ? ctx.abuse->bad_tokens.acquire(key) : ctx.abuse->bad_tokens.peek(key);
  if (d.allowed) return std::nullopt;
  net::Response r = error_response(429, "Too many requests with invalid access tokens");
  r.headers.set(http::field::retry_after, std::to_string(d.retry_after.count()));
  return r;
}
}  // namespace

boost::asio::awaitable<Guarded> guard(ApiContext& ctx, net::Request& req, const Access& access) {
  std::string_view h = req.header(http::field::authorization);
  constexpr std::string_view kBearer = "Bearer ";
  if (h.empty()) {
    net::Response r = error_response(401, "No token provided");
    r.headers.set(http::field::www_authenticate, "Bearer realm=\"segue\"");
    co_return r;
  }
  if (h.size() <= kBearer.size() || strncasecmp(h.data(), "bearer ", 7) != 0) {
    net::Response r = error_response(401, "Only valid bearer authentication supported");
    r.headers.set(http::field::www_authenticate, "Bearer realm=\"segue\", error=\"invalid_request\"");
    co_return r;
  }
  std::string token(h.substr(kBearer.size()));
  // Note: no co_await inside a conditional expression; g++ 12 destroys its temporaries twice.
  std::optional<Result<auth::Principal>> cached = ctx.auth.validate_cached(token);
  if (!cached) {
    // An address already past the bad-token limit is refused before the database is asked.
    if (auto limited = limit_bad_token(ctx, req, /*count=*/false)) co_return std::move(*limited);
    auto fresh = co_await ctx.workers.run([&] { return ctx.auth.validate_access_token(token); });
    cached.emplace(std::move(fresh));
  }
  Result<auth::Principal> principal = std::move(*cached);
  if (!principal.ok()) {
    if (principal.error().code != ErrorCode::kUnauthenticated) co_return error_response(principal.error());
    if (auto limited = limit_bad_token(ctx, req)) co_return std::move(*limited);
    const bool expired = principal.error().is(ErrorReason::kExpired);
    const char* message = expired ? "The access token expired" : "Invalid access token";
    net::Response r = error_response(401, message);
    r.headers.set(http::field::www_authenticate,
                  std::string("Bearer realm=\"segue\", error=\"invalid_token\", error_description=\"") +
                      message + "\"");
    co_return r;
  }
  auth::Principal p = std::move(principal).value();
  // Rate limits: per client and per user, rolling window.
  auto d = ctx.client_limiter.acquire("c:" + p.client.str());
  if (d.allowed && p.user) d = ctx.user_limiter.acquire("u:" + p.user->str());
  if (!d.allowed) {
    net::Response r = error_response(429, "API rate limit exceeded");
    r.headers.set(http::field::retry_after, std::to_string(d.retry_after.count()));
    co_return r;
  }
  if (access.user_required && !p.user) {
    co_return error_response(403, "This endpoint needs a token authorized by a user");
  }
  if (!p.scopes.contains_all(access.scopes)) {
    net::Response r = error_response(403, "Insufficient client scope");
    r.headers.set(http::field::www_authenticate,
                  "Bearer realm=\"segue\", error=\"insufficient_scope\", scope=\"" +
                      access.scopes.to_string() + "\"");
    co_return r;
  }
  co_return p;
}

boost::asio::awaitable<Guarded> guard(ApiContext& ctx, net::Request& req) {
  const RouteRule* rule = find_route_rule(req.method(), req.route);
  if (!rule || (rule->caller != Caller::kUser && rule->caller != Caller::kAnyToken)) {
    log::error("route guarded without a bearer-token rule", {{"route", req.route}});
    co_return error_response(500, "Internal server error");
  }
  Access access;
  access.user_required = rule->caller == Caller::kUser;
  for (auth::Scope s : rule->scopes) access.scopes.add(s);
  Guarded g = co_await guard(ctx, req, access);
  auto* p = std::get_if<auth::Principal>(&g);
  if (!p || rule->object == ObjectRule::kNone || rule->object == ObjectRule::kOwn ||
      rule->object == ObjectRule::kByBody)
    co_return g;
  Status s = co_await ctx.workers.run([&] { return check_object_rule(ctx, *p, *rule, req); });
  if (!s.ok()) co_return error_response(s.error());
  co_return g;
}

}  // namespace segue::api::spotify
