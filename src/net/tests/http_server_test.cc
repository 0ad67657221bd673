#include "net/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace segue::net {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::filesystem::temp_directory_path() / ("segue-net-" + std::to_string(::getpid()));
    std::mt19937 rng(7);
    content_.resize(700 * 1024);
    for (auto& c : content_) c = static_cast<char>(rng());
    std::ofstream(file_, std::ios::binary) << content_;

    router_.add(http::verb::get, "/hello/{name}", [](Request& r) -> asio::awaitable<Response> {
      co_return Response::text(200, "hello " + r.param("name"));
    });
    router_.add(http::verb::post, "/echo", [](Request& r) -> asio::awaitable<Response> {
      co_return Response::text(200, std::string(r.body()));
    });
    router_.add(http::verb::get, "/file", [this](Request& r) -> asio::awaitable<Response> {
      Response res;
      res.file = FileBody{file_.string(), 1000, content_.size() - 2000};
      co_return res;
    });
    router_.add(http::verb::get, "/blocking", [this](Request& r) -> asio::awaitable<Response> {
      int v = co_await workers_.run([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return 42;
      });
      co_return Response::text(200, std::to_string(v));
    });
    ServerOptions opt;
    opt.port = 0;
    opt.io_threads = 2;
    opt.body_limit = 1024;
    opt.access_log = false;
    opt.cors_origins = {"http://app.example"};
    opt.idle_timeout = std::chrono::seconds(1);
    opt.request_timeout = std::chrono::seconds(1);
    server_ = std::make_unique<Server>(opt, router_, workers_, metrics_);
    ASSERT_TRUE(server_->bind().ok());
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    std::filesystem::remove(file_);
  }

  http::response<http::string_body> send(beast::tcp_stream& s, http::request<http::string_body> req) {
    req.version(11);
    req.set(http::field::host, "localhost");
    req.prepare_payload();
    http::write(s, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> p;
    p.body_limit(10 * 1024 * 1024);
    if (req.method() == http::verb::head) p.skip(true);
    http::read(s, buf, p);
    return p.release();
  }
  beast::tcp_stream connect() {
    beast::tcp_stream s(ioc_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  std::filesystem::path file_;
  std::string content_;
  Router router_;
  WorkerPool workers_{2};
  MetricsRegistry metrics_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  asio::io_context ioc_;
};

TEST_F(ServerTest, ServesSeveralRequestsOnOneKeepAliveConnection) {
  auto s = connect();
  for (int i = 0; i < 3; ++i) {
    auto res = send(s, {http::verb::get, "/hello/w%C3%B6rld", 11});
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "hello w\xC3\xB6rld");
    EXPECT_TRUE(res.keep_alive());
    EXPECT_FALSE(res["X-Request-Id"].empty());
  }
}

TEST_F(ServerTest, UnknownRouteAndWrongMethodUseTheErrorShape) {
  auto s = connect();
  auto res = send(s, {http::verb::get, "/nope", 11});
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(res.body(), R"({"error":{"status":404,"message":"Service not found"}})");
  res = send(s, {http::verb::delete_, "/echo", 11});
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[http::field::allow], "POST");
}

TEST_F(ServerTest, OversizedBodyGets413) {
  auto s = connect();
  http::request<http::string_body> req{http::verb::post, "/echo", 11};
  req.body() = std::string(2000, 'x');
  auto res = send(s, req);
  EXPECT_EQ(res.result_int(), 413);
}

TEST_F(ServerTest, LargeFileBodiesAreStreamedExactly) {
  auto s = connect();
  auto res = send(s, {http::verb::get, "/file", 11});
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), content_.substr(1000, content_.size() - 2000));
  auto head = send(s, {http::verb::head, "/file", 11});
  EXPECT_EQ(head[http::field::content_length], std::to_string(content_.size() - 2000));
}

TEST_F(ServerTest, BlockingWorkRunsOnWorkersWhileOtherRequestsProceed) {
  auto a = connect();
  auto b = connect();
  http::request<http::string_body> req{http::verb::get, "/blocking", 11};
  req.set(http::field::host, "x");
  http::write(a, req);  // in flight for 50 ms on a worker
  auto t0 = std::chrono::steady_clock::now();
  auto res = send(b, {http::verb::get, "/hello/x", 11});
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
  beast::flat_buffer buf;
  http::response<http::string_body> r2;
  http::read(a, buf, r2);
  EXPECT_EQ(r2.body(), "42");
}

TEST_F(ServerTest, CorsPreflightAnswersOnlyAllowedOrigins) {
  auto s = connect();
  http::request<http::string_body> req{http::verb::options, "/echo", 11};
  req.set(http::field::origin, "http://app.example");
  req.set(http::field::access_control_request_method, "POST");
  auto res = send(s, req);
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "http://app.example");
  req.set(http::field::origin, "http://evil.example");
  res = send(s, req);
  EXPECT_TRUE(res[http::field::access_control_allow_origin].empty());
}

TEST_F(ServerTest, MetricsCountRequestsPerRouteAndStatus) {
  auto s = connect();
  (void)send(s, {http::verb::get, "/hello/a", 11});
  (void)send(s, {http::verb::get, "/hello/b", 11});
  std::string text = metrics_.render();
  EXPECT_NE(text.find("segue_http_requests_total{route=\"/hello/{name}\",status=\"200\"} 2"),
            std::string::npos) << text;
}

TEST_F(ServerTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  auto s = connect();
  (void)send(s, {http::verb::get, "/hello/a", 11});
  auto t0 = std::chrono::steady_clock::now();
  char byte;
  beast::error_code ec;
  s.socket().read_some(asio::buffer(&byte, 1), ec);  // blocks until the server closes
  EXPECT_EQ(ec, asio::error::eof);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LT(waited, std::chrono::milliseconds(3500));
}

TEST_F(ServerTest, SlowRequestsAreCutOffAtTheRequestTimeout) {
  auto s = connect();
  // Half a request, then nothing: a slowloris client.
  std::string partial = "GET /hello/a HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  asio::write(s.socket(), asio::buffer(partial));
  auto t0 = std::chrono::steady_clock::now();
  char byte;
  beast::error_code ec;
  s.socket().read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(3000));
}

TEST_F(ServerTest, StopClosesIdleConnectionsAndReturns) {
  auto s = connect();
  (void)send(s, {http::verb::get, "/hello/a", 11});
  // Stop with this connection idle: the server closes it and run() returns well before the
  // idle timeout or the shutdown grace period would end it.
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  thread_.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  char byte;
  beast::error_code ec;
  s.socket().read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  thread_ = std::thread([] {});  // TearDown joins it
}


// A server with its own options, for the tests below that need other limits than ServerTest's.
class OwnServer {
 public:
  OwnServer(ServerOptions opt, Router& router) : server_(std::move(opt), router, workers_, metrics_) {
    EXPECT_TRUE(server_.bind().ok());
    thread_ = std::thread([this] { server_.run(); });
  }
  ~OwnServer() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }
  uint16_t port() const { return server_.port(); }
  MetricsRegistry& metrics() { return metrics_; }

 private:
  WorkerPool workers_{1};
  MetricsRegistry metrics_;
  Server server_;
  std::thread thread_;
};

// A connection from the loopback address `from` (127.0.0.2, 127.0.0.3, ...: Linux routes all
// of 127/8 to lo) that has had one request answered, or nullopt if the server closed it.
std::optional<beast::tcp_stream> held_connection(asio::io_context& ioc, const char* from, uint16_t port) {
  beast::tcp_stream s(ioc);
  s.socket().open(tcp::v4());
  s.socket().bind(tcp::endpoint(asio::ip::make_address(from), 0));
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{http::verb::get, "/hello/a", 11};
  req.set(http::field::host, "localhost");
  beast::error_code ec;
  http::write(s, req, ec);
  if (ec) return std::nullopt;
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res, ec);
  if (ec || res.result_int() != 200) return std::nullopt;
  return s;
}

Router hello_router() {
  Router r;
  r.add(http::verb::get, "/hello/{name}", [](Request& req) -> asio::awaitable<Response> {
    co_return Response::text(200, "hello " + req.param("name"));
  });
  r.add(http::verb::get, "/limited", [](Request&) -> asio::awaitable<Response> {
    co_return Response::error(429, "API rate limit exceeded");
  });
  return r;
}

// Issue 14: one client holding idle connections took every connection slot.
TEST(ServerLimits, OneAddressIsCappedWhileAnotherStillConnects) {
  Router router = hello_router();
  ServerOptions opt;
  opt.port = 0;
  opt.io_threads = 2;  // the cap holds across network threads
  opt.access_log = false;
  opt.max_connections = 100;
  opt.max_connections_per_address = 3;
  OwnServer server(opt, router);
  asio::io_context ioc;
  std::vector<beast::tcp_stream> held;
  for (int i = 0; i < 3; ++i) {
    auto c = held_connection(ioc, "127.0.0.2", server.port());
    ASSERT_TRUE(c.has_value()) << i;
    held.push_back(std::move(*c));
  }
  EXPECT_FALSE(held_connection(ioc, "127.0.0.2", server.port()).has_value()) << "a fourth from the same address";
  EXPECT_TRUE(held_connection(ioc, "127.0.0.3", server.port()).has_value()) << "another address still connects";
  EXPECT_NE(server.metrics().render().find("segue_http_rejected_connections_per_address_total 1"), std::string::npos);
  // A closed connection gives its slot back.
  held.pop_back();
  bool again = false;
  for (int i = 0; i < 50 && !again; ++i) {
    again = held_connection(ioc, "127.0.0.2", server.port()).has_value();
    if (!again) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(again);
}

// Issue 14: under a flood the rate limiter refused, every refusal was logged (1.36 GB in 5 min).
TEST(ServerLimits, RefusedRequestsAreCountedInFullButLoggedSampled) {
  Router router = hello_router();
  ServerOptions opt;
  opt.port = 0;
  opt.io_threads = 1;
  opt.access_log = true;
  opt.access_log_errors_per_second = 5;
  ::testing::internal::CaptureStderr();
  std::string text;
  std::string metrics;
  auto t0 = std::chrono::steady_clock::now();
  {
    OwnServer server(opt, router);
    asio::io_context ioc;
    beast::tcp_stream s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
    beast::flat_buffer buf;
    for (int i = 0; i < 300; ++i) {
      http::request<http::string_body> req{http::verb::get, i % 30 == 0 ? "/hello/a" : "/limited", 11};
      req.set(http::field::host, "localhost");
      http::write(s, req);
      http::response<http::string_body> res;
      http::read(s, buf, res);
    }
    server.stop();  // flushes the log
    metrics = server.metrics().render();
  }
  // Wall-clock seconds the flood touched (sampling restarts at each).
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count() + 2;
  text = ::testing::internal::GetCapturedStderr();
  int logged_429 = 0, logged_200 = 0;
  long suppressed = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("msg=request ") != std::string::npos && line.find("status=429") != std::string::npos) ++logged_429;
    if (line.find("msg=request ") != std::string::npos && line.find("status=200") != std::string::npos) ++logged_200;
    if (auto at = line.find("suppressed="); at != std::string::npos && line.find("status=429") != std::string::npos)
      suppressed += std::stol(line.substr(at + 11));
  }
  EXPECT_EQ(logged_200, 10) << "successful requests are all logged";
  EXPECT_GE(logged_429, 5);
  EXPECT_LE(logged_429, 5 * seconds);
  EXPECT_EQ(logged_429 + suppressed, 290) << text.substr(0, 2000);
  EXPECT_NE(metrics.find("segue_http_requests_total{route=\"/limited\",status=\"429\"} 290"), std::string::npos);
  EXPECT_NE(metrics.find("segue_access_log_suppressed_total{status=\"429\"} " + std::to_string(suppressed)),
            std::string::npos);
}

}  // namespace
}  // namespace segue::net
