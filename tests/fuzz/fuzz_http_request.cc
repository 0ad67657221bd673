// Raw bytes from a client, as the server reads them: a real net::Server (one network thread,
// the production header and body limits, a short request deadline) on a loopback port gets
// each input on a fresh connection, then the client's half-close. Under test: Beast's request
// parser as the server configures it, the request target split, query decoding, request-id
// sanitising, the router (path parameters, 404/405/400), CORS, the WebSocket upgrade path
// and, after an upgrade, Beast's frame parser with the server's message limits.
//
// Properties: the server never crashes, whatever it answers starts with an HTTP/1.x status
// line, and it still answers a well-formed request afterwards (checked every 64 inputs).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "net/http_server.h"

namespace {
namespace net = segue::net;
using boost::asio::awaitable;

struct EchoSession : net::WsSession {
  awaitable<void> on_message(net::WsConnection& conn, std::string text) override {
    conn.send(std::make_shared<const std::string>(std::move(text)));
    co_return;
  }
};

struct Harness {
  net::Router router;
  net::WorkerPool workers{1};
  segue::MetricsRegistry metrics;
  std::unique_ptr<net::Server> server;
  std::thread thread;
  uint16_t port = 0;

  Harness() {
    router.add(net::http::verb::get, "/v1/albums/{id}/tracks", [](net::Request& r) -> awaitable<net::Response> {
      co_return net::Response::json(200, "{\"id\":\"" + std::to_string(r.param("id").size()) + "\"}");
    });
    router.add(net::http::verb::post, "/v1/echo", [](net::Request& r) -> awaitable<net::Response> {
      co_return net::Response::text(200, std::string(r.body()));
    });
    router.add(net::http::verb::put, "/v1/me/tracks", [](net::Request& r) -> awaitable<net::Response> {
      co_return net::Response::empty(r.query.empty() ? 400 : 200);
    });
    router.add_websocket("/v1/ws", [](net::Request&) -> awaitable<net::WsAccept> {
      co_return net::WsAccept(std::make_unique<EchoSession>());
    });
    net::ServerOptions opt;
    opt.port = 0;
    opt.io_threads = 1;
    opt.access_log = false;
    opt.cors_origins = {"http://app.example"};
    opt.request_timeout = std::chrono::seconds(1);
    opt.idle_timeout = std::chrono::seconds(1);
    opt.shutdown_grace = std::chrono::seconds(1);
    server = std::make_unique<net::Server>(opt, router, workers, metrics);
    if (!server->bind().ok()) __builtin_trap();
    port = server->port();
    thread = std::thread([this] { server->run(); });
  }
  ~Harness() {
    server->stop();
    thread.join();
  }

  // Sends `bytes`, half-closes, and returns everything the server wrote before closing.
  std::string exchange(std::string_view bytes) const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) __builtin_trap();
    timeval tv{3, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Reset on close: thousands of connections a second would otherwise leave the client's
    // ephemeral ports in TIME_WAIT until connect() fails with EADDRNOTAVAIL.
    linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    std::string out;
    int attempts = 0;
    while (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (++attempts == 50) {
        std::fprintf(stderr, "fuzz_http_request: connect: %s\n", std::strerror(errno));
        ::close(fd);
        return "<connect failed>";
      }
      ::close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) __builtin_trap();
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // the server may close early (413, 431, 400): that is fine
      sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (out.size() > (4u << 20)) break;
    }
    ::close(fd);
    return out;
  }
};

Harness& harness() {
  static Harness* h = new Harness();  // never destroyed: libFuzzer exits without unwinding
  return *h;
}

bool status_line_ok(std::string_view r) {
  if (r.empty()) return true;
  // HTTP/1.1, or 1.0 when the request said HTTP/1.0.
  if (r.size() < 12 || (r.substr(0, 9) != "HTTP/1.1 " && r.substr(0, 9) != "HTTP/1.0 ")) return false;
  for (int i = 9; i < 12; ++i)
    if (r[i] < '0' || r[i] > '9') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static unsigned runs = 0;
  Harness& h = harness();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string reply = h.exchange(bytes);
  if (reply == "<connect failed>" || !status_line_ok(reply)) {
    std::fprintf(stderr, "fuzz_http_request: bad answer (%zu bytes): %.200s\n", reply.size(), reply.c_str());
    __builtin_trap();
  }
  if (++runs % 64 == 0) {
    std::string ok = h.exchange("GET /v1/albums/abc/tracks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if (ok.rfind("HTTP/1.1 200", 0) != 0) {
      std::fprintf(stderr, "fuzz_http_request: the server no longer answers: %.200s\n", ok.c_str());
      __builtin_trap();
    }
  }
  return 0;
}
