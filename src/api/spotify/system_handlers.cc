// /healthz, /metrics and the landing page.
#include "api/spotify/handler_util.h"
#include "api/spotify/routes.h"

#include <strings.h>

#include <boost/asio/ip/address.hpp>

#include "common/crypto.h"
#include "search/indexer.h"
#include "store/health.h"

namespace segue::api::spotify {

bool is_loopback_address(std::string_view ip) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(ip, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return a.to_v6().to_bytes()[12] == 127;
  return a.is_loopback();
}

namespace {

awaitable<Response> healthz(ApiContext& ctx, Request& req) {
  Status db = co_await ctx.workers.run([&ctx] { return store::ping(ctx.db); });
  auto stats = ctx.catalog.snapshot()->stats();
  boost::json::object o;
  o["status"] = db.ok() ? "ok" : "unavailable";
  o["database"] = db.ok() ? "ok" : db.error().message;
  o["tracks"] = stats.tracks;
  // Live: this answer. Ready: the database answers and the search index has caught up with
  // the catalog (its first sync since start is done and no initial build runs). Callers that
  // want readiness as a status code ask /healthz?ready=1: 503 until ready (docs/search.md).
  bool ready = db.ok();
  if (ctx.indexer) {
    auto st = ctx.indexer->stats();
    boost::json::object s;
    s["ready"] = st.ready;
    s["building"] = st.building;
    s["indexed"] = st.indexed;
    s["pending"] = st.pending;
    o["search"] = std::move(s);
    ready = ready && st.ready;
  }
  o["live"] = true;
  o["ready"] = ready;
  auto want_ready = req.query_param("ready");
  const bool readiness = want_ready && *want_ready != "0" && *want_ready != "false";
  Response r = json_response(o, db.ok() && (!readiness || ready) ? 200 : 503);
  r.headers.set(http::field::cache_control, "no-store");
  co_return r;
}

// Metrics tell a lot about a server (users' activity, sizes, errors): loopback callers get
// them, others only with the configured metrics_token (issue 14). A request a proxy on the same
// host forwarded (it says so with X-Forwarded-For, Forwarded or X-Real-IP) is not a local caller.
awaitable<Response> metrics(ApiContext& ctx, Request& req) {
  const bool proxied = !req.header("X-Forwarded-For").empty() || !req.header("Forwarded").empty() ||
                       !req.header("X-Real-IP").empty();
  bool allowed = !proxied && is_loopback_address(req.remote_ip);
  if (!allowed && !ctx.metrics_token.empty()) {
    std::string_view auth = req.header(http::field::authorization);
    allowed = auth.size() > 7 && strncasecmp(auth.data(), "bearer ", 7) == 0 &&
              crypto::constant_time_equal(auth.substr(7), ctx.metrics_token);
  }
  if (!allowed) {
    Response r = error_response(403, ctx.metrics_token.empty()
                                         ? "Metrics are served to loopback callers only"
                                         : "Metrics need the metrics token (Authorization: Bearer ...)");
    co_return r;
  }
  Response r = Response::text(200, ctx.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  r.headers.set(http::field::cache_control, "no-store");
  co_return r;
}

awaitable<Response> landing_page(ApiContext& ctx, Request& req) {
  auto stats = ctx.catalog.snapshot()->stats();
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Segue</title>"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"></head><body>"
      "<main style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto\">"
      "<h1>Segue</h1><p>This server holds " + std::to_string(stats.tracks) + " tracks on " +
      std::to_string(stats.albums) + " albums by " + std::to_string(stats.artists) +
      " artists.</p><p>Clients written for the Spotify Web API work against <code>" +
      ctx.base_url(req) + "/v1</code> with OAuth 2.0 at <code>/authorize</code> and "
      "<code>/api/token</code>; register one with <code>segue client add</code>.</p>"
      "<p><a href=\"/healthz\">Health</a> · <a href=\"/metrics\">Metrics</a></p></main></body></html>";
  co_return Response::text(200, std::move(html), "text/html; charset=utf-8");
}

}  // namespace

void register_system_routes(net::Router& router, ApiContext& ctx) {
  add_routes(router, ctx, {
      {http::verb::get, "/healthz", healthz},
      {http::verb::get, "/metrics", metrics},
  });
  if (!ctx.landing_page) return;
  add_routes(router, ctx, {
      {http::verb::get, "/", landing_page},
  });
}

}  // namespace segue::api::spotify
