// Request bodies of every endpoint family that takes one, through the real handlers: the
// Spotify-shaped API is wired as `segue serve` wires it (services over a temporary data
// directory with the demo library scanned, the route table, the worker pool), and each input
// is one request with a valid all-scopes bearer token. The first byte picks the endpoint, the
// rest is its body. Placeholders let seeds (and mutations of them) name real things:
// @T0@..@T9@ the demo library's track ids, @A0@ an album id, @P@ a playlist of the user,
// @U@ the user's id.
//
// Under test: json_body and every handler's own body reading (playlists: create, details,
// add/move/remove items, cover upload, import, invites; player: play and event batches with
// the event schema; library ids; search history; preferences; the token endpoint's form).
// Properties: no crash, no exception out of a handler, and bad bodies are client errors: a
// status >= 500 traps (domain errors map to 4xx; 500 would mean an unexpected state).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/spotify/realtime.h"
#include "api/spotify/routes.h"
#include "app/config.h"
#include "app/services.h"
#include "auth/pkce.h"
#include "catalog/demo_library.h"
#include "common/log.h"
#include "net/pubsub.h"
#include "playback/service.h"
#include "playlist/import_service.h"
#include "user/library_service.h"
#include "search/index.h"
#include "search/searcher.h"

namespace {
namespace net = segue::net;
namespace http = net::http;
using namespace segue;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "fuzz_api_bodies: %s\n", why.c_str());
  std::abort();
}

struct Endpoint {
  http::verb method;
  const char* target;  // with placeholders
  const char* content_type;
};

// Every route that reads a body (POST/PUT/DELETE with a body in src/api/spotify).
const Endpoint kEndpoints[] = {
    {http::verb::post, "/v1/me/player/play", "application/json"},
    {http::verb::post, "/v1/me/player/events", "application/json"},
    {http::verb::post, "/v1/me/playlists", "application/json"},
    {http::verb::post, "/v1/users/@U@/playlists", "application/json"},
    {http::verb::put, "/v1/playlists/@P@", "application/json"},
    {http::verb::post, "/v1/playlists/@P@/tracks", "application/json"},
    {http::verb::put, "/v1/playlists/@P@/tracks", "application/json"},
    {http::verb::delete_, "/v1/playlists/@P@/tracks", "application/json"},
    {http::verb::put, "/v1/playlists/@P@/images", "image/jpeg"},
    {http::verb::post, "/v1/me/playlists/import?format=m3u8", "audio/x-mpegurl"},
    {http::verb::post, "/v1/me/playlists/import", "application/json"},
    {http::verb::post, "/v1/playlists/@P@/invites", "application/json"},
    {http::verb::put, "/v1/me/tracks", "application/json"},
    {http::verb::delete_, "/v1/me/tracks", "application/json"},
    {http::verb::put, "/v1/me/albums", "application/json"},
    {http::verb::delete_, "/v1/me/albums", "application/json"},
    {http::verb::post, "/v1/me/search/recent", "application/json"},
    {http::verb::delete_, "/v1/me/search/recent", "application/json"},
    {http::verb::put, "/v1/me/preferences", "application/json"},
    {http::verb::put, "/v1/playlists/@P@/followers", "application/json"},
    {http::verb::post, "/api/token", "application/x-www-form-urlencoded"},
    {http::verb::post, "/api/revoke", "application/x-www-form-urlencoded"},
};
constexpr std::size_t kEndpointCount = sizeof(kEndpoints) / sizeof(kEndpoints[0]);
// One more "endpoint": /v1/ws, whose messages are the body's lines (auth, subscribe, ...).
constexpr std::size_t kWebSocket = kEndpointCount;

// A WebSocket connection that records what the session sends.
class FakeConnection : public net::WsConnection {
 public:
  explicit FakeConnection(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  bool send(net::SharedText text) override {
    if (closed_) return false;
    if (text->empty() || (*text)[0] != '{') fail("a WebSocket message that is not a JSON object: " + *text);
    return ++sent_ < 10000;
  }
  void close(uint16_t, std::string) override { closed_ = true; }
  bool closing() const override { return closed_; }
  void close_at(std::chrono::steady_clock::time_point, uint16_t, std::string) override {}
  void cancel_close_at() override {}
  const std::string& request_id() const override { return id_; }
  const std::string& remote_ip() const override { return ip_; }
  boost::asio::any_io_executor get_executor() const override { return ex_; }

 private:
  static void fail(const std::string& why);
  boost::asio::any_io_executor ex_;
  bool closed_ = false;
  std::size_t sent_ = 0;
  std::string id_ = "fuzz", ip_ = "127.0.0.1";
};

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}

void FakeConnection::fail(const std::string& why) { ::fail(why); }

struct Harness {
  std::string dir;
  app::Services s;
  std::unique_ptr<net::WorkerPool> workers;
  MetricsRegistry metrics;
  std::unique_ptr<net::RateLimiter> client_limiter, user_limiter;
  std::unique_ptr<net::LocalPubSub> hub;
  std::unique_ptr<api::spotify::Realtime> realtime;
  std::unique_ptr<search::SearchIndex> index;
  std::unique_ptr<search::Searcher> searcher;
  std::unique_ptr<playback::PlaybackService> playback;
  std::unique_ptr<user::LibraryService> library_service;
  std::unique_ptr<playlist::PlaylistImporter> importer;
  std::unique_ptr<api::spotify::ApiContext> ctx;
  net::Router router;
  std::string token, user_id, playlist_id;
  std::vector<std::string> track_ids;
  std::string album_id;
  unsigned runs = 0;

  Harness() {
    log::set_level(log::Level::kError);
    char tmpl[] = "/tmp/segue-fuzz-api-XXXXXX";
    if (!::mkdtemp(tmpl)) fail("mkdtemp");
    dir = tmpl;
    static std::string remove_at_exit;
    remove_at_exit = dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(remove_at_exit, ec);
    });
    const std::string lib = dir + "/library";
    // Short tunes (1 s): the harness needs the tracks and their ids, not long audio.
    if (auto st = catalog::write_demo_library(lib, catalog::DemoOptions{1.0}); !st.ok()) fail(st.error().message);
    app::Config c;
    c.data_dir = dir + "/data";
    c.libraries = {lib};
    auto opened = app::open_services(c);
    if (!opened.ok()) fail(opened.error().message);
    s = std::move(opened).value();
    if (auto r = s.scanner->scan(c.libraries, false); !r.ok()) fail(r.error().message);
    workers = std::make_unique<net::WorkerPool>(2);
    client_limiter = std::make_unique<net::RateLimiter>(0, std::chrono::seconds(30));
    user_limiter = std::make_unique<net::RateLimiter>(0, std::chrono::seconds(30));
    ctx = std::make_unique<api::spotify::ApiContext>(api::spotify::ApiContext{
        *s.db, *s.auth, *s.catalog, *s.artwork, *s.events, *s.library, *s.stream_tokens, *workers,
        *client_limiter, *user_limiter, metrics, "http://127.0.0.1:8080"});
    hub = std::make_unique<net::LocalPubSub>(&metrics);
    realtime = std::make_unique<api::spotify::Realtime>(*hub, *s.events_bus);
    ctx->realtime = realtime.get();
    ctx->playlists = s.playlists.get();
    importer = std::make_unique<playlist::PlaylistImporter>(*s.playlists, *s.catalog, c.libraries);
    ctx->importer = importer.get();
    auto idx = search::SearchIndex::open(dir + "/data/search");
    if (!idx.ok()) fail(idx.error().message);
    index = std::move(idx).value();
    searcher = std::make_unique<search::Searcher>(*index);
    ctx->searcher = searcher.get();
    ctx->recent_searches = s.recent_searches.get();
    ctx->preferences = s.preferences.get();
    ctx->popularity = [log = s.events.get()](events::ItemKind kind, const std::string& id) { return log->popularity(kind, id); };
    playback = std::make_unique<playback::PlaybackService>(*s.catalog, nullptr, *s.stream_tokens, std::chrono::seconds(3600));
    ctx->playback = playback.get();
    library_service = std::make_unique<user::LibraryService>(*s.library, *s.catalog, *s.events, s.preferences.get());
    ctx->library_service = library_service.get();
    api::spotify::register_routes(router, *ctx);

    auto user = s.auth->create_user("fuzzer", "fuzzer-password", false, auth::Tier::kPremium);
    if (!user.ok()) fail(user.error().message);
    user_id = user->id.str();
    const std::string redirect = "http://127.0.0.1:9/callback";
    auto client = s.auth->register_client("fuzz", {redirect}, true);
    if (!client.ok()) fail(client.error().message);
    const std::string verifier(64, 'v');
    auth::AuthorizeRequest ar;
    ar.client_id = client->client.id;
    ar.client_name = "fuzz";
    ar.redirect_uri = redirect;
    ar.scopes = auth::ScopeSet::all();
    ar.code_challenge = auth::s256_challenge(verifier);
    auto code = s.auth->issue_code(ar, user->id);
    if (!code.ok()) fail(code.error().message);
    auto tokens = s.auth->exchange_code(client->client.id.str(), "", *code, redirect, verifier);
    if (!tokens.ok()) fail("token exchange failed");
    token = tokens->access_token;
    auto pl = s.playlists->create(user->id, "fuzz", "", true, false);
    if (!pl.ok()) fail(pl.error().message);
    playlist_id = pl->id.str();
    auto snap = s.catalog->snapshot();
    for (const auto& t : snap->tracks()) {
      if (track_ids.size() < 10) track_ids.push_back(t.id.str());
      if (album_id.empty()) album_id = t.album_id.str();
    }
    if (track_ids.size() < 10) fail("the demo library has fewer than 10 tracks");
    // Every endpoint must resolve to a route: a typo here would silently fuzz a 404.
    for (std::size_t i = 0; i < kEndpointCount; ++i) {
      std::vector<std::pair<std::string, std::string>> params;
      std::string target = expand(kEndpoints[i].target);
      auto m = router.match(kEndpoints[i].method, target.substr(0, target.find('?')), params);
      if (m.kind != net::Router::MatchKind::kFound) fail(std::string("no route for ") + kEndpoints[i].target);
    }
  }

  std::string expand(std::string s) const {
    if (s.find('@') == std::string::npos) return s;
    for (std::size_t i = 0; i < track_ids.size(); ++i)
      replace_all(s, "@T" + std::to_string(i) + "@", track_ids[i]);
    replace_all(s, "@A0@", album_id);
    replace_all(s, "@P@", playlist_id);
    replace_all(s, "@U@", user_id);
    return s;
  }

  // The body's lines as messages of one /v1/ws connection, authenticated by its upgrade
  // request or (every other input) left to authenticate with an "auth" message.
  void run_websocket(std::string body, bool header_auth) {
    const net::WsHandler* ws = router.websocket("/v1/ws");
    if (!ws) fail("no /v1/ws route");
    net::Request req;
    req.raw.method(http::verb::get);
    req.raw.target("/v1/ws");
    req.raw.set(http::field::host, "127.0.0.1:8080");
    if (header_auth) req.raw.set(http::field::authorization, "Bearer " + token);
    req.path = "/v1/ws";
    req.route = "/v1/ws";
    req.remote_ip = "127.0.0.1";
    req.request_id = "fuzz";
    boost::asio::io_context io;
    std::exception_ptr error;
    body = expand(std::move(body));
    replace_all(body, "@TOKEN@", token);
    auto session_run = [&]() -> boost::asio::awaitable<void> {
      net::WsAccept accepted = co_await (*ws)(req);
      auto* session = std::get_if<std::unique_ptr<net::WsSession>>(&accepted);
      if (!session) co_return;
      auto conn = std::make_shared<FakeConnection>(io.get_executor());
      co_await (*session)->on_open(*conn);
      std::size_t start = 0;
      while (start <= body.size() && !conn->closing()) {
        std::size_t end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        co_await (*session)->on_message(*conn, body.substr(start, end - start));
        start = end + 1;
      }
      (*session)->on_close(*conn);
    };
    boost::asio::co_spawn(io, session_run(), [&](std::exception_ptr e) { error = e; });
    io.run();
    if (error) std::rethrow_exception(error);
  }

  unsigned run(std::size_t which, std::string body) {
    which %= kEndpointCount + 1;
    if (which == kWebSocket) {
      run_websocket(std::move(body), runs++ % 2 == 0);
      return 0;
    }
    const Endpoint& ep = kEndpoints[which];
    net::Request req;
    const std::string target = expand(ep.target);
    req.raw.method(ep.method);
    req.raw.target(target);
    req.raw.version(11);
    req.raw.set(http::field::host, "127.0.0.1:8080");
    req.raw.set(http::field::authorization, "Bearer " + token);
    req.raw.set(http::field::content_type, ep.content_type);
    req.raw.body() = expand(std::move(body));
    req.raw.prepare_payload();
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      auto parsed = net::parse_query(std::string_view(target).substr(q + 1));
      if (parsed) req.query = std::move(*parsed);
    }
    req.remote_ip = "127.0.0.1";
    req.request_id = "fuzz";
    req.received_at = std::chrono::steady_clock::now();
    auto m = router.match(req.method(), req.path, req.params);
    if (m.kind != net::Router::MatchKind::kFound) fail("route vanished: " + req.path);
    req.route = m.route;
    boost::asio::io_context io;
    std::optional<net::Response> res;
    std::exception_ptr error;
    boost::asio::co_spawn(io, (*m.handler)(req), [&](std::exception_ptr e, net::Response r) {
      error = e;
      if (!e) res = std::move(r);
    });
    io.run();
    if (error) std::rethrow_exception(error);
    if (!res) fail("handler did not complete");
    static const bool verbose = std::getenv("SEGUE_FUZZ_VERBOSE") != nullptr;
    if (verbose)
      std::fprintf(stderr, "%u %s %s\n", res->status, ep.target, res->body.substr(0, 160).c_str());
    if (res->status >= 500)
      fail(std::to_string(res->status) + " from " + std::string(ep.target) + ": " + res->body);
    // Keep the playlist small enough that later inputs stay fast.
    if (++runs % 200 == 0) {
      auto pl = s.playlists->create(UserId(user_id), "fuzz", "", true, false);
      if (pl.ok()) playlist_id = pl->id.str();
    }
    return res->status;
  }
};

Harness& harness() {
  static Harness* h = new Harness();  // never destroyed: libFuzzer exits without unwinding
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  harness().run(data[0], std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
