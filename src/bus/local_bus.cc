#include "bus/local_bus.h"

#include <exception>
#include <utility>

#include "common/log.h"

namespace segue::bus {

struct LocalBus::Sub {
  uint64_t id = 0;
  std::string name;
  Handler fn;
  Delivery delivery = Delivery::kInline;
  // Held while the handler runs: unsubscribing waits for it. Recursive so that a handler may
  // end its own subscription.
  std::recursive_mutex call_mu;
  bool active = true;  // under call_mu
  // Queued delivery.
  std::mutex q_mu;
  std::condition_variable q_cv;
  std::deque<DomainEvent> queue;  // under q_mu
  bool stop = false;              // under q_mu
  std::thread thread;
};

namespace {
template <std::size_t... I>
void make_counters(MetricsRegistry& m, std::array<Counter*, sizeof...(I)>& out, std::index_sequence<I...>) {
  ((out[I] = &m.counter("segue_domain_events_published_total", "Domain events published on this node's bus, by kind",
                        {{"kind", std::string(kind_name(DomainEvent(std::in_place_index<I>)))}})),
   ...);
}
}  // namespace

LocalBus::LocalBus(MetricsRegistry* metrics)
    : metrics_(metrics ? *metrics : own_metrics_),
      errors_(&metrics_.counter("segue_domain_event_subscriber_errors_total",
                                "Domain-event deliveries whose subscriber threw (logged with the subscriber's name)")) {
  make_counters(metrics_, published_, std::make_index_sequence<std::variant_size_v<DomainEvent>>());
}

LocalBus::~LocalBus() {
  std::map<uint64_t, std::shared_ptr<Sub>> left;
  {
    std::lock_guard l(mu_);
    left.swap(subs_);
  }
  for (auto& [id, s] : left) {
    log::warn("domain-event bus destroyed with a live subscription", {{"subscriber", s->name}});
    {
      std::lock_guard q(s->q_mu);
      s->stop = true;
    }
    s->q_cv.notify_all();
    if (s->thread.joinable()) s->thread.join();
  }
}

void LocalBus::deliver(Sub& s, const DomainEvent& e) {
  std::lock_guard call(s.call_mu);
  if (!s.active) return;
  try {
    s.fn(e);
  } catch (const std::exception& ex) {
    errors_->inc();
    log::error("a domain-event subscriber threw", {{"subscriber", s.name}, {"event", std::string(kind_name(e))}, {"what", ex.what()}});
  } catch (...) {
    errors_->inc();
    log::error("a domain-event subscriber threw", {{"subscriber", s.name}, {"event", std::string(kind_name(e))}});
  }
}

void LocalBus::publish(const DomainEvent& e) {
  published_[e.index()]->inc();
  std::vector<std::shared_ptr<Sub>> inline_subs;
  {
    std::lock_guard l(mu_);
    for (auto& [id, s] : subs_) {
      if (s->delivery == Delivery::kInline) {
        inline_subs.push_back(s);
      } else {
        {
          std::lock_guard q(s->q_mu);
          s->queue.push_back(e);
        }
        s->q_cv.notify_one();
      }
    }
  }
  for (auto& s : inline_subs) deliver(*s, e);
}

void LocalBus::run_queue(const std::shared_ptr<Sub>& s) {
  for (;;) {
    DomainEvent e;
    {
      std::unique_lock q(s->q_mu);
      s->q_cv.wait(q, [&] { return s->stop || !s->queue.empty(); });
      if (s->stop) return;
      e = std::move(s->queue.front());
      s->queue.pop_front();
    }
    deliver(*s, e);
  }
}

Subscription LocalBus::subscribe(std::string name, Handler fn, Delivery delivery) {
  auto s = std::make_shared<Sub>();
  s->name = std::move(name);
  s->fn = std::move(fn);
  s->delivery = delivery;
  if (delivery == Delivery::kQueued) s->thread = std::thread([this, s] { run_queue(s); });
  std::lock_guard l(mu_);
  s->id = next_id_++;
  subs_.emplace(s->id, s);
  return Subscription(this, s->id);
}

void LocalBus::unsubscribe(uint64_t id) {
  std::shared_ptr<Sub> s;
  {
    std::lock_guard l(mu_);
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    s = std::move(it->second);
    subs_.erase(it);
  }
  {
    std::lock_guard q(s->q_mu);
    s->stop = true;
    s->queue.clear();
  }
  s->q_cv.notify_all();
  {
    // Waits for a call in progress on another thread (a handler ending its own subscription
    // holds this lock already).
    std::lock_guard call(s->call_mu);
    s->active = false;
  }
  if (s->thread.joinable()) {
    if (s->thread.get_id() == std::this_thread::get_id()) s->thread.detach();
    else s->thread.join();
  }
}

}  // namespace segue::bus
