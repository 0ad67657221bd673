// Real-time push over /v1/ws (docs/formats/realtime.md): the hub the API publishes to, and the
// topic kinds a client may subscribe to. A topic on the wire is "<kind>" or "<kind>:<arg>"
// ("me", "playlist:<id>"); each kind is a TopicProvider registered once at start-up:
//
//   ctx.realtime->topics.add("playlist", std::make_shared<PlaylistTopics>(...));
//
// Nothing in the API publishes to the hub itself: the real-time layer subscribes to the domain
// events (bus/event_bus.h) that services publish after their changes commit, and forwards each
// to its hub topic, serialised once with its wire topic in it ("topic":"playlist:<id>"); every
// subscribed connection gets the same bytes. The forwarding runs on the publishing thread (a
// worker, the scanner or the revocation watcher: never a network thread) and only posts to the
// connections' own threads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "bus/event_bus.h"
#include "common/result.h"
#include "net/pubsub.h"

namespace segue::api::spotify {

struct ApiContext;

// What a subscription starts with.
struct SubscribeResult {
  boost::json::object subscribed;     // extra fields of the "subscribed" reply (e.g. snapshot_id)
  std::vector<std::string> catch_up;  // messages sent after it and before any live event
};

class TopicProvider {
 public:
  virtual ~TopicProvider() = default;
  // May `p` follow topic `arg` of this kind ("" for a bare "me")? not_found (unknown or
  // invisible), permission_denied (e.g. a missing scope) or invalid become the error message's
  // status. Runs on a network thread; blocking work goes through ctx.workers.
  virtual boost::asio::awaitable<Status> authorize(const auth::Principal& p, std::string arg) = 0;
  // The hub topic the subscription listens to (e.g. "me:<user_id>").
  virtual std::string hub_topic(const auth::Principal& p, const std::string& arg) const = 0;
  // A hub topic whose messages mean "who may follow topic `arg` may have changed" (membership,
  // visibility): every subscription to `arg` listens to it, holds its events when it fires and
  // runs authorize() again; a refusal ends the subscription with a `subscription_ended`
  // message. "" (the default): access depends on the token alone.
  virtual std::string access_topic(const std::string& arg) const { return {}; }
  // Called after the connection listens to hub_topic: what the client missed since `since`
  // (a snapshot id it has), if the kind keeps history. Events published meanwhile are held and
  // sent after the catch-up, so a client may see an event twice but never misses one.
  virtual boost::asio::awaitable<Result<SubscribeResult>> on_subscribe(const auth::Principal& p, std::string arg,
                                                                       std::optional<std::string> since);
};

class TopicRegistry {
 public:
  // At start-up only (lookups are not locked).
  void add(std::string kind, std::shared_ptr<TopicProvider> provider);
  TopicProvider* find(std::string_view kind) const;
  std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const auto& [k, p] : providers_) out.push_back(k);
    return out;
  }

 private:
  std::map<std::string, std::shared_ptr<TopicProvider>, std::less<>> providers_;
};

struct Realtime {
  Realtime(net::PubSub& hub, bus::EventBus& events) : hub(hub), events(events) {}
  net::PubSub& hub;
  bus::EventBus& events;  // the domain events forwarded to the hub
  TopicRegistry topics;
  std::chrono::seconds auth_timeout{10};  // for the first-message authentication
  std::size_t max_subscriptions = 64;     // per connection
  // Client messages per connection: a token bucket of `message_burst` refilled at
  // `message_rate` per second (0: no limit). A client past it gets an error 429 and the
  // connection is closed with 1008. Subscribing to max_subscriptions topics at once fits.
  double message_rate = 20;
  std::size_t message_burst = 100;
  // The forwarders' subscriptions (last member: they end before the hub and registry go).
  std::vector<bus::Subscription> forwarding;
};

// The hub topic of a user's own library: "me:<user_id>".
std::string me_topic(const UserId& user);
// The internal hub topic "auth:<user_id>": published when the user's tokens or credentials
// are revoked or change (AuthService's revocation listener); every connection of the user
// re-checks its token. Not a wire topic.
std::string auth_topic(const UserId& user);
// The "me" topic's message for a library change: {"type":"library_updated","topic":"me",
// "kind":"tracks"|"albums","ids":[...],"saved":true|false}.
std::string library_updated_message(const bus::LibraryChanged& e);

}  // namespace segue::api::spotify
