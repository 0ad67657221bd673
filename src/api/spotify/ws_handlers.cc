// /v1/ws: real-time push (docs/formats/realtime.md). One RealtimeSession per WebSocket: it
// authenticates the connection (the upgrade's Authorization header, or a first "auth" message
// within Realtime::auth_timeout, both checked by guard()), then subscribes it to topics through
// the registered TopicProviders. The "me" kind (the user's own library) is defined here.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <mutex>

#include "api/spotify/handler_util.h"
#include "api/spotify/realtime.h"
#include "api/spotify/routes.h"
#include "common/log.h"

namespace segue::api::spotify {

// ---- registry and defaults ----

boost::asio::awaitable<Result<SubscribeResult>> TopicProvider::on_subscribe(const auth::Principal&, std::string,
                                                                            std::optional<std::string>) {
  co_return SubscribeResult{};
}

void TopicRegistry::add(std::string kind, std::shared_ptr<TopicProvider> provider) {
  providers_[std::move(kind)] = std::move(provider);
}

TopicProvider* TopicRegistry::find(std::string_view kind) const {
  auto it = providers_.find(kind);
  return it == providers_.end() ? nullptr : it->second.get();
}

std::string me_topic(const UserId& user) { return "me:" + user.str(); }
std::string auth_topic(const UserId& user) { return "auth:" + user.str(); }

std::string library_updated_message(const bus::LibraryChanged& e) {
  boost::json::object o;
  o["type"] = "library_updated";
  o["topic"] = "me";
  o["kind"] = e.kind == bus::LibraryChanged::Kind::kTracks ? "tracks" : "albums";
  boost::json::array arr;
  for (const auto& id : e.ids) arr.emplace_back(id);
  o["ids"] = std::move(arr);
  o["saved"] = e.saved;
  return boost::json::serialize(o);
}

namespace {
namespace json = boost::json;
using net::WsConnection;
using Steady = std::chrono::steady_clock;

const Access kConnect{true, {}};  // any token of a user; topics check their own scopes
constexpr std::size_t kMaxTopicLength = 256;

// ---- messages (plain functions: no braced lists inside coroutines) ----

std::string error_message(unsigned status, std::string_view message, const json::value* id,
                          std::string_view topic = {}) {
  json::object o;
  o["type"] = "error";
  o["status"] = status;
  o["message"] = message;
  if (!topic.empty()) o["topic"] = topic;
  if (id) o["id"] = *id;
  return json::serialize(o);
}

std::string error_message(const Error& e, const json::value* id, std::string_view topic = {}) {
  unsigned status = http_status(e.code);
  if (status >= 500) {
    log::error("websocket request failed", {{"code", error_code_name(e.code)}, {"detail", e.message}});
    return error_message(status, status == 503 ? "Service temporarily unavailable" : "Internal server error", id, topic);
  }
  return error_message(status, e.message, id, topic);
}

std::string reply(std::string_view type, const json::value* id, std::string_view topic = {},
                  const json::object* extra = nullptr) {
  json::object o;
  o["type"] = type;
  if (!topic.empty()) o["topic"] = topic;
  if (extra)
    for (const auto& kv : *extra) o[kv.key()] = kv.value();
  if (id) o["id"] = *id;
  return json::serialize(o);
}

std::string authenticated_message(const auth::Principal& p, const json::value* id) {
  json::object o;
  o["type"] = "authenticated";
  o["user_id"] = p.user->str();
  auto left = std::chrono::duration_cast<std::chrono::seconds>(p.expires_at - std::chrono::system_clock::now());
  o["expires_in"] = std::max<int64_t>(0, left.count());
  if (id) o["id"] = *id;
  return json::serialize(o);
}

// The status and message of a Spotify-shaped error response from guard().
std::pair<unsigned, std::string> response_error(const net::Response& r) {
  json::error_code ec;
  json::value v = json::parse(r.body, ec);
  std::string message = "Request refused";
  if (!ec && v.is_object())
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_object())
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) message = m->as_string().c_str();
  return {r.status, message};
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

// The subscription's end of the hub: forwards to the connection. It holds what arrives while
// the subscription is being set up (so live events follow the catch-up) and while its access is
// being re-checked (so nothing reaches a client that just lost access); a revoked forwarder
// drops everything.
class Forwarder : public net::Subscriber {
 public:
  explicit Forwarder(std::weak_ptr<WsConnection> conn) : conn_(std::move(conn)) {}
  void deliver(std::string_view, const net::SharedText& message) override {
    {
      std::lock_guard lock(mu_);
      if (revoked_) return;
      if (holds_ > 0) {
        held_.push_back(message);
        return;
      }
    }
    if (auto c = conn_.lock()) c->send(message);
  }
  void hold() {
    std::lock_guard lock(mu_);
    ++holds_;
  }
  void release() {
    std::lock_guard lock(mu_);
    if (holds_ > 0) --holds_;
    if (holds_ > 0) return;
    if (!revoked_)
      if (auto c = conn_.lock())
        for (auto& m : held_) c->send(std::move(m));
    held_.clear();
  }
  // Access ended: nothing held or later is sent.
  void revoke() {
    std::lock_guard lock(mu_);
    revoked_ = true;
    held_.clear();
  }
  bool revoked() const {
    std::lock_guard lock(mu_);
    return revoked_;
  }

 private:
  std::weak_ptr<WsConnection> conn_;
  mutable std::mutex mu_;
  int holds_ = 1;  // released once the subscription is set up
  bool revoked_ = false;
  std::vector<net::SharedText> held_;
};

// "me": the caller's own library. Events: library_updated. No history, so no catch-up: a
// client that was away refetches /v1/me/tracks and /v1/me/albums.
class MeTopics : public TopicProvider {
 public:
  awaitable<Status> authorize(const auth::Principal& p, std::string arg) override {
    if (!arg.empty()) co_return Error::not_found("Unknown topic: 'me' takes no argument");
    if (!p.user) co_return Error::permission_denied("This topic needs a token authorized by a user");
    if (!p.scopes.contains(auth::Scope::kUserLibraryRead))
      co_return Error::permission_denied("Insufficient client scope: user-library-read");
    co_return Status();
  }
  std::string hub_topic(const auth::Principal& p, const std::string&) const override { return me_topic(*p.user); }
};

// One connection's state and protocol. Shared (not owned by the WsSession alone) because hub
// signals and re-checks outlive a single on_message call: they hold a weak or shared pointer.
// Everything but the signal entry points runs on the connection's thread.
class SessionCore : public std::enable_shared_from_this<SessionCore> {
 public:
  SessionCore(ApiContext& ctx, std::optional<auth::Principal> principal, std::string token)
      : ctx_(ctx), rt_(*ctx.realtime), principal_(std::move(principal)), token_(std::move(token)) {}

  awaitable<void> on_open(WsConnection& c) {
    conn_ = c.shared_from_this();
    ex_ = c.get_executor();
    bucket_ = static_cast<double>(rt_.message_burst);
    bucket_at_ = Steady::now();
    if (principal_) {
      arm_expiry(c);
      listen_auth();
    } else {
      c.close_at(Steady::now() + rt_.auth_timeout, net::close_code::kPolicyViolation, "Authentication timeout");
    }
    co_return;
  }

  awaitable<void> on_message(WsConnection& c, std::string text) {
    if (!take_message_token()) {
      c.send(error_message(429, "Too many messages on this connection", nullptr));
      c.close(net::close_code::kPolicyViolation, "Message rate limit exceeded");
      co_return;
    }
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) {
      c.send(error_message(400, "Malformed message: expected a JSON object", nullptr));
      co_return;
    }
    const json::object& o = v.as_object();
    const json::value* id = o.if_contains("id");
    if (id && !id->is_string() && !id->is_number()) id = nullptr;
    std::string type = string_field(o, "type").value_or("");
    if (!principal_ && type != "auth") {
      fail(c, 401, "Authenticate first: {\"type\":\"auth\",\"access_token\":\"...\"}", id);
      co_return;
    }
    if (type == "auth") {
      co_await authenticate(c, o, id);
    } else if (type == "subscribe") {
      co_await subscribe(c, o, id);
    } else if (type == "unsubscribe") {
      unsubscribe(c, o, id);
    } else if (type == "ping") {
      c.send(reply("pong", id));
    } else {
      c.send(error_message(400, "Unknown message type", id));
    }
  }

  void on_close() {
    closed_ = true;
    for (auto& [topic, sub] : subs_) unlisten(sub);
    subs_.clear();
    if (auth_sub_) rt_.hub.unsubscribe(*auth_sub_);
    auth_sub_.reset();
  }

  // ---- signals: any thread (a hub publisher's); they only hold and post ----

  // The user's tokens or credentials changed: hold every subscription and re-check the token.
  void auth_signal() {
    std::vector<std::shared_ptr<Forwarder>> held;
    {
      std::lock_guard lock(forwarders_mu_);
      for (auto& f : forwarders_) {
        f->hold();
        held.push_back(f);
      }
    }
    // Named locals, not temporaries, as a coroutine's arguments (g++ 12 may destroy those twice).
    std::shared_ptr<SessionCore> self = shared_from_this();
    auto task = recheck_token(self, std::move(held));
    boost::asio::co_spawn(ex_, std::move(task), boost::asio::detached);
  }
  // Who may follow `topic` may have changed: hold it and re-run its authorization.
  void access_signal(const std::string& topic, const std::shared_ptr<Forwarder>& f) {
    f->hold();
    std::shared_ptr<SessionCore> self = shared_from_this();
    auto task = recheck_topic(self, topic, f);
    boost::asio::co_spawn(ex_, std::move(task), boost::asio::detached);
  }

 private:
  struct Sub {
    net::SubscriptionId id;
    std::optional<net::SubscriptionId> access_id;
    std::shared_ptr<Forwarder> forwarder;
  };

  // Hub subscriber of the "auth:<user>" and access topics: forwards to the core.
  class Signal : public net::Subscriber {
   public:
    Signal(std::weak_ptr<SessionCore> core, std::string topic, std::weak_ptr<Forwarder> f)
        : core_(std::move(core)), topic_(std::move(topic)), forwarder_(std::move(f)) {}
    void deliver(std::string_view, const net::SharedText&) override {
      auto core = core_.lock();
      if (!core) return;
      if (topic_.empty()) {
        core->auth_signal();
      } else if (auto f = forwarder_.lock()) {
        core->access_signal(topic_, f);
      }
    }

   private:
    std::weak_ptr<SessionCore> core_;
    std::string topic_;  // empty: the auth signal
    std::weak_ptr<Forwarder> forwarder_;
  };

  // A token bucket per connection (Realtime::message_rate, message_burst).
  bool take_message_token() {
    if (rt_.message_rate <= 0) return true;
    const auto t = Steady::now();
    const double elapsed = std::chrono::duration<double>(t - bucket_at_).count();
    bucket_at_ = t;
    bucket_ = std::min<double>(static_cast<double>(rt_.message_burst), bucket_ + elapsed * rt_.message_rate);
    if (bucket_ < 1) return false;
    bucket_ -= 1;
    return true;
  }

  // An error the connection does not survive: the message, then close 1008.
  void fail(WsConnection& c, unsigned status, const std::string& message, const json::value* id) {
    c.send(error_message(status, message, id));
    c.close(net::close_code::kPolicyViolation, message.substr(0, 120));
  }

  void arm_expiry(WsConnection& c) {
    auto left = principal_->expires_at - std::chrono::system_clock::now();
    c.close_at(Steady::now() + std::chrono::duration_cast<Steady::duration>(left), net::close_code::kPolicyViolation,
               "The access token expired");
  }

  void listen_auth() {
    if (auth_sub_ || !principal_ || !principal_->user) return;
    auth_sub_ = rt_.hub.subscribe(auth_topic(*principal_->user),
                                  std::make_shared<Signal>(weak_from_this(), std::string(), std::weak_ptr<Forwarder>()));
  }

  void unlisten(const Sub& sub) {
    rt_.hub.unsubscribe(sub.id);
    if (sub.access_id) rt_.hub.unsubscribe(*sub.access_id);
    sub.forwarder->revoke();
    std::lock_guard lock(forwarders_mu_);
    std::erase(forwarders_, sub.forwarder);
  }

  awaitable<void> authenticate(WsConnection& c, const json::object& o, const json::value* id) {
    std::optional<std::string> token = string_field(o, "access_token");
    if (!token || token->empty()) {
      fail(c, 400, "The auth message needs an access_token", id);
      co_return;
    }
    // The same checks as every /v1 request, on a request that carries the token.
    net::Request carrier;
    carrier.raw.set(http::field::authorization, "Bearer " + *token);
    carrier.remote_ip = c.remote_ip();
    Guarded g = co_await guard(ctx_, carrier, kConnect);
    if (auto* denied = std::get_if<net::Response>(&g)) {
      auto [status, message] = response_error(*denied);
      fail(c, status, message, id);
      co_return;
    }
    auth::Principal p = std::get<auth::Principal>(std::move(g));
    if (principal_ && principal_->user != p.user) {
      fail(c, 403, "The token is for another user", id);
      co_return;
    }
    principal_ = std::move(p);
    token_ = *token;
    c.cancel_close_at();
    arm_expiry(c);
    listen_auth();
    c.send(authenticated_message(*principal_, id));
  }

  awaitable<void> subscribe(WsConnection& c, const json::object& o, const json::value* id) {
    std::string topic = string_field(o, "topic").value_or("");
    if (topic.empty() || topic.size() > kMaxTopicLength) {
      c.send(error_message(400, "subscribe needs a topic", id));
      co_return;
    }
    auto colon = topic.find(':');
    std::string kind = topic.substr(0, colon);
    std::string arg = colon == std::string::npos ? std::string() : topic.substr(colon + 1);
    TopicProvider* provider = rt_.topics.find(kind);
    if (!provider) {
      c.send(error_message(404, "Unknown topic", id, topic));
      co_return;
    }
    std::optional<std::string> since;
    if (const json::value* s = o.if_contains("since"); s && !s->is_null()) {
      if (!s->is_string()) {
        c.send(error_message(400, "since must be a snapshot_id string", id, topic));
        co_return;
      }
      since = std::string(s->as_string());
    }
    if (!subs_.contains(topic) && subs_.size() >= rt_.max_subscriptions) {
      c.send(error_message(429, "Too many subscriptions on this connection", id, topic));
      co_return;
    }
    // Listen for access changes before deciding, so a change during the decision is not missed:
    // it marks the forwarder, and a re-check that refuses revokes it.
    auto forwarder = std::make_shared<Forwarder>(c.shared_from_this());
    Sub sub{0, std::nullopt, forwarder};
    if (std::string at = provider->access_topic(arg); !at.empty())
      sub.access_id = rt_.hub.subscribe(at, std::make_shared<Signal>(weak_from_this(), topic, forwarder));
    {
      std::lock_guard lock(forwarders_mu_);
      forwarders_.push_back(forwarder);
    }
    const auth::Principal principal = *principal_;
    Status allowed = co_await provider->authorize(principal, arg);
    if (!allowed.ok() || closed_) {
      unlisten(sub);
      if (!allowed.ok()) c.send(error_message(allowed.error(), id, topic));
      co_return;
    }
    drop(topic);  // subscribing again restarts the subscription (with a new catch-up)
    sub.id = rt_.hub.subscribe(provider->hub_topic(principal, arg), forwarder);
    Result<SubscribeResult> start = co_await provider->on_subscribe(principal, arg, since);
    if (!start.ok() || closed_) {
      unlisten(sub);
      if (!start.ok()) c.send(error_message(start.error(), id, topic));
      co_return;
    }
    if (forwarder->revoked()) {  // access ended while this subscription was being set up
      unlisten(sub);
      c.send(error_message(404, "Not found", id, topic));
      co_return;
    }
    drop(topic);
    subs_[topic] = sub;
    c.send(reply("subscribed", id, topic, &start->subscribed));
    for (auto& m : start->catch_up) c.send(std::move(m));
    forwarder->release();
  }

  void unsubscribe(WsConnection& c, const json::object& o, const json::value* id) {
    std::string topic = string_field(o, "topic").value_or("");
    if (!drop(topic)) {
      c.send(error_message(404, "Not subscribed", id, topic));
      return;
    }
    c.send(reply("unsubscribed", id, topic));
  }

  bool drop(const std::string& topic) {
    auto it = subs_.find(topic);
    if (it == subs_.end()) return false;
    unlisten(it->second);
    subs_.erase(it);
    return true;
  }

  // After an access signal: may the user still follow `topic`? If not, the subscription ends
  // and the client is told why; if so, what was held is sent.
  static awaitable<void> recheck_topic(std::shared_ptr<SessionCore> self, std::string topic,
                                       std::shared_ptr<Forwarder> forwarder) {
    if (self->closed_ || !self->principal_) {
      forwarder->release();
      co_return;
    }
    auto colon = topic.find(':');
    std::string kind = topic.substr(0, colon);
    std::string arg = colon == std::string::npos ? std::string() : topic.substr(colon + 1);
    TopicProvider* provider = self->rt_.topics.find(kind);
    const auth::Principal principal = *self->principal_;
    Status allowed = Error::not_found("Unknown topic");
    if (provider) {
      Status checked = co_await provider->authorize(principal, arg);
      allowed = std::move(checked);
    }
    if (allowed.ok() || (allowed.error().code != ErrorCode::kNotFound &&
                         allowed.error().code != ErrorCode::kPermissionDenied)) {
      // Still allowed, or the check itself failed (database): keep the subscription.
      forwarder->release();
      co_return;
    }
    forwarder->revoke();
    forwarder->release();
    if (self->closed_) co_return;
    auto it = self->subs_.find(topic);
    if (it == self->subs_.end() || it->second.forwarder != forwarder) co_return;  // already gone or replaced
    self->unlisten(it->second);
    self->subs_.erase(it);
    if (auto c = self->conn_.lock()) c->send(ended_message(topic, allowed.error()));
  }

  // After an auth signal: is the token still good? If not, the connection ends (1008).
  static awaitable<void> recheck_token(std::shared_ptr<SessionCore> self,
                                       std::vector<std::shared_ptr<Forwarder>> held) {
    const std::string token = self->token_;
    Result<auth::Principal> p = Error::unauthenticated("no token");
    if (!token.empty() && !self->closed_) {
      // Captures by reference only: a lambda owning a string inside co_await trips g++ 12.
      auth::AuthService& auth = self->ctx_.auth;
      // From the database: the signal may be another node's revocation, which this node's
      // token cache has not heard of yet.
      auto r = co_await self->ctx_.workers.run([&auth, &token] { return auth.revalidate_access_token(token); });
      p = std::move(r);
    }
    const bool revoked = !token.empty() && !p.ok() && p.error().code == ErrorCode::kUnauthenticated && self->token_ == token;
    if (revoked && !self->closed_) {
      for (auto& f : held) f->revoke();
      if (auto c = self->conn_.lock()) {
        const std::string message = p.error().is(ErrorReason::kExpired) ? "The access token expired"
                                                                        : "The access token was revoked";
        c->send(error_message(401, message, nullptr));
        c->close(net::close_code::kPolicyViolation, message);
      }
    }
    for (auto& f : held) f->release();
  }

  static std::string ended_message(const std::string& topic, const Error& why) {
    json::object o;
    o["type"] = "subscription_ended";
    o["topic"] = topic;
    o["status"] = http_status(why.code);
    o["reason"] = why.code == ErrorCode::kNotFound ? "access_revoked" : "insufficient_scope";
    o["message"] = why.message;
    return json::serialize(o);
  }

  ApiContext& ctx_;
  Realtime& rt_;
  std::optional<auth::Principal> principal_;
  std::string token_;  // the access token the connection authenticated with (re-checked on signals)
  std::weak_ptr<WsConnection> conn_;
  boost::asio::any_io_executor ex_;
  std::map<std::string, Sub> subs_;
  std::optional<net::SubscriptionId> auth_sub_;
  bool closed_ = false;
  double bucket_ = 0;
  Steady::time_point bucket_at_;
  // Every live forwarder, for auth_signal() (called on other threads).
  std::mutex forwarders_mu_;
  std::vector<std::shared_ptr<Forwarder>> forwarders_;
};

class RealtimeSession : public net::WsSession {
 public:
  RealtimeSession(ApiContext& ctx, std::optional<auth::Principal> principal, std::string token)
      : core_(std::make_shared<SessionCore>(ctx, std::move(principal), std::move(token))) {}
  awaitable<void> on_open(WsConnection& c) override {
    auto core = core_;
    co_await core->on_open(c);
  }
  awaitable<void> on_message(WsConnection& c, std::string text) override {
    auto core = core_;
    co_await core->on_message(c, std::move(text));
  }
  void on_close(WsConnection&) override { core_->on_close(); }

 private:
  std::shared_ptr<SessionCore> core_;
};

}  // namespace

void register_ws_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.realtime) return;
  ctx.realtime->topics.add("me", std::make_shared<MeTopics>());
  // Domain events for the "me" topic and the connections themselves: a library change goes to
  // the user's other devices; revoked sessions, tokens and credentials reach live connections
  // at once (each listens to its user's auth topic and re-checks its token when it fires).
  net::PubSub* hub = &ctx.realtime->hub;
  ctx.realtime->forwarding.push_back(ctx.realtime->events.subscribe("realtime-me", [hub](const bus::DomainEvent& e) {
    if (const auto* lib = std::get_if<bus::LibraryChanged>(&e)) {
      if (!lib->ids.empty()) hub->publish(me_topic(lib->user), library_updated_message(*lib));
    } else if (const auto* revoked = std::get_if<bus::UsersRevoked>(&e)) {
      for (const auto& u : revoked->users) hub->publish(auth_topic(u), "{}");
    }
  }));
  router.add_websocket("/v1/ws", [&ctx](Request& req) -> awaitable<net::WsAccept> {
    if (req.query_param("access_token") || req.query_param("token"))
      co_return error_response(400, "Send the access token in the Authorization header or in an auth message, never in the URL");
    std::optional<auth::Principal> principal;
    std::string token;
    if (std::string_view h = req.header(http::field::authorization); !h.empty()) {
      Guarded g = co_await guard(ctx, req, kConnect);
      if (auto* denied = std::get_if<net::Response>(&g)) co_return std::move(*denied);
      principal = std::get<auth::Principal>(std::move(g));
      req_log_user(req, *principal);
      token = std::string(h.substr(7));  // guard() accepted "Bearer <token>"
    }
    std::unique_ptr<net::WsSession> session =
        std::make_unique<RealtimeSession>(ctx, std::move(principal), std::move(token));
    co_return net::WsAccept(std::move(session));
  });
}

}  // namespace segue::api::spotify
