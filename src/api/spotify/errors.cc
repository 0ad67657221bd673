#include "api/spotify/errors.h"

#include "common/log.h"

namespace segue::api::spotify {

unsigned http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

net::Response error_response(const Error& e) {
  unsigned status = http_status(e.code);
  if (status >= 500) {
    // Internal details go to the log, not to the client.
    log::error("request failed", {{"code", error_code_name(e.code)}, {"detail", e.message}});
    net::Response r = net::Response::error(status, status == 503 ? "Service temporarily unavailable"
                                                                 : "Internal server error");
    // A database that went away (PostgreSQL restarting) or a resource not ready yet: try again soon.
    if (status == 503) r.headers.set(net::http::field::retry_after, "2");
    return r;
  }
  net::Response r = net::Response::error(status, e.message);
  if (status == 401)
    r.headers.set(net::http::field::www_authenticate, "Bearer realm=\"segue\", error=\"invalid_token\"");
  return r;
}

net::Response error_response(unsigned status, std::string_view message) {
  return net::Response::error(status, message);
}

}  // namespace segue::api::spotify
