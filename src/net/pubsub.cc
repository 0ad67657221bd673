#include "net/pubsub.h"

#include <mutex>

namespace segue::net {

LocalPubSub::LocalPubSub(MetricsRegistry* metrics) {
  if (!metrics) return;
  published_ = &metrics->counter("segue_pubsub_published_total", "Messages published to the in-process hub");
  delivered_ = &metrics->counter("segue_pubsub_delivered_total",
                                 "Messages handed to subscribers (one per subscriber per message)");
  subscriptions_ = &metrics->gauge("segue_pubsub_subscriptions", "Current subscriptions to the in-process hub");
}

LocalPubSub::~LocalPubSub() {
  if (subscriptions_) subscriptions_->add(-static_cast<int64_t>(by_id_.size()));
}

SubscriptionId LocalPubSub::subscribe(std::string topic, std::shared_ptr<Subscriber> subscriber) {
  std::unique_lock lock(mu_);
  SubscriptionId id = next_id_++;
  auto it = topics_.find(topic);
  if (it == topics_.end()) it = topics_.emplace(topic, Subscribers{}).first;
  it->second.emplace(id, std::move(subscriber));
  by_id_.emplace(id, std::move(topic));
  if (subscriptions_) subscriptions_->add(1);
  return id;
}

void LocalPubSub::unsubscribe(SubscriptionId id) {
  std::shared_ptr<Subscriber> dropped;  // released after the lock, in case it is the last owner
  {
    std::unique_lock lock(mu_);
    auto b = by_id_.find(id);
    if (b == by_id_.end()) return;
    auto t = topics_.find(b->second);
    if (t != topics_.end()) {
      auto s = t->second.find(id);
      if (s != t->second.end()) {
        dropped = std::move(s->second);
        t->second.erase(s);
      }
      if (t->second.empty()) topics_.erase(t);
    }
    by_id_.erase(b);
    if (subscriptions_) subscriptions_->add(-1);
  }
}

void LocalPubSub::publish(std::string_view topic, std::string message) {
  publish_shared(topic, std::make_shared<const std::string>(std::move(message)));
}

void LocalPubSub::publish_shared(std::string_view topic, const SharedText& message) {
  if (published_) published_->inc();
  std::shared_lock lock(mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  for (auto& [id, sub] : it->second) sub->deliver(topic, message);
  if (delivered_) delivered_->inc(it->second.size());
}

std::size_t LocalPubSub::subscriber_count(std::string_view topic) const {
  std::shared_lock lock(mu_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : it->second.size();
}

std::size_t LocalPubSub::subscription_count() const {
  std::shared_lock lock(mu_);
  return by_id_.size();
}

}  // namespace segue::net
