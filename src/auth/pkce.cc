#include "auth/pkce.h"

#include "common/crypto.h"

namespace segue::auth {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_valid_code_verifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  for (char c : verifier)
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_' && c != '~') return false;
  return true;
}

bool is_valid_s256_challenge(std::string_view challenge) {
  if (challenge.size() != 43) return false;
  for (char c : challenge)
    if (!is_alnum(c) && c != '-' && c != '_') return false;
  return true;
}

std::string s256_challenge(std::string_view verifier) {
  return crypto::base64url_encode(crypto::sha256(verifier));
}

bool verify_pkce(std::string_view verifier, std::string_view challenge) {
  if (!is_valid_code_verifier(verifier)) return false;
  return crypto::constant_time_equal(s256_challenge(verifier), challenge);
}

}  // namespace segue::auth
