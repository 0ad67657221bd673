// The in-process EventBus (event_bus.h): the default, and the whole bus of a single node.
//
// Inline subscribers run on the publishing thread, in subscription order, each under its own
// lock (so one handler is never run by two publishers at once, and unsubscribing waits for a
// call in progress). Queued subscribers each have one thread and an unbounded FIFO queue; they
// see the events in the order they were published (by one thread; two threads publishing at
// once are ordered by who took the bus lock first). A handler that throws is logged with the
// event's kind and counted in segue_domain_event_subscriber_errors_total; the publisher and the
// other subscribers are not affected.
#pragma once

#include <array>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "bus/event_bus.h"
#include "common/metrics.h"

namespace segue::bus {

class LocalBus final : public EventBus {
 public:
  // Counts published events per kind (segue_domain_events_published_total{kind}) and
  // subscriber errors in `metrics` when given.
  explicit LocalBus(MetricsRegistry* metrics = nullptr);
  ~LocalBus() override;  // every Subscription must have ended before

  void publish(const DomainEvent& e) override;
  [[nodiscard]] Subscription subscribe(std::string name, Handler fn, Delivery delivery = Delivery::kInline) override;

  uint64_t subscriber_errors() const { return errors_->value(); }

 private:
  struct Sub;
  void unsubscribe(uint64_t id) override;
  void deliver(Sub& s, const DomainEvent& e);
  void run_queue(const std::shared_ptr<Sub>& s);

  MetricsRegistry own_metrics_;
  MetricsRegistry& metrics_;
  Counter* errors_;
  std::array<Counter*, std::variant_size_v<DomainEvent>> published_{};
  std::mutex mu_;  // guards subs_, next_id_ and the order of queued deliveries
  std::map<uint64_t, std::shared_ptr<Sub>> subs_;
  uint64_t next_id_ = 1;
};

}  // namespace segue::bus
