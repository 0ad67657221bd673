// Limits against guessing and flooding, shared by the handlers (issue 14). Numbers and why:
//
//  - Login (POST /authorize): per account name, 5 free failures, then waits of 1 s, 2 s, 4 s ...
//    up to 60 s between attempts; per address, 20 free failures, then 1 s doubling up to 120 s.
//    Forgotten after 15 minutes without failures. Checked in memory before any hashing.
//  - POST /api/token: failed client authentications and refused grants count per address
//    (30 free, then 1 s doubling up to 60 s) and per client id (invalid_client: 5 free, then up
//    to 60 s). Secrets, codes and refresh tokens are 128-256 random bits, so this bounds the
//    work a flood causes more than it stops guessing.
//  - Password hashing (Argon2id, ~19 MiB and tens of ms each) runs on its own pool of
//    `password_threads` threads with at most `password_queue` calls running or waiting; a
//    login beyond that is refused at once (503, Retry-After: 1), so guessing never occupies the
//    request workers.
//  - Failed bearer authentications (401 invalid_token): 60 per minute per address, then 429.
//  - /audio/*: 3,000 requests per 10 s per address. A player reading 10-30 KB ranges of a
//    320 kbps stream needs about 2-4 requests per second per stream; of a lossless one
//    (1,411 kbps), 6-18; even ten players behind one address buffering at 5x real time stay
//    far below 300 per second.
//  - /images/*: 1,000 requests per 10 s per address (a screen of covers is 20-100 images;
//    scrolling a large library fetches a few hundred).
//  - /v1/ws messages: see Realtime::message_rate (realtime.h).
//
// "Address" is the client's address (Request::remote_ip): the peer's, or, from a peer in
// `trusted_proxies`, the one X-Forwarded-For names (net/trusted_proxies.h). With `redis`, every
// limit here but the password pool and WebSocket messages counts across the nodes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/login_throttle.h"
#include "net/bounded_pool.h"
#include "net/rate_limiter.h"

namespace segue::api::spotify {

using net::address_key;  // per-address keys: IPv6 by its /64 (net/rate_limiter.h)

struct AbuseOptions {
  auth::LoginThrottle::Policy login_account{5, std::chrono::milliseconds(1000), std::chrono::milliseconds(60'000),
                                            std::chrono::seconds(900), 100'000};
  auth::LoginThrottle::Policy login_address{20, std::chrono::milliseconds(1000), std::chrono::milliseconds(120'000),
                                            std::chrono::seconds(900), 100'000};
  auth::LoginThrottle::Policy token_address{30, std::chrono::milliseconds(1000), std::chrono::milliseconds(60'000),
                                            std::chrono::seconds(900), 100'000};
  auth::LoginThrottle::Policy token_client{5, std::chrono::milliseconds(1000), std::chrono::milliseconds(60'000),
                                           std::chrono::seconds(900), 100'000};
  std::size_t password_threads = 2;
  std::size_t password_queue = 8;
  uint32_t bad_tokens_per_minute = 60;  // per address; 0: no limit
  uint32_t audio_per_10s = 3000;        // per address; 0: no limit
  uint32_t images_per_10s = 1000;       // per address; 0: no limit
};

// Each limit below counts in this process by default; with `redis`, main gives makers of the
// shared kinds (net::SharedRateLimiter, auth::SharedLoginThrottle), so every node of a cluster
// counts together (issue 17).
struct AbuseLimits {
  using MakeLimit = std::function<std::unique_ptr<net::RateLimit>(const std::string& name, uint32_t limit,
                                                                  std::chrono::seconds window)>;
  using MakeBackoff =
      std::function<std::unique_ptr<auth::LoginBackoff>(const std::string& name, const auth::LoginThrottle::Policy&)>;

  explicit AbuseLimits(const AbuseOptions& o = {}, const MakeLimit& make_limit = {}, const MakeBackoff& make_backoff = {})
      : login_accounts_(backoff(make_backoff, "login_account", o.login_account)),
        login_addresses_(backoff(make_backoff, "login_address", o.login_address)),
        token_addresses_(backoff(make_backoff, "token_address", o.token_address)),
        token_clients_(backoff(make_backoff, "token_client", o.token_client)),
        bad_tokens_(limit(make_limit, "bad_token", o.bad_tokens_per_minute, std::chrono::seconds(60))),
        audio_(limit(make_limit, "audio", o.audio_per_10s, std::chrono::seconds(10))),
        images_(limit(make_limit, "images", o.images_per_10s, std::chrono::seconds(10))),
        login_accounts(*login_accounts_),
        login_addresses(*login_addresses_),
        token_addresses(*token_addresses_),
        token_clients(*token_clients_),
        passwords(o.password_threads, o.password_queue),
        bad_tokens(*bad_tokens_),
        audio(*audio_),
        images(*images_) {}

 private:
  static std::unique_ptr<auth::LoginBackoff> backoff(const MakeBackoff& make, const std::string& name,
                                                     const auth::LoginThrottle::Policy& p) {
    return make ? make(name, p) : std::make_unique<auth::LoginThrottle>(p);
  }
  static std::unique_ptr<net::RateLimit> limit(const MakeLimit& make, const std::string& name, uint32_t n,
                                               std::chrono::seconds window) {
    return make ? make(name, n, window) : std::make_unique<net::RateLimiter>(n, window);
  }
  std::unique_ptr<auth::LoginBackoff> login_accounts_, login_addresses_, token_addresses_, token_clients_;
  std::unique_ptr<net::RateLimit> bad_tokens_, audio_, images_;

 public:
  // Login backoffs: check() in memory on the network thread first; when shared(), the rest
  // (check_shared, failure, success) on a worker (oauth_handlers.cc).
  auth::LoginBackoff& login_accounts;   // key: lower-case user name
  auth::LoginBackoff& login_addresses;  // key: client address
  auth::LoginBackoff& token_addresses;  // key: client address (POST /api/token)
  auth::LoginBackoff& token_clients;    // key: client id (POST /api/token, invalid_client)
  net::BoundedPool passwords;
  net::RateLimit& bad_tokens;  // key: client address
  net::RateLimit& audio;       // key: client address
  net::RateLimit& images;      // key: client address
};

}  // namespace segue::api::spotify
