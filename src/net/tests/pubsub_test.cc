#include "net/pubsub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace segue::net {
namespace {

// Records what it receives. Thread-safe, like a real subscriber must be.
class Recorder : public Subscriber {
 public:
  void deliver(std::string_view topic, const SharedText& message) override {
    if (closed.load()) after_close.fetch_add(1);
    std::lock_guard lock(mu);
    got.emplace_back(std::string(topic), *message);
    last = message;
  }
  std::vector<std::pair<std::string, std::string>> messages() {
    std::lock_guard lock(mu);
    return got;
  }
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> got;
  SharedText last;
  std::atomic<bool> closed{false};
  std::atomic<int> after_close{0};
};

TEST(PubSubTest, DeliversToTheTopicsSubscribersOnly) {
  MetricsRegistry metrics;
  LocalPubSub hub(&metrics);
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  auto c = std::make_shared<Recorder>();
  hub.subscribe("me:alice", a);
  hub.subscribe("me:alice", b);
  hub.subscribe("me:bob", c);
  hub.publish("me:alice", "hello");
  hub.publish("nobody", "lost");
  ASSERT_EQ(a->messages().size(), 1u);
  EXPECT_EQ(a->messages()[0].first, "me:alice");
  EXPECT_EQ(a->messages()[0].second, "hello");
  ASSERT_EQ(b->messages().size(), 1u);
  EXPECT_TRUE(c->messages().empty());
  // One copy of the text, shared by every subscriber.
  EXPECT_EQ(a->last.get(), b->last.get());
  EXPECT_EQ(hub.subscriber_count("me:alice"), 2u);
  EXPECT_EQ(hub.subscription_count(), 3u);
  EXPECT_NE(metrics.render().find("segue_pubsub_subscriptions 3"), std::string::npos);
  EXPECT_NE(metrics.render().find("segue_pubsub_delivered_total 2"), std::string::npos);
}

TEST(PubSubTest, NothingArrivesAfterUnsubscribeAndTheHubLetsGo) {
  LocalPubSub hub;
  auto a = std::make_shared<Recorder>();
  std::weak_ptr<Recorder> weak = a;
  auto id = hub.subscribe("t", a);
  auto id2 = hub.subscribe("t", a);  // the same subscriber twice: two deliveries
  hub.publish("t", "1");
  EXPECT_EQ(a->messages().size(), 2u);
  hub.unsubscribe(id);
  hub.unsubscribe(id);  // twice is harmless
  hub.publish("t", "2");
  EXPECT_EQ(a->messages().size(), 3u);
  hub.unsubscribe(id2);
  hub.publish("t", "3");
  EXPECT_EQ(a->messages().size(), 3u);
  EXPECT_EQ(hub.subscriber_count("t"), 0u);
  a.reset();
  EXPECT_TRUE(weak.expired());
}

// Several publishers, subscribers that stay, and subscribers that come and go, all at once.
TEST(PubSubTest, ConcurrentPublishSubscribeUnsubscribeKeepsPerPublisherOrder) {
  LocalPubSub hub;
  constexpr int kPublishers = 4;
  constexpr int kMessages = 3000;
  constexpr int kSteady = 3;
  std::vector<std::shared_ptr<Recorder>> steady;
  for (int i = 0; i < kSteady; ++i) {
    steady.push_back(std::make_shared<Recorder>());
    hub.subscribe("topic", steady.back());
  }
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  std::atomic<int> churned{0};
  // Churn: subscribe, maybe receive, unsubscribe, then check nothing more arrives.
  std::vector<std::thread> churners;
  for (int c = 0; c < 3; ++c) {
    churners.emplace_back([&, c] {
      while (!done.load()) {
        auto r = std::make_shared<Recorder>();
        auto id = hub.subscribe(c % 2 ? "topic" : "other", r);
        std::this_thread::yield();
        hub.unsubscribe(id);
        r->closed.store(true);
        std::this_thread::yield();
        violations.fetch_add(r->after_close.load());
        churned.fetch_add(1);
      }
    });
  }
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&hub, p] {
      for (int i = 0; i < kMessages; ++i) hub.publish("topic", std::to_string(p) + ":" + std::to_string(i));
    });
  }
  for (auto& t : publishers) t.join();
  done.store(true);
  for (auto& t : churners) t.join();

  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(churned.load(), 0);
  for (auto& r : steady) {
    auto msgs = r->messages();
    ASSERT_EQ(msgs.size(), static_cast<std::size_t>(kPublishers * kMessages));
    std::map<int, int> next;  // publisher -> next expected sequence number
    for (const auto& [topic, text] : msgs) {
      auto colon = text.find(':');
      int p = std::stoi(text.substr(0, colon));
      int seq = std::stoi(text.substr(colon + 1));
      ASSERT_EQ(seq, next[p]) << "publisher " << p << " out of order";
      next[p] = seq + 1;
    }
  }
  EXPECT_EQ(hub.subscription_count(), static_cast<std::size_t>(kSteady));
}

}  // namespace
}  // namespace segue::net
