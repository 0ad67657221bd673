#include "net/websocket.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <mutex>

#include "common/log.h"

namespace segue::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
}  // namespace

boost::asio::awaitable<void> WsSession::on_open(WsConnection&) { co_return; }

WsMetrics::WsMetrics(MetricsRegistry& m)
    : open(m.gauge("segue_ws_open_connections", "Open WebSocket connections")),
      messages_in(m.counter("segue_ws_messages_total", "WebSocket messages", {{"direction", "in"}})),
      messages_out(m.counter("segue_ws_messages_total", "WebSocket messages", {{"direction", "out"}})),
      closed_slow(m.counter("segue_ws_closed_slow_total",
                            "WebSockets closed because the client did not read fast enough")) {}

class ServerWsConnection final : public WsConnection {
 public:
  ServerWsConnection(beast::tcp_stream&& stream, const WsOptions& opt, WsMetrics& metrics,
                     std::string request_id, std::string remote_ip)
      : ws_(std::move(stream)),
        ex_(ws_.get_executor()),
        timer_(ex_),
        opt_(opt),
        metrics_(metrics),
        request_id_(std::move(request_id)),
        remote_ip_(std::move(remote_ip)) {}

  bool send(SharedText text) override {
    bool start = false;
    bool ok = true;
    {
      std::lock_guard lock(mu_);
      if (closing_ || closed_) return false;
      if (queued_ + inflight_ + text->size() > opt_.max_queue_bytes) {
        // The client does not keep up: drop what it has not taken and close. Nobody waits.
        queue_.clear();
        queued_ = 0;
        closing_ = true;
        close_code_ = close_code::kPolicyViolation;
        close_reason_ = "too slow: send queue full";
        metrics_.closed_slow.inc();
        ok = false;
      } else {
        queued_ += text->size();
        queue_.push_back(std::move(text));
      }
      start = !writing_;
      if (start) writing_ = true;
    }
    if (!ok) post_arm_kill();
    if (start) asio::co_spawn(ex_, write_loop(self()), asio::detached);
    return ok;
  }

  void close(uint16_t code, std::string reason) override {
    bool start = false;
    {
      std::lock_guard lock(mu_);
      if (closing_ || closed_) return;
      closing_ = true;
      close_code_ = code;
      close_reason_ = std::move(reason);
      start = !writing_;
      if (start) writing_ = true;
    }
    post_arm_kill();
    if (start) asio::co_spawn(ex_, write_loop(self()), asio::detached);
  }

  bool closing() const override {
    std::lock_guard lock(mu_);
    return closing_ || closed_;
  }

  void close_at(Clock::time_point when, uint16_t code, std::string reason) override {
    if (kill_armed_ || closed_) return;
    deadline_code_ = code;
    deadline_reason_ = std::move(reason);
    arm(when, false);
  }

  void cancel_close_at() override {
    if (kill_armed_) return;
    ++timer_gen_;
    timer_.cancel();
  }

  const std::string& request_id() const override { return request_id_; }
  const std::string& remote_ip() const override { return remote_ip_; }
  asio::any_io_executor get_executor() const override { return ex_; }

  // ---- server side ----
  asio::awaitable<void> run(Request upgrade, std::unique_ptr<WsSession> session) {
    auto keep = self();
    beast::get_lowest_layer(ws_).expires_never();  // the websocket stream has its own timeouts
    websocket::stream_base::timeout to{};
    to.handshake_timeout = opt_.close_timeout;
    to.idle_timeout = opt_.idle_timeout;
    to.keep_alive_pings = true;
    ws_.set_option(to);
    ws_.read_message_max(opt_.max_message_bytes);
    ws_.set_option(websocket::stream_base::decorator([rid = request_id_](websocket::response_type& res) {
      res.set(http::field::server, "Segue");
      res.set("X-Request-Id", rid);
    }));
    auto [aec] = co_await ws_.async_accept(upgrade.raw, kTok);
    if (aec) {
      finish();
      co_return;
    }
    upgrade = Request();  // the headers are not needed any more
    metrics_.open.add(1);
    bool failed = false;
    try {
      co_await session->on_open(*this);
    } catch (const std::exception& e) {
      log::error("websocket session threw", {{"id", request_id_}, {"what", e.what()}});
      failed = true;
    }
    if (failed) close(close_code::kInternalError, "internal error");

    beast::flat_buffer buf;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buf, kTok);
      if (ec) break;
      metrics_.messages_in.inc();
      const bool text = ws_.got_text();
      std::string message = beast::buffers_to_string(buf.data());
      buf.consume(buf.size());
      if (buf.capacity() > 4096) buf.shrink_to_fit();
      if (closing()) continue;  // keep reading until the closing handshake ends
      if (!text) {
        close(close_code::kUnsupportedData, "text messages only");
        continue;
      }
      try {
        co_await session->on_message(*this, std::move(message));
      } catch (const std::exception& e) {
        log::error("websocket session threw", {{"id", request_id_}, {"what", e.what()}});
        failed = true;
      }
      if (failed) close(close_code::kInternalError, "internal error");
    }
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    try {
      session->on_close(*this);
    } catch (const std::exception& e) {
      log::error("websocket session threw on close", {{"id", request_id_}, {"what", e.what()}});
    }
    session.reset();
    metrics_.open.add(-1);
    finish();
  }

  void going_away() { close(close_code::kGoingAway, "server shutting down"); }

  void abort() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

 private:
  std::shared_ptr<ServerWsConnection> self() {
    return std::static_pointer_cast<ServerWsConnection>(shared_from_this());
  }

  // After the read loop ended: nothing more is written; the socket is closed.
  void finish() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      closing_ = true;
      queue_.clear();
      queued_ = 0;
    }
    ++timer_gen_;
    kill_armed_ = true;
    timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  // Once closing starts, the whole close must end within close_timeout (plus a second for the
  // handshake's own timeout), or the socket is closed: a write stuck on a client that reads
  // nothing must not keep the connection forever.
  void post_arm_kill() {
    asio::post(ex_, [me = self()] {
      if (me->kill_armed_ || me->closed_) return;
      me->arm(Clock::now() + me->opt_.close_timeout + std::chrono::seconds(1), true);
    });
  }

  void arm(Clock::time_point when, bool kill) {
    if (kill) kill_armed_ = true;
    uint64_t gen = ++timer_gen_;
    timer_.expires_at(when);
    timer_.async_wait([me = self(), gen, kill](const beast::error_code& ec) {
      if (ec || gen != me->timer_gen_ || me->closed_) return;
      if (kill) me->abort();
      else me->close(me->deadline_code_, std::move(me->deadline_reason_));
    });
  }

  asio::awaitable<void> write_loop(std::shared_ptr<ServerWsConnection> keep) {
    for (;;) {
      SharedText msg;
      bool do_close = false;
      {
        std::lock_guard lock(mu_);
        if (closed_) {
          writing_ = false;
          break;
        }
        if (!queue_.empty()) {
          msg = std::move(queue_.front());
          queue_.pop_front();
          queued_ -= msg->size();
          inflight_ = msg->size();
        } else if (closing_ && !close_started_) {
          close_started_ = true;
          do_close = true;
        } else {
          writing_ = false;
          break;
        }
      }
      if (msg) {
        ws_.text(true);
        auto [ec, n] = co_await ws_.async_write(asio::buffer(*msg), kTok);
        {
          std::lock_guard lock(mu_);
          inflight_ = 0;
          if (ec) {
            // The read loop sees the failure too and ends the connection.
            closing_ = true;
            writing_ = false;
            break;
          }
        }
        metrics_.messages_out.inc();
        continue;
      }
      if (do_close) {
        websocket::close_reason reason(close_code_);
        reason.reason = close_reason_;
        auto [ec] = co_await ws_.async_close(reason, kTok);
        if (ec) abort();
      }
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  asio::any_io_executor ex_;
  asio::steady_timer timer_;
  const WsOptions& opt_;
  WsMetrics& metrics_;
  std::string request_id_;
  std::string remote_ip_;

  // Shared with other threads (send, close).
  mutable std::mutex mu_;
  std::deque<SharedText> queue_;
  std::size_t queued_ = 0;    // bytes in queue_
  std::size_t inflight_ = 0;  // bytes being written
  bool writing_ = false;      // a write_loop runs (or is about to)
  bool closing_ = false;
  bool close_started_ = false;
  bool closed_ = false;       // the connection is over
  uint16_t close_code_ = close_code::kNormal;
  std::string close_reason_;

  // The connection's thread only.
  uint64_t timer_gen_ = 0;
  bool kill_armed_ = false;
  uint16_t deadline_code_ = close_code::kPolicyViolation;
  std::string deadline_reason_;
};

ServerWebSocket::ServerWebSocket(beast::tcp_stream&& stream, const WsOptions& options, WsMetrics& metrics,
                                 std::string request_id, std::string remote_ip)
    : conn_(std::make_shared<ServerWsConnection>(std::move(stream), options, metrics, std::move(request_id),
                                                 std::move(remote_ip))) {}

ServerWebSocket::~ServerWebSocket() = default;

asio::awaitable<void> ServerWebSocket::run(Request upgrade, std::unique_ptr<WsSession> session) {
  co_await conn_->run(std::move(upgrade), std::move(session));
}

void ServerWebSocket::going_away() { conn_->going_away(); }
void ServerWebSocket::abort() { conn_->abort(); }

}  // namespace segue::net
