#include "common/strings.h"

#include <gtest/gtest.h>

namespace segue::strings {

TEST(Strings, Utf8ValidationRejectsOverlongAndSurrogates) {
  EXPECT_TRUE(is_valid_utf8("Beyonc\xC3\xA9"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("abc\xFF"));
  EXPECT_EQ(sanitize_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_TRUE(is_valid_utf8(sanitize_utf8("\xC3")));
}

TEST(Strings, FormDecodeHandlesPlusAndPercent) {
  EXPECT_EQ(form_decode("a+b%20c%2F"), "a b c/");
  EXPECT_EQ(form_decode("%zz"), std::nullopt);
  EXPECT_EQ(form_decode("abc%2"), std::nullopt);
  EXPECT_EQ(form_decode("%"), std::nullopt);
}

TEST(Strings, ParseIntRequiresWholeString) {
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int("-7"), -7);
  EXPECT_EQ(parse_int("42x"), std::nullopt);
  EXPECT_EQ(parse_int(""), std::nullopt);
  EXPECT_EQ(parse_int("99999999999999999999"), std::nullopt);
}

TEST(Strings, HtmlEscapeNeutralisesMarkup) {
  EXPECT_EQ(html_escape("<a href=\"x\">'&"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
}

TEST(Strings, UrlEncodeKeepsUnreserved) {
  EXPECT_EQ(url_encode("a b/c~"), "a%20b%2Fc~");
}

}  // namespace segue::strings

namespace segue::strings {
namespace {
TEST(ParseCsv, QuotesCommasNewlinesAndLineEnds) {
  auto rows = parse_csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"x, y", "say \"hi\""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"two\nlines", ""}));
  EXPECT_EQ(parse_csv("last,row").back(), (std::vector<std::string>{"last", "row"}));
  EXPECT_TRUE(parse_csv("").empty());
}
}  // namespace
}  // namespace segue::strings
