#include "bus/redis_bus.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "common/ids.h"
#include "common/log.h"

namespace segue::bus {
namespace {

using namespace std::chrono_literals;
constexpr auto kPublishRetry = 1s;  // at most one reconnection attempt per second by publishers
constexpr auto kFirstBackoff = 100ms;
constexpr auto kMaxBackoff = 2s;

using redis::Reply;
using redis::str;

}  // namespace

RedisBus::RedisBus(RedisBusOptions options, MetricsRegistry* metrics)
    : options_(std::move(options)),
      metrics_(metrics ? *metrics : own_metrics_),
      local_(&metrics_),
      sent_(&metrics_.counter("segue_bus_redis_published_total", "Domain events this node sent to the other nodes over Redis")),
      send_failures_(&metrics_.counter("segue_bus_redis_publish_failures_total",
                                       "Domain events not sent to the other nodes because Redis was away (delivered on this node only)")),
      received_(&metrics_.counter("segue_bus_redis_received_total", "Domain events received from other nodes over Redis")),
      undecodable_(&metrics_.counter("segue_bus_redis_undecodable_total",
                                     "Messages on the Redis channel that were not a domain event from a node (logged, dropped)")) {
  if (options_.node_id.empty()) options_.node_id = random_base62_id();
  subscriber_ = std::thread([this] { run_subscriber(); });
}

RedisBus::~RedisBus() {
  {
    std::lock_guard l(sub_mu_);
    stopping_ = true;
    // Wakes a blocking read on the subscriber connection (the thread frees its context).
    if (sub_fd_ >= 0) ::shutdown(sub_fd_, SHUT_RDWR);
  }
  sub_cv_.notify_all();
  subscriber_.join();
  std::lock_guard l(pub_mu_);
  if (pub_) redisFree(pub_);
}

redisContext* RedisBus::connect() const {
  // The shared connect (redis/redis.h): SIGPIPE ignored, timeouts, TCP keep-alive.
  return redis::connect(options_.address, options_.timeout).release();
}

Subscription RedisBus::subscribe(std::string name, Handler fn, Delivery delivery) {
  return local_.subscribe(std::move(name), std::move(fn), delivery);
}

void RedisBus::unsubscribe(uint64_t) {}

void RedisBus::publish(const DomainEvent& e) {
  local_.publish(e);  // this node's subscribers, exactly as on a single node
  if (!crosses_nodes(e)) return;
  std::string message = options_.node_id;
  message += ' ';
  message += encode(e);
  std::lock_guard l(pub_mu_);
  if (send(message)) {
    sent_->inc();
  } else {
    send_failures_->inc();
  }
}

bool RedisBus::send(const std::string& message) {
  // Two tries: a connection kept from before may have died with a Redis restart, which the
  // first command finds out; a fresh one is tried at once (at most once a second when Redis
  // stays away, so publishers do not each wait for a connect timeout).
  std::string why;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!pub_) {
      const auto now = std::chrono::steady_clock::now();
      if (now < next_connect_) break;
      pub_ = connect();
      if (!pub_) {
        next_connect_ = now + kPublishRetry;
        why = "cannot connect";
        break;
      }
    }
    Reply r(static_cast<redisReply*>(redisCommand(pub_, "PUBLISH %b %b", options_.channel.data(), options_.channel.size(),
                                                  message.data(), message.size())));
    if (r && r->type != REDIS_REPLY_ERROR) {
      if (std::exchange(pub_lost_, false)) log::info("redis bus: publishing again", {{"redis", options_.address.describe()}});
      return true;
    }
    why = r ? std::string(str(r.get())) : std::string(pub_->errstr);
    redisFree(std::exchange(pub_, nullptr));
  }
  if (!std::exchange(pub_lost_, true))
    log::warn("redis bus: cannot publish, events reach this node only until Redis is back",
              {{"redis", options_.address.describe()}, {"error", why.empty() ? "retrying later" : why}});
  return false;
}

void RedisBus::wait_for(std::chrono::milliseconds d) {
  std::unique_lock l(sub_mu_);
  sub_cv_.wait_for(l, d, [&] { return stopping_; });
}

void RedisBus::run_subscriber() {
  auto backoff = std::chrono::milliseconds(kFirstBackoff);
  bool ever = false, lost_logged = false;
  for (;;) {
    {
      std::lock_guard l(sub_mu_);
      if (stopping_) return;
    }
    redisContext* c = connect();
    Reply r;
    if (c) r.reset(static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE %b", options_.channel.data(), options_.channel.size())));
    if (!r || r->type != REDIS_REPLY_ARRAY) {
      if (c) redisFree(c);
      if (!lost_logged) {
        log::warn("redis bus: Redis not reachable yet, retrying", {{"redis", options_.address.describe()}});
        lost_logged = true;
      }
      wait_for(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
      continue;
    }
    {
      std::lock_guard l(sub_mu_);
      if (stopping_) {
        redisFree(c);
        return;
      }
      sub_fd_ = c->fd;
    }
    // From now on reads block until a message arrives (or the destructor shuts the socket down).
    redisSetTimeout(c, timeval{0, 0});
    subscribed_ = true;
    backoff = kFirstBackoff;
    log::info(ever ? "redis bus: Redis back, receiving other nodes' events (those published meanwhile are lost)"
                   : "redis bus: receiving other nodes' events",
              {{"redis", options_.address.describe()}, {"channel", options_.channel}, {"node", options_.node_id}});
    ever = true;
    lost_logged = false;
    for (;;) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) break;
      Reply m(static_cast<redisReply*>(raw));
      // ["message", channel, payload]; the subscription confirmation is consumed above.
      if (m && m->type == REDIS_REPLY_ARRAY && m->elements == 3 && str(m->element[0]) == "message")
        receive(str(m->element[2]));
    }
    subscribed_ = false;
    {
      std::lock_guard l(sub_mu_);
      sub_fd_ = -1;
      if (stopping_) {
        redisFree(c);
        return;
      }
    }
    log::warn("redis bus: Redis lost, reconnecting", {{"redis", options_.address.describe()}, {"error", c->errstr}});
    redisFree(c);
    lost_logged = true;
  }
}

void RedisBus::receive(std::string_view message) {
  auto space = message.find(' ');
  if (space == std::string_view::npos) {
    undecodable_->inc();
    log::warn("redis bus: dropped a message without a node id", {{"channel", options_.channel}});
    return;
  }
  if (message.substr(0, space) == options_.node_id) return;  // ours: delivered inline already
  auto e = decode(message.substr(space + 1));
  if (!e.ok()) {
    undecodable_->inc();
    log::warn("redis bus: dropped an undecodable event",
              {{"node", std::string(message.substr(0, space))}, {"reason", e.error().message}});
    return;
  }
  if (!crosses_nodes(*e)) return;  // a node-local kind (a newer or misconfigured sender)
  received_->inc();
  local_.publish(*e);
}

}  // namespace segue::bus
