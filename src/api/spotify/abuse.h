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
#pragma once

#include <chrono>
#include <cstdint>
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

struct AbuseLimits {
  explicit AbuseLimits(const AbuseOptions& o = {})
      : login_accounts(o.login_account),
        login_addresses(o.login_address),
        token_addresses(o.token_address),
        token_clients(o.token_client),
        passwords(o.password_threads, o.password_queue),
        bad_tokens(o.bad_tokens_per_minute, std::chrono::seconds(60)),
        audio(o.audio_per_10s, std::chrono::seconds(10)),
        images(o.images_per_10s, std::chrono::seconds(10)) {}

  auth::LoginThrottle login_accounts;   // key: lower-case user name
  auth::LoginThrottle login_addresses;  // key: remote address
  auth::LoginThrottle token_addresses;  // key: remote address (POST /api/token)
  auth::LoginThrottle token_clients;    // key: client id (POST /api/token, invalid_client)
  net::BoundedPool passwords;
  net::RateLimiter bad_tokens;  // key: remote address
  net::RateLimiter audio;       // key: remote address
  net::RateLimiter images;      // key: remote address
};

}  // namespace segue::api::spotify
