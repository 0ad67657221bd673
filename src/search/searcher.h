// Search and search-as-you-type over a SearchIndex: query parsing (field filters, phrases),
// folding, prefix completion of the last word, typo tolerance, and ranking. The ranking
// formula is in docs/search.md. Blocking (Xapian reads, usually from the page cache): worker
// threads only. Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "search/document.h"
#include "search/index.h"

namespace segue::search {

// How a result matched the query, best first; ranking orders by class before anything else.
enum class MatchClass {
  kExact = 3,   // its name equals the query (folded, see name_key)
  kPrefix = 2,  // its name starts with the query (the last word may be a prefix)
  kWords = 1,   // every query word is in its name, album or artist (last word as a prefix)
  kFuzzy = 0,   // some word matched only with typos allowed
};

struct Hit {
  Kind kind = Kind::kTrack;
  std::string id;
  MatchClass match = MatchClass::kWords;
  double score = 0;  // the final ranking score (higher first); see docs/search.md
  // Found by the relaxed pass (glue words optional, more typos, words left out), which runs
  // when the strict rules find fewer than a handful; ranks below every strict hit.
  bool relaxed = false;
};

struct KindPage {
  std::vector<Hit> items;
  std::size_t total = 0;  // an estimate when large (Xapian's matches estimate)
};

// Per-user boosts: given candidate hits, return a boost in [0, 1] for each (1 = the user
// saved it and played it recently). Called once per request on the calling thread.
using PersonalBoost = std::function<std::vector<double>(const std::vector<Hit>&)>;

struct SearchRequest {
  std::string q;
  std::vector<Kind> kinds;  // empty: all
  std::size_t limit = 20;   // per kind
  std::size_t offset = 0;
  std::string viewer;       // user id: sees public playlists and the ones they are a member of
  PersonalBoost boost;      // optional
};

struct SearchResponse {
  std::array<KindPage, kKindCount> pages;  // indexed by Kind; only requested kinds filled
  // When some words were replaced by close words because they matched nothing: the query as
  // it was understood ("did you mean"). Unset otherwise.
  std::optional<std::string> corrected;
};

struct SuggestRequest {
  std::string q;
  std::size_t limit = 4;  // per kind
  std::string viewer;
  PersonalBoost boost;
};

struct SuggestResponse {
  std::optional<Hit> top;                  // the best hit over all kinds
  std::array<std::vector<Hit>, kKindCount> items;
  std::optional<std::string> corrected;
};

class Searcher {
 public:
  explicit Searcher(const SearchIndex& index);

  // Error::invalid for an empty query, a query over 500 bytes, or a bad filter
  // ("year:abc").
  Result<SearchResponse> search(const SearchRequest& req) const;
  Result<SuggestResponse> suggest(const SuggestRequest& req) const;

 private:
  Result<SuggestResponse> suggest_xapian(const SuggestRequest& req) const;
  const SearchIndex& index_;
};

}  // namespace segue::search
