#include "redis/redis.h"

#include <hiredis/hiredis.h>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <csignal>
#include <utility>

#include "common/strings.h"

namespace segue::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000), static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

}  // namespace

void ReplyFree::operator()(redisReply* r) const { freeReplyObject(r); }
void ContextFree::operator()(redisContext* c) const { redisFree(c); }

std::string_view str(const redisReply* r) {
  return r && r->str ? std::string_view(r->str, r->len) : std::string_view();
}

std::string Address::describe() const {
  return socket_path.empty() ? host + ":" + std::to_string(port) : "unix:" + socket_path;
}

Result<Address> parse_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Error::invalid("redis: expected redis://HOST[:PORT] or redis:///PATH/TO/SOCKET (" + std::string(why) +
                          "), got '" + std::string(url) + "'");
  };
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "redis" || !parsed->has_authority()) return bad("not a redis:// URL");
  const boost::urls::url_view& u = *parsed;
  Address a;
  if (u.encoded_host().empty()) {  // redis:///path: a Unix socket
    if (u.has_port() || u.has_userinfo() || u.path().size() < 2) return bad("empty socket path");
    a.socket_path = u.path();
    return a;
  }
  if (u.has_userinfo() || !u.encoded_path().empty() || u.has_query() || u.has_fragment())
    return bad("no user, password, database or options");
  a.host = u.host_type() == boost::urls::host_type::ipv6 ? u.host_ipv6_address().to_string() : std::string(u.host());
  if (u.has_port()) {
    auto n = strings::parse_int(u.port());
    if (!n || *n < 1 || *n > 65535) return bad("port must be 1 to 65535");
    a.port = static_cast<uint16_t>(*n);
  }
  return a;
}

Context connect(const Address& a, std::chrono::milliseconds timeout) {
  // hiredis writes with write(2): a connection Redis closed would raise SIGPIPE and end the
  // process. Ignored process-wide (everything else Segue writes to sockets handles EPIPE).
  static const bool ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)ignored;
  const timeval tv = to_timeval(timeout);
  Context c(a.socket_path.empty() ? redisConnectWithTimeout(a.host.c_str(), a.port, tv)
                                  : redisConnectUnixWithTimeout(a.socket_path.c_str(), tv));
  if (!c || c->err || redisSetTimeout(c.get(), tv) != REDIS_OK) return nullptr;
  if (a.socket_path.empty()) redisEnableKeepAlive(c.get());  // a peer that vanished is noticed
  return c;
}

Client::Client(Address address, std::chrono::milliseconds timeout, std::chrono::milliseconds retry)
    : address_(std::move(address)), timeout_(timeout), retry_(retry) {}

Client::~Client() = default;

Result<Reply> Client::once(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply r(static_cast<redisReply*>(redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), args.data(), lens.data())));
  if (!r) {
    std::string why = ctx_->errstr;
    ctx_.reset();
    loaded_.clear();
    return Error::unavailable("redis " + address_.describe() + ": " + why);
  }
  return r;
}

Result<Reply> Client::command(const std::vector<std::string>& argv) {
  // Two tries: a connection kept from before may have died with a Redis restart, which the
  // first command finds out; a fresh one is tried at once (then at most once per retry period,
  // so callers do not each wait for a connect timeout while Redis is away).
  Error last = Error::unavailable("redis " + address_.describe() + ": not connected (retrying later)");
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ctx_) {
      const auto now = std::chrono::steady_clock::now();
      if (now < next_connect_) break;
      ctx_ = connect(address_, timeout_);
      loaded_.clear();
      if (!ctx_) {
        next_connect_ = now + retry_;
        return Error::unavailable("redis " + address_.describe() + ": cannot connect");
      }
    }
    auto r = once(argv);
    if (r.ok()) return r;
    last = r.error();
  }
  return last;
}

Result<Reply> Client::eval(const Script& script, const std::vector<std::string>& keys, const std::vector<std::string>& args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto it = std::find_if(loaded_.begin(), loaded_.end(), [&](const auto& p) { return p.first == &script; });
    std::string sha;
    if (it == loaded_.end() || !ctx_) {
      SEGUE_ASSIGN_OR_RETURN(Reply loaded, command({"SCRIPT", "LOAD", script.source}));
      if (loaded->type != REDIS_REPLY_STRING) return Error::internal("redis: SCRIPT LOAD: " + std::string(str(loaded.get())));
      sha = std::string(str(loaded.get()));
      loaded_.emplace_back(&script, sha);
    } else {
      sha = it->second;
    }
    std::vector<std::string> argv{"EVALSHA", sha, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    SEGUE_ASSIGN_OR_RETURN(Reply r, command(argv));
    if (r->type != REDIS_REPLY_ERROR) return r;
    if (str(r.get()).starts_with("NOSCRIPT")) {  // Redis restarted (or SCRIPT FLUSH): load again
      std::erase_if(loaded_, [&](const auto& p) { return p.first == &script; });
      continue;
    }
    return Error::internal("redis: " + std::string(str(r.get())));
  }
  return Error::internal("redis: script not loaded after SCRIPT LOAD");
}

}  // namespace segue::redis
