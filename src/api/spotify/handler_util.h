// Small helpers shared by the Spotify-API handlers.
#pragma once

#include <boost/json.hpp>

#include <initializer_list>

#include "api/spotify/errors.h"
#include "api/spotify/guard.h"
#include "net/http.h"
#include "net/router.h"

namespace segue::api::spotify {

// The vocabulary every handler file uses (this header is private to the handlers).
using boost::asio::awaitable;
using net::Request;
using net::Response;
namespace http = net::http;

inline net::Response json_response(const boost::json::value& v, unsigned status = 200) {
  return net::Response::json(status, boost::json::serialize(v));
}

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// An endpoint's handler: a named function of the context and the request (parse, guard, one
// service call, render). Each handler file lists its endpoints in a short route table.
using HandlerFn = awaitable<Response> (*)(ApiContext& ctx, Request& req);
struct Route {
  http::verb method;
  const char* path;
  HandlerFn handler;
};
inline void add_routes(net::Router& router, ApiContext& ctx, std::initializer_list<Route> table) {
  for (const Route& r : table)
    router.add(r.method, r.path, [&ctx, fn = r.handler](Request& req) { return fn(ctx, req); });
}

}  // namespace segue::api::spotify

// Binds `var` to the value of a Result expression, or returns its error as a response.
#define SEGUE_OR_400(var, expr)                                  \
  auto var##_r = (expr);                                         \
  if (!var##_r.ok()) co_return error_response(var##_r.error());  \
  auto var = std::move(var##_r).value()

// Runs the guard of the request's route (its rule in access.h) and returns its refusal, or
// binds `principal`.
#define SEGUE_GUARD(principal, ctx, req)                                             \
  auto principal##_guarded = co_await guard(ctx, req);                               \
  if (auto* principal##_denied = std::get_if<net::Response>(&principal##_guarded))   \
    co_return std::move(*principal##_denied);                                        \
  auth::Principal& principal = std::get<auth::Principal>(principal##_guarded);       \
  if (principal.user) req_log_user(req, principal)

namespace segue::api::spotify {
// Tags the request with its user for the access log.
inline void req_log_user(net::Request& req, const auth::Principal& p) { req.user = p.user->str(); }
}  // namespace segue::api::spotify
