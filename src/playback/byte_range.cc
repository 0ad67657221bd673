#include "playback/byte_range.h"

#include <charconv>

namespace segue::playback {
namespace {
bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

RangeDecision decide_range(std::string_view header, uint64_t size) {
  RangeDecision whole;
  header = trim(header);
  if (header.empty()) return whole;
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit) return whole;
  std::string_view spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return whole;  // multipart: send everything
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  RangeDecision d;
  if (a.empty()) {  // suffix: last N bytes
    uint64_t n;
    if (!parse_u64(b, n)) return whole;
    if (n == 0 || size == 0) return {RangeDecision::kUnsatisfiable, {}};
    d.kind = RangeDecision::kPartial;
    d.range.first = n >= size ? 0 : size - n;
    d.range.last = size - 1;
    return d;
  }
  uint64_t first;
  if (!parse_u64(a, first)) return whole;
  uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    uint64_t l;
    if (!parse_u64(b, l) || l < first) return whole;  // invalid: ignore the header
    last = std::min(l, last);
  }
  if (first >= size) return {RangeDecision::kUnsatisfiable, {}};
  d.kind = RangeDecision::kPartial;
  d.range = {first, last};
  return d;
}

}  // namespace segue::playback
