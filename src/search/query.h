// Internal: parsing a search query into words, phrases and Spotify's field filters
// (artist:, album:, track:, genre:, year:1999 or year:1990-1999, values optionally quoted).
// Anything else ("re:invention", "tag:new") is ordinary text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace segue::search {

struct ParsedQuery {
  struct Term {
    std::string word;     // folded
    bool in_phrase = false;
    int phrase = -1;      // index into phrases when in_phrase
  };
  std::vector<Term> terms;  // free words and phrase words, in the order typed
  int phrase_count = 0;
  // The last free word may be a prefix: the query does not end with a space or a quote.
  bool last_is_prefix = false;
  struct Filter {
    char field;  // 'R' artist, 'A' album, 'T' track, 'G' genre
    std::vector<std::string> words;
  };
  std::vector<Filter> filters;
  std::optional<std::pair<int, int>> years;  // inclusive
  std::string filter_text;                   // the filters as typed, for "did you mean"
};

// Error::invalid for a malformed year filter or a query with nothing to search for.
Result<ParsedQuery> parse_query(std::string_view q);

}  // namespace segue::search
