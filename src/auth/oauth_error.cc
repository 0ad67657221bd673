#include "auth/oauth_error.h"

namespace segue::auth {

const char* oauth_error_name(OAuthError error) {
  switch (error) {
    case OAuthError::kInvalidRequest: return "invalid_request";
    case OAuthError::kInvalidClient: return "invalid_client";
    case OAuthError::kInvalidGrant: return "invalid_grant";
    case OAuthError::kUnauthorizedClient: return "unauthorized_client";
    case OAuthError::kUnsupportedGrantType: return "unsupported_grant_type";
    case OAuthError::kInvalidScope: return "invalid_scope";
    case OAuthError::kAccessDenied: return "access_denied";
    case OAuthError::kUnsupportedResponseType: return "unsupported_response_type";
    case OAuthError::kServerError: return "server_error";
    case OAuthError::kTemporarilyUnavailable: return "temporarily_unavailable";
  }
  return "server_error";
}

OAuthFailure OAuthFailure::from_error(const Error& e) {
  if (e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kResourceExhausted)
    return {OAuthError::kTemporarilyUnavailable, "the server is busy; retry later", false};
  return {OAuthError::kServerError, "internal error", false};
}

}  // namespace segue::auth
