// The Redis connection code every Redis user in Segue shares (issue 17): the `redis` setting's
// URL, a connect bounded by a timeout, owned replies, and `Client`, one connection that
// reconnects lazily (at most once per retry period) and runs Lua scripts by EVALSHA (loaded once
// per connection; reloaded when Redis answers NOSCRIPT after a restart). Users: the domain-event
// bus (bus/redis_bus.h), the shared rate limits (net/rate_limiter_shared.h) and the event log on
// Redis Streams (events/redis_stream.h).
//
// Client is not thread-safe: its owner serialises calls (a mutex, or one thread). Every call
// blocks for at most the connect/command timeout: never call it from a network thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct redisContext;
struct redisReply;

namespace segue::redis {

// Where Redis listens: `redis://HOST[:PORT]` (TCP, port 6379 by default) or
// `redis:///ABSOLUTE/PATH` (a Unix socket). No password or database number.
struct Address {
  std::string host;  // empty for a Unix socket
  uint16_t port = 6379;
  std::string socket_path;  // empty for TCP
  std::string describe() const;
};
// Error::invalid naming what is wrong.
Result<Address> parse_url(std::string_view url);

struct ReplyFree {
  void operator()(redisReply* r) const;
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;
// The reply's string (status, error, bulk string), or empty.
std::string_view str(const redisReply* r);

struct ContextFree {
  void operator()(redisContext* c) const;
};
using Context = std::unique_ptr<redisContext, ContextFree>;
// A connection with `timeout` on the connect and on every command (TCP keep-alive on), or
// nullptr when Redis cannot be reached.
Context connect(const Address& a, std::chrono::milliseconds timeout);

// A Lua script, identified by the SHA1 Redis gives it.
struct Script {
  std::string source;
};

class Client {
 public:
  Client(Address address, std::chrono::milliseconds timeout = std::chrono::milliseconds(250),
         std::chrono::milliseconds retry = std::chrono::seconds(1));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one command (arguments binary-safe). A reply of type error is returned as a Reply
  // (the caller decides); Error::unavailable when Redis cannot be reached or the connection
  // broke (one reconnection is tried at once for a connection kept from before, then at most
  // one per retry period).
  Result<Reply> command(const std::vector<std::string>& argv);
  // EVALSHA of `script` with KEYS and ARGV, loading it first on this connection (SCRIPT LOAD)
  // and again after NOSCRIPT. An error reply becomes Error::internal with Redis's message.
  Result<Reply> eval(const Script& script, const std::vector<std::string>& keys, const std::vector<std::string>& args);

  bool connected() const { return ctx_ != nullptr; }
  const Address& address() const { return address_; }

 private:
  Result<Reply> once(const std::vector<std::string>& argv);
  Address address_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds retry_;
  Context ctx_;
  std::chrono::steady_clock::time_point next_connect_{};
  std::vector<std::pair<const Script*, std::string>> loaded_;  // script -> sha on this connection
};

}  // namespace segue::redis
