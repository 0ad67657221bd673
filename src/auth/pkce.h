// PKCE (RFC 7636) with the S256 method only; "plain" gives no protection against an attacker
// who reads the authorization request, so Segue refuses it.
#pragma once

#include <string>
#include <string_view>

namespace segue::auth {

// True if `verifier` is 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).
bool is_valid_code_verifier(std::string_view verifier);
// True if `challenge` has the shape of an S256 challenge: 43 base64url characters.
bool is_valid_s256_challenge(std::string_view challenge);
// BASE64URL(SHA256(verifier)) without padding.
std::string s256_challenge(std::string_view verifier);
// True if `verifier` is valid and its S256 challenge equals `challenge` (constant time).
bool verify_pkce(std::string_view verifier, std::string_view challenge);

}  // namespace segue::auth
