// Thin wrappers over OpenSSL 3: hashes, HMAC, randomness, constant-time comparison, encodings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace segue::crypto {

// `n` bytes from the CSPRNG. Throws std::runtime_error only if OpenSSL's generator fails.
std::string random_bytes(std::size_t n);
// A random URL-safe token with `n_bytes` bytes of entropy (base64url, no padding).
std::string random_token(std::size_t n_bytes = 32);

std::string sha256(std::string_view data);  // raw 32 bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes

// Compares in time independent of where the inputs differ (length may leak).
bool constant_time_equal(std::string_view a, std::string_view b);

std::string base64url_encode(std::string_view data);  // no padding
std::optional<std::string> base64url_decode(std::string_view text);  // canonical input only
std::string base64_encode(std::string_view data);  // standard alphabet with padding
std::optional<std::string> base64_decode(std::string_view text);
std::string hex_encode(std::string_view data);

}  // namespace segue::crypto
