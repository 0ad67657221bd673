// The domain-event bus: services publish DomainEvents after their changes commit; other
// modules (search, analysis, transcoding) and the real-time layer (/v1/ws) subscribe. No
// publisher knows its subscribers, so the catalog, the playlists and the library do not know
// search or WebSockets exist.
//
// EventBus is the interface; LocalBus (local_bus.h) is the in-process implementation and the
// default. A bus that crosses processes (the scale-out issue's Redis one) implements the same
// interface over encode()/decode() (domain_events.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "bus/domain_events.h"

namespace segue::bus {

// How a subscriber receives events.
enum class Delivery {
  // On the publishing thread, before publish() returns, in subscription order. For quick
  // handlers only (record the event and wake a thread, publish to the WebSocket hub): a slow
  // one delays the publisher. Publishers are services running on worker-pool, scanner or
  // watcher threads, never on network threads.
  kInline,
  // On a thread of the subscription's own, in publication order; publish() only queues. For a
  // handler that may take time: it delays nobody but itself.
  kQueued,
};

class Subscription;

class EventBus {
 public:
  using Handler = std::function<void(const DomainEvent&)>;
  virtual ~EventBus() = default;

  // Delivers `e` to every current subscriber. Never throws, whatever a subscriber does (a
  // throwing subscriber is logged and counted, and the others still get the event). Any thread.
  virtual void publish(const DomainEvent& e) = 0;

  // `name` identifies the subscriber in logs and metrics. Events published after subscribe()
  // returns reach it; it stops receiving when the Subscription is destroyed or reset.
  [[nodiscard]] virtual Subscription subscribe(std::string name, Handler fn, Delivery delivery = Delivery::kInline) = 0;

 protected:
  friend class Subscription;
  // After it returns the handler is not running (unless on this very thread: a handler may end
  // its own subscription) and is never called again; queued events not yet delivered are dropped.
  virtual void unsubscribe(uint64_t id) = 0;
};

// Ends the subscription when destroyed. Move-only.
class Subscription {
 public:
  Subscription() = default;
  Subscription(EventBus* bus, uint64_t id) : bus_(bus), id_(id) {}
  Subscription(Subscription&& o) noexcept : bus_(std::exchange(o.bus_, nullptr)), id_(o.id_) {}
  Subscription& operator=(Subscription&& o) noexcept {
    if (this != &o) {
      reset();
      bus_ = std::exchange(o.bus_, nullptr);
      id_ = o.id_;
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { reset(); }

  void reset() {
    if (auto* b = std::exchange(bus_, nullptr)) b->unsubscribe(id_);
  }
  bool active() const { return bus_ != nullptr; }

 private:
  EventBus* bus_ = nullptr;
  uint64_t id_ = 0;
};

// A handler for one kind of event: `bus.subscribe("x", only<LibraryChanged>([](auto& e) {...}))`.
template <class T, class Fn>
EventBus::Handler only(Fn fn) {
  return [fn = std::move(fn)](const DomainEvent& e) {
    if (const T* t = std::get_if<T>(&e)) fn(*t);
  };
}

}  // namespace segue::bus
