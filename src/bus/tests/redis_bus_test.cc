// RedisBus against a real redis-server (scripts/redis-test.sh, a Unix socket in a temporary
// directory): two buses stand for two nodes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus/redis_bus.h"

namespace segue::bus {
namespace {
using namespace std::chrono_literals;

// Runs the script; its output's first line (the URL for start).
std::string redis_script(const std::string& cmd, const std::string& dir) {
  std::string line;
  if (FILE* p = ::popen((std::string(SEGUE_REDIS_TEST_SCRIPT) + " " + cmd + " '" + dir + "'").c_str(), "r")) {
    char buf[512];
    if (std::fgets(buf, sizeof buf, p)) line = buf;
    ::pclose(p);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// What one node's subscriber heard.
struct Heard {
  std::mutex mu;
  std::vector<DomainEvent> events;
  void add(const DomainEvent& e) {
    std::lock_guard l(mu);
    events.push_back(e);
  }
  std::vector<DomainEvent> get() {
    std::lock_guard l(mu);
    return events;
  }
  std::size_t size() { return get().size(); }
};

PlaylistItemsChanged items_changed(int i) {
  return PlaylistItemsChanged{PlaylistId("p" + std::to_string(i)), "s" + std::to_string(i), "s" + std::to_string(i - 1),
                              std::string("\x00\x01\xff ops", 7), i % 2 == 0};
}

class RedisBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v redis-server >/dev/null 2>&1") != 0) GTEST_SKIP() << "redis-server is not installed";
    char tmpl[] = "/tmp/segue-redis-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    start_redis();
    auto address = parse_redis_url(url_);
    ASSERT_TRUE(address.ok()) << url_;
    a_ = std::make_unique<RedisBus>(RedisBusOptions{*address, "segue:test", "node-a"});
    b_ = std::make_unique<RedisBus>(RedisBusOptions{*address, "segue:test", "node-b"});
    sub_a_ = a_->subscribe("test-a", [this](const DomainEvent& e) { heard_a_.add(e); });
    sub_b_ = b_->subscribe("test-b", [this](const DomainEvent& e) { heard_b_.add(e); });
    ASSERT_TRUE(eventually([&] { return a_->subscribed() && b_->subscribed(); }));
  }
  void TearDown() override {
    sub_a_.reset();
    sub_b_.reset();
    a_.reset();
    b_.reset();
    if (!dir_.empty()) redis_script("stop", dir_);
  }
  void start_redis() {
    url_ = redis_script("start", dir_);
    ASSERT_EQ(url_.rfind("redis:///", 0), 0u) << "redis-test.sh start printed '" << url_ << "'";
  }

  std::string dir_, url_;
  std::unique_ptr<RedisBus> a_, b_;
  Heard heard_a_, heard_b_;
  Subscription sub_a_, sub_b_;
};

TEST(RedisUrl, TcpAndUnixSocketFormsAreParsedAndOthersNamed) {
  auto tcp = parse_redis_url("redis://127.0.0.1:6380");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, 6380);
  EXPECT_TRUE(tcp->socket_path.empty());
  auto dflt = parse_redis_url("redis://cache.internal");
  ASSERT_TRUE(dflt.ok());
  EXPECT_EQ(dflt->port, 6379);
  auto v6 = parse_redis_url("redis://[::1]:7000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
  auto unix_socket = parse_redis_url("redis:///run/redis/redis.sock");
  ASSERT_TRUE(unix_socket.ok());
  EXPECT_EQ(unix_socket->socket_path, "/run/redis/redis.sock");
  EXPECT_EQ(unix_socket->describe(), "unix:/run/redis/redis.sock");
  for (const char* bad : {"", "http://h:1", "redis://", "redis:///", "redis://h:0", "redis://h:99999", "redis://h:x",
                          "redis://user:pw@h:1", "redis://h:1/0", "redis://h:"}) {
    auto r = parse_redis_url(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find("redis://HOST[:PORT]"), std::string::npos) << r.error().message;
    }
  }
}

TEST_F(RedisBusTest, AnEventPublishedOnOneNodeReachesTheOtherDecodedEqualAndNobodyTwice) {
  a_->publish(items_changed(1));
  ASSERT_EQ(heard_a_.size(), 1u);  // inline, before publish returned
  ASSERT_TRUE(eventually([&] { return heard_b_.size() == 1; }));
  EXPECT_EQ(heard_b_.get()[0], DomainEvent(items_changed(1)));

  const LibraryChanged lib{UserId("u1"), LibraryChanged::Kind::kAlbums, {"a1", "a2"}, false};
  b_->publish(lib);
  ASSERT_EQ(heard_b_.size(), 2u);
  ASSERT_TRUE(eventually([&] { return heard_a_.size() == 2; }));
  EXPECT_EQ(heard_a_.get()[1], DomainEvent(lib));

  // A node-local kind stays on its node; crossing events published after it arrive in order,
  // behind nothing else (so neither bus delivered its own event a second time either).
  a_->publish(CatalogSnapshotPublished{7, 100});
  a_->publish(UsersRevoked{{UserId("u2"), UserId("u3")}});
  a_->publish(PlaylistDetailsChanged{PlaylistId("p9")});
  EXPECT_EQ(heard_a_.size(), 5u);
  ASSERT_TRUE(eventually([&] { return heard_b_.size() == 4; }));
  std::this_thread::sleep_for(100ms);  // anything that would come twice has come by now
  EXPECT_EQ(heard_a_.size(), 5u);
  auto b = heard_b_.get();
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[2], DomainEvent(UsersRevoked{{UserId("u2"), UserId("u3")}}));
  EXPECT_EQ(b[3], DomainEvent(PlaylistDetailsChanged{PlaylistId("p9")}));
}

TEST_F(RedisBusTest, PublishingWhileRedisIsAwayIsLocalAndQuickAndDeliveryResumesAfterARestart) {
  redis_script("stop", dir_);
  ASSERT_TRUE(eventually([&] { return !a_->subscribed() && !b_->subscribed(); }));

  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) a_->publish(items_changed(i));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 1s);  // at most one connect timeout, not one per event
  EXPECT_EQ(heard_a_.size(), 20u);  // this node's subscribers still have every event

  start_redis();
  ASSERT_TRUE(eventually([&] { return a_->subscribed() && b_->subscribed(); }));
  // Publishers retry their connection at most once a second: publish until one gets through.
  int i = 100;
  ASSERT_TRUE(eventually([&] {
    b_->publish(items_changed(i++));
    std::this_thread::sleep_for(50ms);
    return heard_a_.size() > 20;
  }));
  // a got one of b's events, published after the restart; b heard only its own (inline), none
  // of the 20 a published while Redis was away.
  auto number = [](const DomainEvent& e) { return std::stoi(std::get<PlaylistItemsChanged>(e).playlist_id.str().substr(1)); };
  EXPECT_GE(number(heard_a_.get().back()), 100);
  for (const auto& e : heard_b_.get()) EXPECT_GE(number(e), 100);
}

}  // namespace
}  // namespace segue::bus
