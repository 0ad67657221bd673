// HTTP/1.1 server on Boost.Beast with C++20 coroutines.
//
// Threads: `io_threads` network threads, each with its own io_context and its own acceptor on
// the same port (SO_REUSEPORT), so connections are spread by the kernel and a connection lives
// on one thread (no strands needed). Handlers run on the network thread and must offload
// blocking work with WorkerPool::run. File bodies (FileBody) go from the page cache to the
// socket with sendfile(2) when mincore(2) shows the range cached; otherwise a worker reads them.
//
// Protection: header and body size limits, a deadline for reading each request, an idle
// timeout between requests, a write timeout, a cap on open connections and a lower one per client
// address (rejected connections are closed at accept and counted), and an access log that
// samples refused and failed requests (every request is counted in metrics).
// Shutdown: stop() stops accepting, lets in-flight requests finish (up to a grace period),
// closes idle connections and WebSockets (1001), then run() returns.
// WebSockets: an upgrade request to a path registered with Router::add_websocket takes the same
// way as a request (request id, origin check, metrics, access log with status 101), then the
// connection becomes a WebSocket on the same thread (net/websocket.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"
#include "net/router.h"
#include "net/trusted_proxies.h"
#include "net/worker_pool.h"

namespace segue::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port; see Server::port()
  int io_threads = 0;    // 0: one per core
  std::size_t max_connections = 20000;
  // Open connections from one client address (an IPv6 client's /64), so one client cannot take
  // every slot of max_connections. 0: no per-address cap.
  std::size_t max_connections_per_address = 256;
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 1024 * 1024;
  std::chrono::seconds request_timeout{30};  // to read one whole request once it has started
  std::chrono::seconds idle_timeout{75};     // keep-alive connection with no request
  std::chrono::seconds write_timeout{60};    // a client that stops reading is dropped
  std::chrono::seconds shutdown_grace{10};
  std::vector<std::string> cors_origins;  // exact origins, or "*"
  bool access_log = true;
  // Access-log lines per second, per network thread and per kind of refusal or failure (429,
  // other 4xx, 5xx); the rest are counted in metrics and summed up in one line a second, so a
  // flood cannot fill the disk through the log. Successful requests are all logged.
  int access_log_errors_per_second = 10;
  WsOptions websocket;  // for routes added with Router::add_websocket
  // Peers whose X-Forwarded-For names the client (net/trusted_proxies.h; empty: nobody). A
  // request from one of them gets the client's address as Request::remote_ip (rate limits,
  // login backoff, the access log); its connections are not counted per address (a gateway
  // holds connections for many clients), only against max_connections.
  TrustedProxies trusted_proxies;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, WorkerPool& workers,
         MetricsRegistry& metrics);
  ~Server();

  // Binds the listening sockets. After it succeeds, port() is the bound port.
  Status bind();
  uint16_t port() const { return port_; }

  // Runs the network threads until stop() completes. Call bind() first.
  void run();
  // Begins a graceful shutdown. Thread-safe; may be called from any thread, any number of times.
  void stop();
  // Calls stop() on SIGINT or SIGTERM (installs the handlers on the first network thread).
  void stop_on_signals();

  // Called for every bound port once run() is serving (handy for tests and logs).
  std::function<void(uint16_t)> on_listening;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace segue::net
