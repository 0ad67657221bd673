// The domain-event bus between nodes (issue 17): a LocalBus for this node's subscribers, and a
// Redis Pub/Sub channel that carries the events that cross nodes (crosses_nodes()) to the
// others.
//
// publish() delivers to this node's subscribers exactly as LocalBus does (inline ones on the
// calling thread before it returns), then PUBLISHes "<node id> <encode(e)>" on the channel over
// one shared connection (a mutex; a loopback round trip, well under a millisecond). When Redis
// is away the event is not sent to the other nodes: the caller is never failed (its change has
// committed and this node's subscribers have it), the loss is counted
// (segue_bus_redis_publish_failures_total) and logged once per outage, and a reconnection is
// tried at most once per second, each attempt bounded by a short timeout, so a publisher waits
// at most that timeout.
//
// One subscriber thread holds a SUBSCRIBE connection, decodes what other nodes publish (its own
// node id is skipped: this node's subscribers had the event inline) and publishes it to this
// node's subscribers, so an inline subscriber may also run on this thread. When the connection
// drops it reconnects with backoff (100 ms doubling to 2 s), logging one line when Redis is lost
// and one when it is back. Pub/Sub is at-most-once: events published while a node is cut off
// from Redis never reach it (docs/architecture.md, "Domain events", says what that costs).
//
// Thread-safe; no call blocks longer than the connect/command timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "bus/local_bus.h"
#include "common/metrics.h"
#include "common/result.h"
#include "redis/redis.h"

struct redisContext;

namespace segue::bus {

// Where Redis listens (redis/redis.h): `redis://HOST[:PORT]` or `redis:///ABSOLUTE/PATH`. The bus
// only uses Pub/Sub, which ignores the database.
using RedisAddress = redis::Address;
// Error::invalid naming what is wrong.
inline Result<RedisAddress> parse_redis_url(std::string_view url) { return redis::parse_url(url); }

struct RedisBusOptions {
  RedisAddress address;
  std::string channel = "segue:events";
  std::string node_id;  // empty: a fresh random id (one per process)
  // Bounds each connect and each command of a publisher (and the subscriber's connect).
  std::chrono::milliseconds timeout{250};
};

class RedisBus final : public EventBus {
 public:
  // Starts the subscriber thread; does not wait for Redis (which may come later).
  explicit RedisBus(RedisBusOptions options, MetricsRegistry* metrics = nullptr);
  ~RedisBus() override;  // stops the subscriber thread; every Subscription must have ended before

  void publish(const DomainEvent& e) override;
  // The subscription is LocalBus's (this node's subscribers, whichever node the event came from).
  [[nodiscard]] Subscription subscribe(std::string name, Handler fn, Delivery delivery = Delivery::kInline) override;

  const std::string& node_id() const { return options_.node_id; }
  // True once the subscriber connection is subscribed, until it is lost (for tests and health).
  bool subscribed() const { return subscribed_.load(); }

 private:
  void unsubscribe(uint64_t id) override;  // never called: subscribe() hands out LocalBus's subscriptions
  redisContext* connect() const;           // nullptr when Redis is away
  bool send(const std::string& message);   // under pub_mu_
  void run_subscriber();
  void receive(std::string_view message);
  void wait_for(std::chrono::milliseconds d);  // or until stopping

  RedisBusOptions options_;
  MetricsRegistry own_metrics_;
  MetricsRegistry& metrics_;
  LocalBus local_;
  Counter* sent_;
  Counter* send_failures_;
  Counter* received_;
  Counter* undecodable_;

  std::mutex pub_mu_;  // guards pub_, pub_lost_, next_connect_
  redisContext* pub_ = nullptr;
  bool pub_lost_ = false;  // an outage was logged; log when it ends
  std::chrono::steady_clock::time_point next_connect_{};

  std::mutex sub_mu_;  // guards sub_fd_ and stopping_ (the subscriber thread owns its context)
  std::condition_variable sub_cv_;
  int sub_fd_ = -1;
  bool stopping_ = false;
  std::atomic<bool> subscribed_{false};
  std::thread subscriber_;
};

}  // namespace segue::bus
