// Stream tokens: the time-limited permission to fetch one audio file, bound to a user.
// Format (docs/formats/stream-token.md): base64url("v1." file_id "." user_id "." expiry_unix)
// "." base64url(HMAC-SHA256(key, payload)). Stateless: verifying needs only the key, so any
// node (or edge) holding the key can check a token without a database.
// Thread-safe: immutable after construction.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/result.h"

namespace segue::playback {

struct StreamClaims {
  FileId file;
  UserId user;
  std::chrono::system_clock::time_point expires_at;
};

class StreamTokenSigner {
 public:
  // `key` must be at least 32 bytes of secret material.
  explicit StreamTokenSigner(std::string key);

  std::string issue(const FileId& file, const UserId& user,
                    std::chrono::system_clock::time_point expires_at) const;

  // Checks the signature (constant time), that the token is for `file`, and that it has not
  // expired at `now`. Every failure is Error::permission_denied with a reason.
  Result<StreamClaims> verify(std::string_view token, const FileId& file,
                              std::chrono::system_clock::time_point now) const;

 private:
  std::string key_;
};

}  // namespace segue::playback
