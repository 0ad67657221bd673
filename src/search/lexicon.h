// Every word in the search index with its document frequency, sorted, for completing the last
// word of a query and for finding words within a few edits of a typed word. Immutable once
// built; the index publishes a new one after each commit. Thread-safe reads.
//
// Fuzzy lookup walks the sorted words as if they were a trie: consecutive words share their
// common prefix's rows of the edit-distance table, and a whole block of words sharing a
// prefix is skipped as soon as no row entry is within the allowed distance. Where the blocks
// of the first kJumpDepths bytes end is precomputed, so most skips cost one load. Results are
// remembered per lexicon, for all threads: search as you type repeats a finished word with
// every keystroke that follows it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace segue::search {

class Lexicon {
 public:
  struct Entry {
    std::string word;
    uint32_t df = 0;  // documents holding the word
  };
  struct Match {
    std::string_view word;
    uint32_t df = 0;
    int distance = 0;  // edits between the typed word and the word (or its matching prefix)
    uint32_t id = 0;   // the word's index in sorted order
  };

  Lexicon() = default;
  // `entries` need not be sorted; duplicates are summed.
  explicit Lexicon(std::vector<Entry> entries);

  std::size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  std::size_t bytes() const;  // approximate heap memory held
  uint32_t df(std::string_view word) const;  // 0 if absent
  // Words are numbered in sorted order: the id of `word` (size() if absent), the id range
  // [first, second) of the words starting with `prefix`, and the word and df of an id.
  uint32_t id(std::string_view word) const;
  std::pair<uint32_t, uint32_t> prefix_range(std::string_view prefix) const;
  std::string_view word(uint32_t id) const { return at(id); }
  uint32_t df_at(uint32_t id) const { return df_[id]; }

  // Words starting with `prefix` (the prefix itself included), most frequent first.
  std::vector<Match> complete(std::string_view prefix, std::size_t limit) const;

  // Words within `max_edits` (optimal string alignment distance) of `word`, the word itself
  // excluded; with `as_prefix`, words that start with something within `max_edits` of `word`
  // (completions of a mistyped prefix). Closest first, then most frequent, at most `limit`.
  // With two edits allowed the first letter must match.
  std::vector<Match> fuzzy(std::string_view word, int max_edits, bool as_prefix,
                           std::size_t limit) const;


 private:
  static constexpr std::size_t kJumpDepths = 4;
  struct Cand {  // a fuzzy match before it is turned into a Match
    uint32_t index;
    int distance;
  };
  std::vector<Cand> fuzzy_walk(std::string_view word, int max_edits, bool as_prefix,
                               std::size_t limit) const;
  std::string_view at(std::size_t i) const {
    return std::string_view(chars_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  // First index >= from whose word does not start with `prefix` (words with it are contiguous).
  std::size_t end_of_prefix(std::size_t from, std::string_view prefix) const;
  std::size_t lower_bound(std::string_view w) const;

  std::string chars_;              // all words, concatenated in sorted order
  std::vector<uint32_t> offsets_;  // size()+1 offsets into chars_
  std::vector<uint32_t> df_;
  // block_end_[d - 1][i]: the first word after i that does not share i's first d bytes.
  std::array<std::vector<uint32_t>, kJumpDepths> block_end_;
  uint64_t serial_ = 0;  // unique per built lexicon (keys the fuzzy memo)
};

// The words one viewer's query may draw on (issue 14: corrections and completions must not
// reveal other users' private playlist names): the shared lexicon (catalog and public
// playlists) and, if not null, the words of the viewer's own private playlists. Lookups
// answer as one lexicon would: document frequencies add, matches of both are merged (closest
// first, then most frequent). Match::id is meaningful only for matches of the shared lexicon.
// Borrows both; thread-safe reads.
class LexiconView {
 public:
  LexiconView(const Lexicon& shared, const Lexicon* own) : shared_(shared), own_(own) {}

  uint32_t df(std::string_view word) const;
  bool completes(std::string_view prefix) const;  // some word starts with prefix
  std::vector<Lexicon::Match> complete(std::string_view prefix, std::size_t limit) const;
  std::vector<Lexicon::Match> fuzzy(std::string_view word, int max_edits, bool as_prefix, std::size_t limit) const;

 private:
  const Lexicon& shared_;
  const Lexicon* own_;
};

}  // namespace segue::search
