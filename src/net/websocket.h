// WebSockets (RFC 6455) on the HTTP server: a route registered with Router::add_websocket gets
// the upgrade request first (after the server's request id, origin check and metrics, like any
// request) and either refuses it with an ordinary Response or accepts it with a WsSession, the
// per-connection protocol. The connection then lives on the network thread that accepted it.
//
// WsConnection:
//  - send() may be called from any thread. Messages are queued and written in order by one
//    coroutine on the connection's thread. A client that does not keep up (queued bytes above
//    WsOptions::max_queue_bytes) loses what is queued and is closed with 1008; nobody else waits.
//  - The session's on_message is awaited before the next message is read, so a session sees its
//    messages one at a time, in order, on the connection's thread (and may co_await workers).
//  - Keepalive: a ping after idle_timeout/2 without a frame from the client, closed after
//    idle_timeout. Messages larger than max_message_bytes close the connection with 1009;
//    binary messages with 1003. Server stop closes every WebSocket with 1001.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "common/metrics.h"
#include "net/http.h"
#include "net/pubsub.h"

namespace segue::net {

struct WsOptions {
  std::size_t max_message_bytes = 16 * 1024;  // client -> server, per message
  std::size_t max_queue_bytes = 1024 * 1024;  // server -> client, waiting to be written
  std::chrono::seconds idle_timeout{60};      // no frame from the client (pinged at half)
  std::chrono::seconds close_timeout{5};      // for the closing handshake; then the socket is closed
};

namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
inline constexpr uint16_t kTryAgainLater = 1013;
}  // namespace close_code

class WsConnection : public std::enable_shared_from_this<WsConnection> {
 public:
  virtual ~WsConnection() = default;

  // ---- any thread ----
  // Queues a text message. False if the connection is closing or closed, or if this message
  // made the queue overflow (then the connection is being closed).
  virtual bool send(SharedText text) = 0;
  bool send(std::string text) { return send(std::make_shared<const std::string>(std::move(text))); }
  // Closes after the messages already queued are written. Idempotent.
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual bool closing() const = 0;

  // ---- the connection's thread ----
  // Closes the connection at `when` unless cancel_close_at() is called first (e.g. "authenticate
  // within 10 s", "the token expires"). A later call replaces an earlier one.
  virtual void close_at(std::chrono::steady_clock::time_point when, uint16_t code, std::string reason) = 0;
  virtual void cancel_close_at() = 0;

  // ---- fixed at the upgrade, readable from any thread ----
  virtual const std::string& request_id() const = 0;
  virtual const std::string& remote_ip() const = 0;
  virtual boost::asio::any_io_executor get_executor() const = 0;
};

// One connection's protocol. Calls happen on the connection's thread, one at a time.
class WsSession {
 public:
  virtual ~WsSession() = default;
  virtual boost::asio::awaitable<void> on_open(WsConnection& conn);
  virtual boost::asio::awaitable<void> on_message(WsConnection& conn, std::string text) = 0;
  // After the connection closed (for any reason); nothing can be sent any more.
  virtual void on_close(WsConnection& conn) {}
};

// The upgrade request's answer: a session accepts it, a Response refuses it (e.g. 401).
using WsAccept = std::variant<std::unique_ptr<WsSession>, Response>;
using WsHandler = std::function<boost::asio::awaitable<WsAccept>(Request&)>;

// ---- used by the HTTP server ----
struct WsMetrics {
  Gauge& open;
  Counter& messages_in;
  Counter& messages_out;
  Counter& closed_slow;
  explicit WsMetrics(MetricsRegistry& m);
};

// The server's side of one WebSocket: takes over the HTTP connection's stream.
class ServerWebSocket {
 public:
  ServerWebSocket(boost::beast::tcp_stream&& stream, const WsOptions& options, WsMetrics& metrics,
                  std::string request_id, std::string remote_ip);
  ~ServerWebSocket();
  // Completes the handshake for `upgrade` and runs the connection until it closes.
  boost::asio::awaitable<void> run(Request upgrade, std::unique_ptr<WsSession> session);
  // Connection thread: the server is stopping (1001), or its grace period is over.
  void going_away();
  void abort();

 private:
  std::shared_ptr<class ServerWsConnection> conn_;
};

}  // namespace segue::net
