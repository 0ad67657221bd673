#include "playback/stream_token.h"

#include "common/crypto.h"
#include "common/strings.h"

namespace segue::playback {

StreamTokenSigner::StreamTokenSigner(std::string key) : key_(std::move(key)) {}

std::string StreamTokenSigner::issue(const FileId& file, const UserId& user,
                                     std::chrono::system_clock::time_point expires_at) const {
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(expires_at.time_since_epoch()).count();
  const int64_t epoch = epoch_of_ ? epoch_of_(user) : 0;
  std::string payload =
      "v2." + file.str() + "." + user.str() + "." + std::to_string(exp) + "." + std::to_string(epoch);
  return crypto::base64url_encode(payload) + "." +
         crypto::base64url_encode(crypto::hmac_sha256(key_, payload));
}

Result<StreamClaims> StreamTokenSigner::verify(std::string_view token, const FileId& file,
                                               std::chrono::system_clock::time_point now) const {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 512)
    return Error::permission_denied("malformed stream token");
  auto payload = crypto::base64url_decode(token.substr(0, dot));
  auto mac = crypto::base64url_decode(token.substr(dot + 1));
  if (!payload || !mac) return Error::permission_denied("malformed stream token");
  if (!crypto::constant_time_equal(*mac, crypto::hmac_sha256(key_, *payload)))
    return Error::permission_denied("invalid stream token signature");
  auto parts = strings::split(*payload, '.');
  const bool v1 = parts.size() == 4 && parts[0] == "v1";
  const bool v2 = parts.size() == 5 && parts[0] == "v2";
  if (!v1 && !v2) return Error::permission_denied("unknown stream token version");
  if (parts[1] != file.str()) return Error::permission_denied("stream token is for another file");
  auto exp = strings::parse_int(parts[3]);
  if (!exp) return Error::permission_denied("malformed stream token expiry");
  std::chrono::system_clock::time_point expires_at{std::chrono::seconds(*exp)};
  if (now >= expires_at) return Error::permission_denied("stream token expired");
  int64_t epoch = 0;
  if (v2) {
    auto e = strings::parse_int(parts[4]);
    if (!e) return Error::permission_denied("malformed stream token epoch");
    epoch = *e;
  }
  UserId user(parts[2]);
  if (epoch_of_ && epoch != epoch_of_(user))
    return Error::permission_denied("stream token revoked: the user's password changed or they were signed out");
  return StreamClaims{FileId(parts[1]), std::move(user), expires_at, epoch};
}

}  // namespace segue::playback
