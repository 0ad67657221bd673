// Query and body parameters with Spotify's bounds. Each failure is Error::invalid naming the
// parameter, which becomes a 400 in Spotify's error shape.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "common/result.h"
#include "net/http.h"

namespace segue::api::spotify {

// `limit` in [1, max], default `def`.
Result<int> limit_param(const net::Request& req, int def, int max);
// `offset` >= 0 (and at most 100000), default 0.
Result<int> offset_param(const net::Request& req);
// Comma-separated base62 ids from the query (`ids`), at most `max`, at least one.
Result<std::vector<std::string>> ids_param(const net::Request& req, std::size_t max);
// Ids from the query's `ids`, or else from a JSON body {"ids": [...]} (Spotify accepts both
// for the library endpoints).
Result<std::vector<std::string>> ids_from_query_or_body(const net::Request& req, std::size_t max);
// Parses a JSON body; Error::invalid with the parser's reason.
Result<boost::json::value> json_body(const net::Request& req);
// A JSON object body ("Expected a JSON object body" otherwise); an empty body is {} when
// `allow_empty`. Its fields are read with common/json_fields.h.
Result<boost::json::object> object_body(const net::Request& req, bool allow_empty = false);

}  // namespace segue::api::spotify
