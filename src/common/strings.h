// Small string helpers shared by modules (no locale dependence).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace segue::strings {

bool is_valid_utf8(std::string_view s);
// Replaces invalid UTF-8 sequences with U+FFFD so the result is always valid UTF-8.
std::string sanitize_utf8(std::string_view s);
std::string ascii_lower(std::string_view s);
std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
// Parses a base-10 integer that spans the whole string.
std::optional<int64_t> parse_int(std::string_view s);
// JSON-free escaping for HTML text and attribute values.
std::string html_escape(std::string_view s);
// Percent-decoding. nullopt for a malformed escape, and for any NUL byte (raw or %00) when
// `reject_nul`. With `plus_is_space`, '+' decodes to ' ' (application/x-www-form-urlencoded).
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space, bool reject_nul);
// Form decoding: percent_decode(s, true, false).
std::optional<std::string> form_decode(std::string_view s);
std::string url_encode(std::string_view s);

// RFC 4180 CSV text: rows of fields; quoted fields may hold commas, doubled quotes and
// newlines; CRLF or LF line ends.
std::vector<std::vector<std::string>> parse_csv(std::string_view text);

}  // namespace segue::strings
