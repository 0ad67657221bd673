#include "api/spotify/params.h"

#include "common/ids.h"
#include "common/strings.h"

namespace segue::api::spotify {

Result<int> limit_param(const net::Request& req, int def, int max) {
  auto v = req.query_param("limit");
  if (!v) return def;
  auto n = strings::parse_int(*v);
  if (!n || *n < 1 || *n > max)
    return Error::invalid("Invalid limit: must be an integer between 1 and " + std::to_string(max));
  return static_cast<int>(*n);
}

Result<int> offset_param(const net::Request& req) {
  auto v = req.query_param("offset");
  if (!v) return 0;
  auto n = strings::parse_int(*v);
  if (!n || *n < 0 || *n > 100000) return Error::invalid("Invalid offset: must be an integer between 0 and 100000");
  return static_cast<int>(*n);
}

namespace {
Result<std::vector<std::string>> check_ids(std::vector<std::string> ids, std::size_t max) {
  if (ids.empty()) return Error::invalid("Missing ids: give at least one id");
  if (ids.size() > max) return Error::invalid("Too many ids requested: at most " + std::to_string(max));
  for (auto& id : ids) {
    if (auto from_uri = parse_uri(id, "track")) id = *from_uri;
    else if (auto a = parse_uri(id, "album")) id = *a;
    else if (auto r = parse_uri(id, "artist")) id = *r;
    if (!is_base62_id(id)) return Error::invalid("Invalid base62 id in ids");
  }
  return ids;
}
}  // namespace

Result<std::vector<std::string>> ids_param(const net::Request& req, std::size_t max) {
  auto v = req.query_param("ids");
  if (!v || v->empty()) return Error::invalid("Missing required parameter ids");
  std::vector<std::string> ids;
  for (auto& p : strings::split(*v, ','))
    if (auto t = strings::trim(p); !t.empty()) ids.emplace_back(t);
  return check_ids(std::move(ids), max);
}

Result<std::vector<std::string>> ids_from_query_or_body(const net::Request& req, std::size_t max) {
  if (req.query_param("ids")) return ids_param(req, max);
  if (req.body().empty()) return Error::invalid("Missing required parameter ids");
  SEGUE_ASSIGN_OR_RETURN(auto body, json_body(req));
  // {"ids": [...]} as documented, or a bare [...] as Spotify's own SDK sends it.
  const auto* obj = body.if_object();
  const boost::json::value* ids_v = obj ? obj->if_contains("ids") : &body;
  if (!ids_v || !ids_v->is_array()) return Error::invalid("ids: expected a JSON array of ids in the body");
  std::vector<std::string> ids;
  for (const auto& v : ids_v->as_array()) {
    if (!v.is_string()) return Error::invalid("ids: every id must be a string");
    ids.emplace_back(v.as_string().c_str(), v.as_string().size());
  }
  return check_ids(std::move(ids), max);
}

Result<boost::json::value> json_body(const net::Request& req) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(std::string_view(req.body()), ec);
  if (ec) return Error::invalid("Invalid JSON body: " + ec.message());
  return v;
}

Result<boost::json::object> object_body(const net::Request& req, bool allow_empty) {
  if (req.body().empty() && allow_empty) return boost::json::object();
  SEGUE_ASSIGN_OR_RETURN(auto body, json_body(req));
  if (!body.is_object()) return Error::invalid("Expected a JSON object body");
  return std::move(body.as_object());
}

}  // namespace segue::api::spotify
