#include "net/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>

#include <filesystem>
#include <fstream>
#include <random>
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

}  // namespace
}  // namespace segue::net
