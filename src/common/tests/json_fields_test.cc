#include "common/json_fields.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace segue::json_fields {
namespace {

boost::json::object obj(std::string_view text) { return boost::json::parse(text).as_object(); }

TEST(JsonFields, AbsentAndNullAreNulloptAndTheWrongTypeNamesTheField) {
  auto o = obj(R"({"s": "x", "n": null, "i": 3, "f": 3.0, "h": 2.5, "b": true, "t": "true"})");
  EXPECT_EQ(*opt_string(o, "s"), std::optional<std::string>("x"));
  EXPECT_EQ(*opt_string(o, "n"), std::nullopt);
  EXPECT_EQ(*opt_string(o, "missing"), std::nullopt);
  EXPECT_EQ(opt_string(o, "i").error().message, "i: expected a string");
  EXPECT_EQ(req_string(o, "missing").error().message, "missing: required string");
  EXPECT_EQ(*opt_int(o, "i"), std::optional<int64_t>(3));
  EXPECT_EQ(*opt_int(o, "f"), std::optional<int64_t>(3));  // 3.0 from JavaScript
  EXPECT_EQ(opt_int(o, "h").error().message, "h: expected an integer");
  EXPECT_EQ(req_int(o, "n").error().message, "n: required integer");
  EXPECT_EQ(*opt_bool(o, "b"), std::optional<bool>(true));
  EXPECT_EQ(opt_bool(o, "t").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(opt_bool(o, "t").error().message, "t: expected true or false");
}

TEST(JsonFields, StringsKeepEmbeddedNulBytes) {
  auto o = obj(R"({"s": "a\u0000b"})");
  EXPECT_EQ(opt_string(o, "s")->value().size(), 3u);
}

}  // namespace
}  // namespace segue::json_fields
