#include "search/query.h"

#include <cctype>
#include <charconv>

#include "search/text.h"

namespace segue::search {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::optional<int> parse_year(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > 9999) return std::nullopt;
  return v;
}

}  // namespace

Result<ParsedQuery> parse_query(std::string_view q) {
  ParsedQuery out;
  std::size_t i = 0;
  const std::size_t n = q.size();
  bool last_token_free_word = false;
  while (i < n) {
    while (i < n && is_space(q[i])) ++i;
    if (i >= n) break;
    if (q[i] == '"') {  // phrase
      std::size_t end = q.find('"', i + 1);
      std::string_view body = q.substr(i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1);
      Words w = split_words(body);
      if (!w.words.empty()) {
        int ph = out.phrase_count++;
        for (auto& word : w.words) out.terms.push_back({std::move(word), true, ph});
      }
      i = end == std::string_view::npos ? n : end + 1;
      last_token_free_word = false;
      continue;
    }
    std::size_t start = i;
    while (i < n && !is_space(q[i]) && q[i] != '"' && q[i] != ':') ++i;
    std::string_view head = q.substr(start, i - start);
    std::string lower;
    for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    char field = 0;
    bool is_year = false;
    if (i < n && q[i] == ':') {
      if (lower == "artist") field = 'R';
      else if (lower == "album") field = 'A';
      else if (lower == "track") field = 'T';
      else if (lower == "genre") field = 'G';
      else if (lower == "year") is_year = true;
    }
    if (field || is_year) {
      ++i;  // ':'
      std::string_view value;
      if (i < n && q[i] == '"') {
        std::size_t end = q.find('"', i + 1);
        value = q.substr(i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1);
        i = end == std::string_view::npos ? n : end + 1;
      } else {
        std::size_t vs = i;
        while (i < n && !is_space(q[i])) ++i;
        value = q.substr(vs, i - vs);
      }
      if (!out.filter_text.empty()) out.filter_text += ' ';
      out.filter_text += q.substr(start, i - start);
      last_token_free_word = false;
      if (is_year) {
        auto dash = value.find('-');
        std::optional<int> lo, hi;
        if (dash == std::string_view::npos) {
          lo = hi = parse_year(value);
        } else {
          lo = parse_year(value.substr(0, dash));
          hi = parse_year(value.substr(dash + 1));
        }
        if (!lo || !hi || *lo > *hi)
          return Error::invalid("year filter must be a year or a range like year:1990-1999");
        out.years = std::make_pair(*lo, *hi);
        continue;
      }
      Words w = split_words(value);
      if (field == 'G') {
        std::string key = name_key(value);
        if (!key.empty()) out.filters.push_back({field, {key}});
      } else if (!w.words.empty()) {
        out.filters.push_back({field, std::move(w.words)});
      }
      continue;
    }
    // An ordinary word (possibly with a colon in it: "re:invention").
    while (i < n && !is_space(q[i]) && q[i] != '"') ++i;
    Words w = split_words(q.substr(start, i - start));
    for (auto& word : w.words) out.terms.push_back({std::move(word), false, -1});
    last_token_free_word = !w.words.empty();
  }
  out.last_is_prefix = last_token_free_word && !out.terms.empty() && !out.terms.back().in_phrase &&
                       n > 0 && !is_space(q[n - 1]);
  if (out.terms.empty() && out.filters.empty() && !out.years)
    return Error::invalid("the query has nothing to search for");
  return out;
}

}  // namespace segue::search
