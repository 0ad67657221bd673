// Password hashing with Argon2id (libargon2). Hashes are stored as PHC strings
// ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), which carry their own parameters, so a hash
// made with older parameters still verifies after the defaults change.
//
// Threads: any thread, but hashing is deliberately slow (tens of milliseconds and
// `memory_kib` of RAM per call): call it from a worker pool, never from a network thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace segue::auth {

// Argon2id cost parameters. The defaults are OWASP's minimum recommendation for Argon2id
// (19 MiB, 2 iterations, 1 lane); tests pass cheaper ones.
struct PasswordParams {
  uint32_t iterations = 2;
  uint32_t memory_kib = 19 * 1024;
  uint32_t parallelism = 1;
};

// Hashes `password` with a fresh 16-byte random salt and returns the PHC string.
// Error::invalid if libargon2 rejects the parameters; Error::internal if randomness fails.
Result<std::string> hash_password(std::string_view password, const PasswordParams& params);

// True if `password` matches the PHC string `encoded`, false if it does not.
// Error::corruption if `encoded` is not an Argon2id PHC string.
Result<bool> password_matches(std::string_view encoded, std::string_view password);

// True if `encoded` was made with parameters other than `params` (so it should be rehashed
// after the next successful login).
bool password_needs_rehash(std::string_view encoded, const PasswordParams& params);

}  // namespace segue::auth
