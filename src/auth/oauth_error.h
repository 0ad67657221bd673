// OAuth failures: the error codes of RFC 6749 §4.1.2.1 and §5.2 as values, so the token and
// authorize handlers map them to the wire (JSON body or redirect query) in one place.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "common/result.h"

namespace segue::auth {

enum class OAuthError {
  kInvalidRequest,
  kInvalidClient,
  kInvalidGrant,
  kUnauthorizedClient,
  kUnsupportedGrantType,
  kInvalidScope,
  kAccessDenied,
  kUnsupportedResponseType,
  kServerError,             // a Segue failure (database, randomness): HTTP 500
  kTemporarilyUnavailable,  // the database is unavailable: HTTP 503
};

// The wire name ("invalid_grant").
const char* oauth_error_name(OAuthError error);

// A refused OAuth request. Suggested HTTP statuses for the token endpoint: 401 for
// kInvalidClient (with WWW-Authenticate when the client used Basic auth), 500 for
// kServerError, 503 for kTemporarilyUnavailable, 400 otherwise.
struct OAuthFailure {
  OAuthError error;
  std::string description;  // safe to show to the client (no secrets, no internals)
  // Authorize requests only: true if the error may be sent to the client's redirect_uri
  // (RFC 6749 §4.1.2.1). False when the client_id or the redirect_uri could not be trusted:
  // the handler must then show the error to the user and not redirect.
  bool may_redirect = false;

  const char* name() const { return oauth_error_name(error); }

  // An internal Error (storage, randomness) as the OAuth failure a client should see.
  static OAuthFailure from_error(const Error& e);
};

// Holds either a T or an OAuthFailure (the Result<T> of OAuth endpoints).
template <typename T>
class [[nodiscard]] OAuthResult {
 public:
  OAuthResult(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  OAuthResult(OAuthFailure failure) : v_(std::move(failure)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const OAuthFailure& failure() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, OAuthFailure> v_;
};

}  // namespace segue::auth
