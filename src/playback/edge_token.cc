#include "playback/edge_token.h"

#include <cctype>

#include "common/crypto.h"
#include "common/strings.h"

namespace segue::playback {

EdgeTokenSigner::EdgeTokenSigner(std::string key) : key_(std::move(key)) {}

std::string EdgeTokenSigner::issue(const FileId& file, const UserId& user,
                                   std::chrono::system_clock::time_point expires_at) const {
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(expires_at.time_since_epoch()).count();
  std::string payload = "e1." + file.str() + "." + user.str() + "." + std::to_string(exp);
  return crypto::base64url_encode(payload) + "." + crypto::base64url_encode(crypto::hmac_sha256(key_, payload));
}

bool EdgeTokenSigner::looks_like_edge_token(std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || dot < 4 || token.size() > 512) return false;
  // base64url("e1.") is "ZTEu": every payload that starts with "e1." starts with it.
  return token.substr(0, 4) == "ZTEu";
}

Result<StreamClaims> EdgeTokenSigner::verify(std::string_view token, const FileId& file,
                                             std::chrono::system_clock::time_point now) const {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 512) return Error::permission_denied("malformed edge token");
  auto payload = crypto::base64url_decode(token.substr(0, dot));
  auto mac = crypto::base64url_decode(token.substr(dot + 1));
  if (!payload || !mac) return Error::permission_denied("malformed edge token");
  if (!crypto::constant_time_equal(*mac, crypto::hmac_sha256(key_, *payload)))
    return Error::permission_denied("invalid edge token signature");
  auto parts = strings::split(*payload, '.');
  if (parts.size() != 4 || parts[0] != "e1") return Error::permission_denied("unknown edge token version");
  if (parts[1] != file.str()) return Error::permission_denied("edge token is for another file");
  auto exp = strings::parse_int(parts[3]);
  if (!exp) return Error::permission_denied("malformed edge token expiry");
  std::chrono::system_clock::time_point expires_at{std::chrono::seconds(*exp)};
  if (now >= expires_at) return Error::permission_denied("edge token expired");
  return StreamClaims{FileId(parts[1]), UserId(parts[2]), expires_at, 0};
}

Result<std::string> parse_edge_key(std::string_view text) {
  std::string_view key = strings::trim(text);
  if (key.size() < 64 || key.size() > 256)
    return Error::invalid("an edge key is 64 to 256 hex characters (e.g. `openssl rand -hex 32`), got " +
                          std::to_string(key.size()) + " characters");
  for (char c : key)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return Error::invalid("an edge key is 64 to 256 hex characters (e.g. `openssl rand -hex 32`); it has other characters");
  return std::string(key);
}

}  // namespace segue::playback
