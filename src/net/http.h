// The request and response types handlers see. Handlers are coroutines that take a Request and
// return a Response; they never touch sockets.
#pragma once

#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace segue::net {

namespace http = boost::beast::http;

struct Request {
  http::request<http::string_body> raw;
  std::string path;  // the target's path, still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;   // decoded
  std::vector<std::pair<std::string, std::string>> params;  // decoded path parameters
  std::string route;       // the matched route pattern, for metrics ("/v1/tracks/{id}")
  std::string request_id;  // from X-Request-Id when sane, else generated
  std::string remote_ip;
  std::string local_addr;  // where the connection arrived: "ip:port" ("[v6]:port"), for trusted links
  std::string user;        // the authenticated user, once a handler knows it (access log)
  std::chrono::steady_clock::time_point received_at;

  http::verb method() const { return raw.method(); }
  std::string_view body() const { return raw.body(); }
  std::string_view header(http::field f) const;
  std::string_view header(std::string_view name) const;
  // The first value of query parameter `name`, if present.
  std::optional<std::string> query_param(std::string_view name) const;
  // The value of path parameter `name` ("" if the route has none of that name).
  const std::string& param(std::string_view name) const;
};

// A byte range of a file sent as the body. The server sends it with sendfile(2) from the page
// cache, or reads it on the worker pool when it is not cached, in chunks, so neither a large
// file nor a slow client ties up memory, and a network thread never waits on disk.
// `size` and `mtime_ns`, when the handler knows them (>= 0), are what the handler based its
// headers on (ETag, Content-Range): a descriptor the server kept open from an earlier request
// is used only while its fstat still shows them, so a file changed on disk and rescanned is
// reopened. A file shorter than offset + length is never sent short: 500 before the headers,
// the connection closed after them.
struct FileBody {
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
  int64_t size = -1;      // the whole file's size as the handler saw it, -1 if unknown
  int64_t mtime_ns = -1;  // its modification time (ns since the epoch), -1 if unknown
};

struct Response {
  unsigned status = 200;
  http::fields headers;
  std::string body;
  std::optional<FileBody> file;
  // Set by handlers for the access log and metrics, e.g. the authenticated user.
  std::string log_user;

  static Response json(unsigned status, std::string body);
  static Response text(unsigned status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");
  static Response empty(unsigned status);
  // {"error":{"status":N,"message":"..."}} — Spotify's error shape, used for every error the
  // server itself produces (unknown route, bad method, oversized body).
  static Response error(unsigned status, std::string_view message);
};

}  // namespace segue::net
