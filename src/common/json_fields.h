// Readers of JSON object fields shared by every parser of client JSON (event batches, API
// request bodies): absent or null -> nullopt, the wrong type -> Error::invalid naming the field
// ("name: expected a string"), so every surface words the same mistake the same way.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace segue::json_fields {

Result<std::optional<std::string>> opt_string(const boost::json::object& o, const char* name);
Result<std::string> req_string(const boost::json::object& o, const char* name);
// Integers as JSON numbers; a double with no fraction (3.0 from JavaScript) counts too.
Result<std::optional<int64_t>> opt_int(const boost::json::object& o, const char* name);
Result<int64_t> req_int(const boost::json::object& o, const char* name);
Result<std::optional<bool>> opt_bool(const boost::json::object& o, const char* name);

}  // namespace segue::json_fields
