// Publish/subscribe between the parts of the server that change things (handlers, workers) and
// the connections that want to hear about it (WebSockets). Topics are plain strings chosen by
// the publishers ("me:<user_id>", "playlist:<id>"); messages are opaque text, serialised once and
// shared by every subscriber.
//
// `PubSub` is the interface; `LocalPubSub` is the embedded in-process hub. A multi-node backend
// (Redis pub/sub) implements the same interface: publish() does PUBLISH, and the messages its
// SUBSCRIBE connection receives are handed to an embedded LocalPubSub for the local fan-out;
// it SUBSCRIBEs to a topic when the topic's first local subscriber arrives and UNSUBSCRIBEs after
// the last one leaves (LocalPubSub::subscriber_count tells).
//
// Guarantees (LocalPubSub):
//  - publish() may be called from any thread. It never blocks on a subscriber: deliver() only
//    queues (a WebSocket connection queues the text and writes it on its own network thread).
//  - Messages from one publishing thread reach each subscriber in the order they were published.
//  - Once unsubscribe() returns, the subscriber receives nothing more, and the hub holds no
//    reference to it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/metrics.h"

namespace segue::net {

// One message, shared (not copied) by all the subscribers it goes to.
using SharedText = std::shared_ptr<const std::string>;

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called on the publisher's thread, possibly concurrently for different publishers. Must not
  // block, and must not call back into the hub (subscribe/unsubscribe/publish): queue the work
  // for the subscriber's own thread instead.
  virtual void deliver(std::string_view topic, const SharedText& message) = 0;
};

using SubscriptionId = uint64_t;

class PubSub {
 public:
  virtual ~PubSub() = default;
  // Adds `subscriber` to `topic`. The id unsubscribes it. Thread-safe.
  virtual SubscriptionId subscribe(std::string topic, std::shared_ptr<Subscriber> subscriber) = 0;
  // Removes a subscription (unknown ids are ignored). Thread-safe.
  virtual void unsubscribe(SubscriptionId id) = 0;
  // Delivers `message` to every current subscriber of `topic`. Thread-safe.
  virtual void publish(std::string_view topic, std::string message) = 0;
};

class LocalPubSub : public PubSub {
 public:
  // `metrics` (optional) gets segue_pubsub_* series.
  explicit LocalPubSub(MetricsRegistry* metrics = nullptr);
  ~LocalPubSub() override;

  SubscriptionId subscribe(std::string topic, std::shared_ptr<Subscriber> subscriber) override;
  void unsubscribe(SubscriptionId id) override;
  void publish(std::string_view topic, std::string message) override;
  // Delivers an already shared message (no copy).
  void publish_shared(std::string_view topic, const SharedText& message);

  std::size_t subscriber_count(std::string_view topic) const;
  std::size_t subscription_count() const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Subscribers = std::unordered_map<SubscriptionId, std::shared_ptr<Subscriber>>;

  // Readers (publishers) share the lock while they deliver; subscribe/unsubscribe take it
  // exclusively, which is what makes "nothing after unsubscribe" hold.
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Subscribers, StringHash, std::equal_to<>> topics_;
  std::unordered_map<SubscriptionId, std::string> by_id_;
  SubscriptionId next_id_ = 1;

  Counter* published_ = nullptr;
  Counter* delivered_ = nullptr;
  Gauge* subscriptions_ = nullptr;
};

}  // namespace segue::net
