// Stream tokens: the time-limited permission to fetch one audio file, bound to a user.
// Format (docs/formats/stream-token.md): base64url("v2." file_id "." user_id "." expiry_unix
// "." credentials_epoch) "." base64url(HMAC-SHA256(key, payload)). Verifying needs the key and
// the user's current credentials epoch (from memory: AuthService::credentials_epoch), so a
// password change or "sign out everywhere", which bump the epoch, ends every stream token the
// user holds at once. v1 tokens (no epoch) count as epoch 0.
// Thread-safe: immutable after construction (set_epoch_source() before serving).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/result.h"

namespace segue::playback {

struct StreamClaims {
  FileId file;
  UserId user;
  std::chrono::system_clock::time_point expires_at;
  int64_t epoch = 0;  // the user's credentials epoch when it was issued
};

class StreamTokenSigner {
 public:
  // `key` must be at least 32 bytes of secret material.
  explicit StreamTokenSigner(std::string key);

  // The user's current credentials epoch (memory only: called on network threads). Without a
  // source every epoch is 0. Set once, before serving.
  using EpochSource = std::function<int64_t(const UserId&)>;
  void set_epoch_source(EpochSource source) { epoch_of_ = std::move(source); }

  std::string issue(const FileId& file, const UserId& user,
                    std::chrono::system_clock::time_point expires_at) const;

  // Checks the signature (constant time), that the token is for `file`, that it has not
  // expired at `now` and that the user's credentials epoch has not moved since it was issued.
  // Every failure is Error::permission_denied with a reason.
  Result<StreamClaims> verify(std::string_view token, const FileId& file,
                              std::chrono::system_clock::time_point now) const;

 private:
  std::string key_;
  EpochSource epoch_of_;
};

}  // namespace segue::playback
