#include "net/http.h"

#include <boost/json.hpp>

namespace segue::net {

std::string_view Request::header(http::field f) const {
  auto it = raw.find(f);
  return it == raw.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
}

std::string_view Request::header(std::string_view name) const {
  auto it = raw.find(boost::beast::string_view(name.data(), name.size()));
  return it == raw.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

const std::string& Request::param(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return kEmpty;
}

Response Response::json(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.headers.set(http::field::content_type, "application/json; charset=utf-8");
  r.body = std::move(body);
  return r;
}

Response Response::text(unsigned status, std::string body, std::string_view content_type) {
  Response r;
  r.status = status;
  r.headers.set(http::field::content_type,
                boost::beast::string_view(content_type.data(), content_type.size()));
  r.body = std::move(body);
  return r;
}

Response Response::empty(unsigned status) {
  Response r;
  r.status = status;
  return r;
}

Response Response::error(unsigned status, std::string_view message) {
  boost::json::object inner;
  inner["status"] = status;
  inner["message"] = message;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return json(status, boost::json::serialize(outer));
}

}  // namespace segue::net
