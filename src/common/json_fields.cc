#include "common/json_fields.h"

#include <algorithm>
#include <cmath>

namespace segue::json_fields {

Result<std::optional<std::string>> opt_string(const boost::json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return Error::invalid(std::string(name) + ": expected a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::string> req_string(const boost::json::object& o, const char* name) {
  SEGUE_ASSIGN_OR_RETURN(auto s, opt_string(o, name));
  if (!s) return Error::invalid(std::string(name) + ": required string");
  return std::move(*s);
}

Result<std::optional<int64_t>> opt_int(const boost::json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->as_int64());
  if (v->is_uint64()) return std::optional<int64_t>(static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), INT64_MAX)));
  // 3.0 from JavaScript clients is an integer too.
  if (v->is_double() && v->as_double() == static_cast<double>(static_cast<int64_t>(v->as_double())) &&
      std::abs(v->as_double()) < 9e15)
    return std::optional<int64_t>(static_cast<int64_t>(v->as_double()));
  return Error::invalid(std::string(name) + ": expected an integer");
}

Result<int64_t> req_int(const boost::json::object& o, const char* name) {
  SEGUE_ASSIGN_OR_RETURN(auto v, opt_int(o, name));
  if (!v) return Error::invalid(std::string(name) + ": required integer");
  return *v;
}

Result<std::optional<bool>> opt_bool(const boost::json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<bool>();
  if (!v->is_bool()) return Error::invalid(std::string(name) + ": expected true or false");
  return std::optional<bool>(v->as_bool());
}

}  // namespace segue::json_fields
