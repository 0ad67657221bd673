#include "net/websocket.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <future>
#include <thread>

#include "net/http_server.h"
#include "net/pubsub.h"

namespace segue::net {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Client = websocket::stream<tcp::socket>;

// Echoes text, subscribes the connection to "news" on the hub, and hands the connection out.
class TestSession : public WsSession {
 public:
  TestSession(LocalPubSub& hub, std::promise<std::shared_ptr<WsConnection>>* out) : hub_(hub), out_(out) {}
  asio::awaitable<void> on_open(WsConnection& c) override {
    struct Forward : Subscriber {
      std::weak_ptr<WsConnection> conn;
      void deliver(std::string_view, const SharedText& m) override {
        if (auto c = conn.lock()) c->send(m);
      }
    };
    auto f = std::make_shared<Forward>();
    f->conn = c.shared_from_this();
    sub_ = hub_.subscribe("news", f);
    if (out_) out_->set_value(c.shared_from_this());
    co_return;
  }
  asio::awaitable<void> on_message(WsConnection& c, std::string text) override {
    if (text == "close-soon") c.close_at(std::chrono::steady_clock::now() + std::chrono::milliseconds(200),
                                         close_code::kPolicyViolation, "deadline");
    else if (text == "cancel") c.cancel_close_at();
    else c.send("echo:" + text);
    co_return;
  }
  void on_close(WsConnection&) override { hub_.unsubscribe(sub_); }

 private:
  LocalPubSub& hub_;
  std::promise<std::shared_ptr<WsConnection>>* out_;
  SubscriptionId sub_ = 0;
};

class WebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add_websocket("/ws", [this](Request& req) -> asio::awaitable<WsAccept> {
      if (req.header(http::field::authorization) == "no") co_return Response::error(401, "No token provided");
      auto* out = next_conn_.exchange(nullptr);
      co_return std::make_unique<TestSession>(hub_, out);
    });
    ServerOptions opt;
    opt.port = 0;
    opt.io_threads = 2;
    opt.access_log = false;
    opt.cors_origins = {"http://app.example"};
    opt.shutdown_grace = std::chrono::seconds(2);
    opt.websocket.max_message_bytes = 1024;
    opt.websocket.max_queue_bytes = 256 * 1024;
    opt.websocket.close_timeout = std::chrono::seconds(1);
    server_ = std::make_unique<Server>(opt, router_, workers_, metrics_);
    ASSERT_TRUE(server_->bind().ok());
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }

  // Connects and completes the handshake; `res` gets the server's answer.
  std::unique_ptr<Client> open(websocket::response_type& res, beast::error_code& ec, const std::string& auth = "",
                               const std::string& origin = "", int rcvbuf = 0) {
    auto c = std::make_unique<Client>(ioc_);
    c->next_layer().open(tcp::v4());
    if (rcvbuf) c->next_layer().set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    c->next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    c->set_option(websocket::stream_base::decorator([auth, origin](websocket::request_type& req) {
      if (!auth.empty()) req.set(http::field::authorization, auth);
      if (!origin.empty()) req.set(http::field::origin, origin);
    }));
    c->handshake(res, "127.0.0.1:" + std::to_string(server_->port()), "/ws", ec);
    return c;
  }
  std::unique_ptr<Client> open() {
    websocket::response_type res;
    beast::error_code ec;
    auto c = open(res, ec);
    EXPECT_FALSE(ec) << ec.message();
    return c;
  }
  static std::string read(Client& c) {
    beast::flat_buffer buf;
    c.read(buf);
    return beast::buffers_to_string(buf.data());
  }
  // Reads until the server closes; returns the close code.
  static int read_until_closed(Client& c, int* messages = nullptr) {
    beast::flat_buffer buf;
    for (;;) {
      beast::error_code ec;
      c.read(buf, ec);
      buf.consume(buf.size());
      if (ec == websocket::error::closed) return c.reason().code;
      // The close frame arrived, but the server closed the socket while the client's own
      // teardown ran (it may, after failing a connection): the code is still known.
      if (ec && c.reason().code) return c.reason().code;
      if (ec) {
        ADD_FAILURE() << "read failed: " << ec.message();
        return -1;
      }
      if (messages) ++*messages;
    }
  }
  int64_t gauge(const std::string& name) {
    std::string text = metrics_.render();
    auto pos = text.find("\n" + name + " ");
    if (pos == std::string::npos) return -1;
    return std::stoll(text.substr(pos + name.size() + 2));
  }

  Router router_;
  LocalPubSub hub_;
  WorkerPool workers_{2};
  MetricsRegistry metrics_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  asio::io_context ioc_;
  std::atomic<std::promise<std::shared_ptr<WsConnection>>*> next_conn_{nullptr};
};

TEST_F(WebSocketTest, UpgradesEchoesAndCountsInMetrics) {
  websocket::response_type res;
  beast::error_code ec;
  auto c = open(res, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 101);
  EXPECT_FALSE(res["X-Request-Id"].empty());
  c->write(asio::buffer(std::string("hi")));
  EXPECT_EQ(read(*c), "echo:hi");
  EXPECT_EQ(gauge("segue_ws_open_connections"), 1);
  std::string text = metrics_.render();
  EXPECT_NE(text.find("segue_ws_messages_total{direction=\"in\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("segue_http_requests_total{route=\"/ws\",status=\"101\"} 1"), std::string::npos);
  c->close(websocket::close_code::normal);
  for (int i = 0; i < 100 && gauge("segue_ws_open_connections") != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(gauge("segue_ws_open_connections"), 0);
}

TEST_F(WebSocketTest, HandlerRefusalIsAnHttpResponse) {
  websocket::response_type res;
  beast::error_code ec;
  auto c = open(res, ec, "no");
  EXPECT_EQ(ec, websocket::error::upgrade_declined);
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_NE(res.body().find("No token provided"), std::string::npos);
}

TEST_F(WebSocketTest, PlainRequestToTheWebSocketPathGets426) {
  beast::tcp_stream s(ioc_);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  http::request<http::string_body> req{http::verb::get, "/ws", 11};
  req.set(http::field::host, "localhost");
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  EXPECT_EQ(res.result_int(), 426);
}

TEST_F(WebSocketTest, ForeignOriginsAreRefused) {
  websocket::response_type res;
  beast::error_code ec;
  auto bad = open(res, ec, "", "http://evil.example");
  EXPECT_EQ(res.result_int(), 403);
  auto good = open(res, ec, "", "http://app.example");
  EXPECT_FALSE(ec);
  auto same = open(res, ec, "", "http://127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_FALSE(ec);
}

TEST_F(WebSocketTest, OversizedMessageClosesWith1009) {
  auto c = open();
  c->write(asio::buffer(std::string(2000, 'x')));
  EXPECT_EQ(read_until_closed(*c), 1009);
}

TEST_F(WebSocketTest, BinaryMessageClosesWith1003) {
  auto c = open();
  c->binary(true);
  c->write(asio::buffer(std::string("bin")));
  EXPECT_EQ(read_until_closed(*c), 1003);
}

TEST_F(WebSocketTest, CloseAtClosesUnlessCancelled) {
  auto c = open();
  c->write(asio::buffer(std::string("close-soon")));
  c->write(asio::buffer(std::string("cancel")));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  c->write(asio::buffer(std::string("still")));
  EXPECT_EQ(read(*c), "echo:still");
  c->write(asio::buffer(std::string("close-soon")));
  EXPECT_EQ(read_until_closed(*c), 1008);
  EXPECT_EQ(c->reason().reason, "deadline");
}

TEST_F(WebSocketTest, PublishFromAnyThreadReachesEverySubscriber) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(open());
  // Every session subscribed in on_open, before the handshake's answer... or right after: wait.
  for (int i = 0; i < 200 && hub_.subscriber_count("news") < 20; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(hub_.subscriber_count("news"), 20u);
  std::thread a([&] { for (int i = 0; i < 50; ++i) hub_.publish("news", "a" + std::to_string(i)); });
  std::thread b([&] { for (int i = 0; i < 50; ++i) hub_.publish("news", "b" + std::to_string(i)); });
  a.join();
  b.join();
  for (auto& c : clients) {
    int na = 0, nb = 0;
    for (int i = 0; i < 100; ++i) {
      std::string m = read(*c);
      if (m[0] == 'a') EXPECT_EQ(m, "a" + std::to_string(na++));
      else EXPECT_EQ(m, "b" + std::to_string(nb++));
    }
  }
  clients.clear();
  for (int i = 0; i < 200 && hub_.subscriber_count("news") > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(hub_.subscriber_count("news"), 0u);
}

// A client that reads nothing: sends never block, the queue stays bounded, the connection is
// closed with 1008, and another client is served meanwhile.
TEST_F(WebSocketTest, SlowClientIsClosedWhenItsQueueOverflows) {
  std::promise<std::shared_ptr<WsConnection>> p;
  next_conn_ = &p;
  websocket::response_type res;
  beast::error_code ec;
  auto slow = open(res, ec, "", "", 4096);
  ASSERT_FALSE(ec);
  auto conn = p.get_future().get();
  auto other = open();

  const std::string chunk(64 * 1024, 'z');
  auto text = std::make_shared<const std::string>(chunk);
  int sent = 0;
  auto longest = std::chrono::steady_clock::duration::zero();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    bool ok = conn->send(text);
    longest = std::max(longest, std::chrono::steady_clock::now() - t0);
    if (!ok) break;
    ++sent;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "never closed";
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_LT(longest, std::chrono::milliseconds(50));
  // At least the queue's worth (256 KiB), at most that plus what the sockets' buffers hold.
  EXPECT_GE(sent, 4);
  EXPECT_LT(sent, 200);
  EXPECT_TRUE(conn->closing());
  EXPECT_FALSE(conn->send(text));
  std::string m = metrics_.render();
  EXPECT_NE(m.find("segue_ws_closed_slow_total 1"), std::string::npos);

  other->write(asio::buffer(std::string("ping")));
  EXPECT_EQ(read(*other), "echo:ping");

  int got = 0;
  EXPECT_EQ(read_until_closed(*slow, &got), 1008);
  EXPECT_LT(got, sent);  // the queued rest was dropped
}

TEST_F(WebSocketTest, StopClosesWebSocketsWithGoingAway) {
  auto c = open();
  c->write(asio::buffer(std::string("x")));
  EXPECT_EQ(read(*c), "echo:x");
  server_->stop();
  EXPECT_EQ(read_until_closed(*c), 1001);
}

}  // namespace
}  // namespace segue::net
