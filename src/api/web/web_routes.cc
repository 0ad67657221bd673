#include "api/web/web_routes.h"

#include <boost/json.hpp>

namespace segue::api::web {
namespace {
using boost::asio::awaitable;
using net::Request;
using net::Response;
namespace http = net::http;

// What the app may load: only its own origin. Audio and images come from the same server.
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

Response serve(const Request& req, const Asset& a, bool is_document) {
  if (req.header(http::field::if_none_match) == a.etag) {
    Response r = Response::empty(304);
    r.headers.set(http::field::etag, a.etag);
    return r;
  }
  Response r;
  r.status = 200;
  r.file = net::FileBody{a.file, 0, a.size, static_cast<int64_t>(a.size)};
  r.headers.set(http::field::content_type, a.content_type);
  r.headers.set(http::field::etag, a.etag);
  r.headers.set(http::field::cache_control,
                a.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.set("X-Content-Type-Options", "nosniff");
  if (is_document) {
    r.headers.set("Content-Security-Policy", kCsp);
    r.headers.set("Referrer-Policy", "no-referrer");
    r.headers.set("X-Frame-Options", "DENY");
  }
  return r;
}

}  // namespace

void register_web_routes(net::Router& router, const StaticSite& site) {
  router.add(http::verb::get, "/web-config.json", [](Request&) -> awaitable<Response> {
    boost::json::object o;
    o["client_id"] = kClientId;
    o["redirect_path"] = kRedirectPath;
    o["scopes"] = kScopes;
    Response r = Response::json(200, boost::json::serialize(o));
    r.headers.set(http::field::cache_control, "no-cache");
    co_return r;
  });
  router.add(http::verb::get, "/", [&site](Request& req) -> awaitable<Response> {
    co_return serve(req, site.index(), true);
  });
  router.set_fallback([&site](Request& req) -> awaitable<Response> {
    if (const Asset* a = site.find(req.path)) co_return serve(req, *a, a->content_type.rfind("text/html", 0) == 0);
    if (is_api_or_file_path(req.path)) co_return Response::error(404, "Service not found");
    req.route = "web app";
    co_return serve(req, site.index(), true);
  });
}

}  // namespace segue::api::web
