// Maps (method, path) to a handler. Patterns are literal segments and `{name}` parameters:
// "/v1/albums/{id}/tracks". Built once at start-up, then read concurrently without locks.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <vector>

#include "net/http.h"
#include "net/websocket.h"

namespace segue::net {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

class Router {
 public:
  void add(http::verb method, std::string pattern, Handler handler);
  // Called for GET and HEAD requests no route matches (the web player's files and its
  // client-side routes); without one they get 404.
  void set_fallback(Handler handler) { fallback_ = std::move(handler); }
  const Handler* fallback() const { return fallback_ ? &fallback_ : nullptr; }
  // A WebSocket endpoint at exactly `path` (no parameters). Its upgrade requests go to
  // `handler`; other requests to the path get 426.
  void add_websocket(std::string path, WsHandler handler);
  const WsHandler* websocket(std::string_view path) const;
  // Every (method, pattern) added, in order, and every WebSocket path: what an access table
  // checks itself against.
  std::vector<std::pair<http::verb, std::string>> routes() const;
  std::vector<std::string> websocket_paths() const;

  enum class MatchKind { kFound, kNoRoute, kWrongMethod, kBadEncoding };
  struct Match {
    MatchKind kind = MatchKind::kNoRoute;
    const Handler* handler = nullptr;
    std::string route;               // pattern matched (also for kWrongMethod)
    std::string allow;               // methods allowed on the path, for 405
  };
  // Matches `path` (percent-encoded) and fills `params` with decoded parameters. HEAD
  // matches GET routes.
  Match match(http::verb method, std::string_view path,
              std::vector<std::pair<std::string, std::string>>& params) const;

 private:
  struct Route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
  Handler fallback_;
  std::vector<std::pair<std::string, WsHandler>> websockets_;
};

// Percent-decodes a path segment; nullopt for malformed escapes or a NUL (raw or encoded).
std::optional<std::string> decode_path_segment(std::string_view s);
// Parses "a=1&b=x%20y" into decoded pairs; nullopt if an escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view q);

}  // namespace segue::net
