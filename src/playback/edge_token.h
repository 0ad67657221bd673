// Edge tokens: the permission to fetch one audio file through a caching edge (nginx), checked
// by the edge itself without asking the origin, with the cluster's edge key (never the
// stream-token key: an edge holds only the edge key).
// Format (docs/formats/edge-token.md):
//   base64url("e1." file_id "." user_id "." expiry_unix) "." base64url(HMAC-SHA256(edge_key, payload))
// Unlike a stream token it carries no credentials epoch (an edge cannot know it): it ends at
// its expiry only. The origin's /audio accepts it too (what an edge forwards on a cache miss).
// Thread-safe: immutable after construction.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/result.h"
#include "playback/stream_token.h"

namespace segue::playback {

class EdgeTokenSigner {
 public:
  // `key`: the edge key's text (64 or more hex characters, as in the edge key file; the HMAC
  // key is that text itself, so nginx's njs can use it as a string).
  explicit EdgeTokenSigner(std::string key);

  std::string issue(const FileId& file, const UserId& user,
                    std::chrono::system_clock::time_point expires_at) const;

  // Checks the signature (constant time), that the token is for `file` and has not expired at
  // `now`. Every failure is Error::permission_denied with a reason. The claims' epoch is 0.
  Result<StreamClaims> verify(std::string_view token, const FileId& file,
                              std::chrono::system_clock::time_point now) const;

  // Whether `token` has the form of an edge token (its payload starts with "e1."): which
  // signer an /audio request's token is for. Says nothing about its validity.
  static bool looks_like_edge_token(std::string_view token);

 private:
  std::string key_;
};

// Reads an edge key from its file's text: surrounding whitespace trimmed, then 64 to 256 hex
// characters. Error::invalid naming what is wrong otherwise.
Result<std::string> parse_edge_key(std::string_view text);

}  // namespace segue::playback
