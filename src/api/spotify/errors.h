// The one place where domain Errors become Spotify-shaped HTTP errors:
// {"error":{"status":N,"message":"..."}}.
#pragma once

#include "common/result.h"
#include "net/http.h"

namespace segue::api::spotify {

unsigned http_status(ErrorCode code);
net::Response error_response(const Error& e);
net::Response error_response(unsigned status, std::string_view message);

}  // namespace segue::api::spotify
