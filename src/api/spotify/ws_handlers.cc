// /v1/ws: real-time push (docs/formats/realtime.md). One RealtimeSession per WebSocket: it
// authenticates the connection (the upgrade's Authorization header, or a first "auth" message
// within Realtime::auth_timeout, both checked by guard()), then subscribes it to topics through
// the registered TopicProviders. The "me" kind (the user's own library) is defined here.
#include <boost/json.hpp>

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

void publish_library_change(ApiContext& ctx, const UserId& user, user::ItemKind kind,
                            const std::vector<std::string>& ids, bool saved) {
  if (!ctx.realtime || ids.empty()) return;
  boost::json::object o;
  o["type"] = "library_updated";
  o["topic"] = "me";
  o["kind"] = kind == user::ItemKind::kTrack ? "tracks" : "albums";
  boost::json::array arr;
  for (const auto& id : ids) arr.emplace_back(id);
  o["ids"] = std::move(arr);
  o["saved"] = saved;
  ctx.realtime->hub.publish(me_topic(user), boost::json::serialize(o));
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

// The subscription's end of the hub: forwards to the connection. While the subscription is
// being set up (catch-up not yet sent) it holds what arrives, so live events follow the catch-up.
class Forwarder : public net::Subscriber {
 public:
  explicit Forwarder(std::weak_ptr<WsConnection> conn) : conn_(std::move(conn)) {}
  void deliver(std::string_view, const net::SharedText& message) override {
    {
      std::lock_guard lock(mu_);
      if (holding_) {
        held_.push_back(message);
        return;
      }
    }
    if (auto c = conn_.lock()) c->send(message);
  }
  void release() {
    std::lock_guard lock(mu_);
    if (auto c = conn_.lock())
      for (auto& m : held_) c->send(std::move(m));
    held_.clear();
    holding_ = false;
  }

 private:
  std::weak_ptr<WsConnection> conn_;
  std::mutex mu_;
  bool holding_ = true;
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

class RealtimeSession : public net::WsSession {
 public:
  RealtimeSession(ApiContext& ctx, std::optional<auth::Principal> principal)
      : ctx_(ctx), rt_(*ctx.realtime), principal_(std::move(principal)) {}

  awaitable<void> on_open(WsConnection& c) override {
    if (principal_) arm_expiry(c);
    else c.close_at(Steady::now() + rt_.auth_timeout, net::close_code::kPolicyViolation, "Authentication timeout");
    co_return;
  }

  awaitable<void> on_message(WsConnection& c, std::string text) override {
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

  void on_close(WsConnection&) override {
    for (auto& [topic, sub] : subs_) rt_.hub.unsubscribe(sub.id);
    subs_.clear();
  }

 private:
  struct Sub {
    net::SubscriptionId id;
    std::shared_ptr<Forwarder> forwarder;
  };

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

  awaitable<void> authenticate(WsConnection& c, const json::object& o, const json::value* id) {
    std::optional<std::string> token = string_field(o, "access_token");
    if (!token || token->empty()) {
      fail(c, 400, "The auth message needs an access_token", id);
      co_return;
    }
    // The same checks as every /v1 request, on a request that carries the token.
    net::Request carrier;
    carrier.raw.set(http::field::authorization, "Bearer " + *token);
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
    c.cancel_close_at();
    arm_expiry(c);
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
    Status allowed = co_await provider->authorize(*principal_, arg);
    if (!allowed.ok()) {
      c.send(error_message(allowed.error(), id, topic));
      co_return;
    }
    drop(topic);  // subscribing again restarts the subscription (with a new catch-up)
    auto forwarder = std::make_shared<Forwarder>(c.shared_from_this());
    net::SubscriptionId sid = rt_.hub.subscribe(provider->hub_topic(*principal_, arg), forwarder);
    Result<SubscribeResult> start = co_await provider->on_subscribe(*principal_, arg, since);
    if (!start.ok()) {
      rt_.hub.unsubscribe(sid);
      c.send(error_message(start.error(), id, topic));
      co_return;
    }
    subs_[topic] = Sub{sid, forwarder};
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
    rt_.hub.unsubscribe(it->second.id);
    subs_.erase(it);
    return true;
  }

  ApiContext& ctx_;
  Realtime& rt_;
  std::optional<auth::Principal> principal_;
  std::map<std::string, Sub> subs_;
};

}  // namespace

void register_ws_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.realtime) return;
  ctx.realtime->topics.add("me", std::make_shared<MeTopics>());
  router.add_websocket("/v1/ws", [&ctx](Request& req) -> awaitable<net::WsAccept> {
    if (req.query_param("access_token") || req.query_param("token"))
      co_return error_response(400, "Send the access token in the Authorization header or in an auth message, never in the URL");
    std::optional<auth::Principal> principal;
    if (!req.header(http::field::authorization).empty()) {
      Guarded g = co_await guard(ctx, req, kConnect);
      if (auto* denied = std::get_if<net::Response>(&g)) co_return std::move(*denied);
      principal = std::get<auth::Principal>(std::move(g));
      req_log_user(req, *principal);
    }
    std::unique_ptr<net::WsSession> session = std::make_unique<RealtimeSession>(ctx, std::move(principal));
    co_return net::WsAccept(std::move(session));
  });
}

}  // namespace segue::api::spotify
