// Internal: the in-memory index behind search as you type. One KindIndex per kind, rebuilt
// from folded documents when a commit changed that kind, published as an immutable snapshot.
//
// Documents are numbered by static rank (popularity, then shorter names), so walking posting
// lists or the documents themselves in number order meets the best documents first and stops
// as soon as it has enough: a one-letter query at a million tracks reads a few hundred
// entries, not the hundreds of thousands of documents that contain a word starting with it.
// Each document keeps its sorted word ids; a word's completions are a contiguous id range of
// the kind's lexicon, so "has a word starting with 'lov'" is one binary search per document.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "search/document.h"
#include "search/lexicon.h"
#include "search/text.h"

namespace segue::search {

// A document's words, split once at put() time (text.h: split_words) and shared by the Xapian
// document and the folded document below.
struct SplitDoc {
  Words name, base, album;  // base: of base_name(name); album: tracks only
  std::vector<Words> artists;
  Words description;  // playlists
};
SplitDoc split_document(const Document& d);

// A document folded once, at put() time: what the in-memory index is built from and what the
// stored record (document data, docs/formats/search-index.md) holds. Word lists are spaced.
// Only documents changed since the last commit (and, while the index opens, one kind's
// documents at a time) are held this way; the published KindIndex keeps no copy of them.
struct FoldedDoc {
  Kind kind = Kind::kTrack;
  std::string id;
  std::string name;    // the name's folded words in order ("the" kept)
  std::string pieces;  // the pieces of the name's joined words ("ac dc" of "AC/DC")
  std::string base;    // the words of base_name(name); empty when the same as the name's
  // Fields for phrases: words of one field spaced, fields two spaces apart, their pieces after
  // three spaces (docs/formats/search-index.md).
  std::string album;   // tracks: the album's words, then its pieces
  std::string artist;  // every artist's words (and a playlist's description's), then the pieces
  std::string joined;  // adjacent name words joined ("tiktok"); derived, not stored
  int popularity = 50;  // 0..100
  bool is_public = true;
  std::vector<std::string> members;
  uint64_t signature = 0;  // Document::signature()
  uint32_t docid = 0;       // the Xapian document (not stored in the record: it is its key)

  void derive();                   // fills `joined` from `name`
  std::string name_key() const;    // name_key() of the name
  std::string base_key() const;    // name_key() of base_name(name)
  std::size_t name_words() const;  // words of the base name, a leading "the" not counted
  // Calls f(word, field) for every indexed word (field 1 name, 2 album, 4 artist; a word may
  // come more than once): the name's words, pieces and joined pairs, album and artist words.
  template <typename F>
  void each_word(F&& f) const {
    auto spaced = [&](const std::string& s, uint8_t field) {
      std::size_t pos = 0;
      while (pos < s.size()) {
        std::size_t end = s.find(' ', pos);
        if (end == std::string::npos) end = s.size();
        if (end > pos) f(std::string_view(s).substr(pos, end - pos), field);
        pos = end + 1;
      }
    };
    spaced(joined, 1);
    spaced(name, 1);
    spaced(pieces, 1);
    spaced(album, 2);
    spaced(artist, 4);
  }
};
FoldedDoc fold_document(const Document& d, const SplitDoc& s);
FoldedDoc fold_document(const Document& d);

// One typed word and how it may match.
struct QueryWord {
  std::string word;
  bool prefix = false;       // the last word, completed
  bool force_fuzzy = false;  // close words allowed even when the word is common as typed
  bool optional = false;     // relaxed pass: a glue word ("by", "de"), counted only when present
  int edits = -1;            // typos allowed; -1: allowed_edits() of its length
  bool typing = false;       // search as you type: a last word that starts some word is taken as typed
};

// The relaxed pass (docs/search.md): glue words optional, words that match nothing dropped
// (and, when every word matches something but no document holds them all, the one word whose
// absence answers best), every hit ranked below the strict ones. Filled in by query().
struct Relaxed {
  // In: the strict pass found some hits, so this pass only adds to them: fewer close words, no
  // per-document comparison of unlisted ones, no words left out, a quarter of the work.
  bool light = false;
  // In: when the pass gives up looking (the keystroke budget): it returns what it found by then.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Out.
  std::vector<std::string> understood;  // the query as the best hit matched it
  bool dropped = false;                 // some typed word was left out
};

struct MemHit {
  std::string id;
  double score = 0;
  int match = 0;  // MatchClass value
};

struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class KindIndex {
 public:
  // Changes since the last build, by id: the new folded document, or nullopt for a removal.
  using Changes = std::unordered_map<std::string, std::optional<FoldedDoc>, IdHash, std::equal_to<>>;

  static std::shared_ptr<const KindIndex> build(Kind kind, const std::vector<const FoldedDoc*>& docs);
  // The documents of `old` (may be null) with `changes` applied. Reads the old index's own
  // arrays: no document of it needs to be kept elsewhere.
  static std::shared_ptr<const KindIndex> rebuild(Kind kind, const KindIndex* old, const Changes& changes);

  // The best `limit` documents for the words (all must match), ranked with the formula of
  // docs/search.md without the personal boost. `key` and `corrected_key` are name_key() of
  // the query and of its corrected form ("" when not corrected).
  // `total` (if not null) gets the number of matching documents when the walk saw them all,
  // else an upper estimate (the postings of the most selective word).
  std::vector<MemHit> query(const std::vector<QueryWord>& words, const std::string& key,
                            const std::string& corrected_key, bool last_prefix, std::size_t limit,
                            const std::string& viewer, std::size_t* total = nullptr,
                            Relaxed* relaxed = nullptr) const;
  std::size_t size() const { return id_off_.empty() ? 0 : id_off_.size() - 1; }
  // Document d's id (documents are numbered in rank order).
  std::string_view id(uint32_t d) const {
    return std::string_view(id_chars_).substr(id_off_[d], id_off_[d + 1] - id_off_[d]);
  }
  // The Xapian document id of the document with this id, 0 if none (the writer replaces and
  // deletes documents by it: the index keeps no id term).
  uint32_t docid_of(std::string_view id) const;
  std::size_t prefix_lists() const { return prefix_lists_.size(); }  // wide prefixes with their own list
  // Approximate heap memory held, and the part of it taken by the wide prefixes' lists.
  std::size_t bytes() const;
  std::size_t prefix_list_bytes() const { return (postings_.size() - post_off_.back()) * sizeof(uint32_t); }

 private:
  struct Constraint {
    uint32_t word = 0;            // index of the query word
    bool optional = false;        // a glue word of the relaxed pass
    uint32_t closest = UINT32_MAX;  // the closest word, when the word matches nothing as typed
    std::vector<uint32_t> exact;  // sorted word ids matching without typos
    std::vector<uint32_t> fuzzy;  // sorted word ids matching with typos
    std::vector<uint8_t> fuzzy_edits;  // parallel to fuzzy: the edits each needed
    // Relaxed pass, when the close words were too many to list (a short word with two edits):
    // a document's own words are also compared with the typed word, within `edits`.
    bool open = false;
    std::string typed;
    int edits = 0;
    bool as_prefix = false;
    mutable std::unordered_map<uint32_t, uint8_t> open_memo;  // word id -> edits (edits + 1: too far)
    uint32_t lo = 0, hi = 0;      // completions: word ids [lo, hi)
    uint32_t list_b = 0, list_e = 0;  // the union of [lo, hi)'s postings, if kept (prefix_lists_)
    uint64_t volume = 0;          // postings under all of the above
  };
  // A word's documents as the union of a few posting lists, walked forward (leapfrog join).
  struct Cursor {
    struct Span {
      uint32_t pos, end;  // in postings_
    };
    std::vector<Span> src;  // few lists: each one's position
    uint64_t volume = 0;
    bool merge = false;  // many lists: their heads in a min-heap (doc, position, end) instead
    std::vector<std::tuple<uint32_t, uint32_t, uint32_t>> heap;
  };
  bool cursor_of(const Constraint& c, Cursor* cur) const;  // false: a one-byte prefix (too many lists)
  uint32_t gallop(uint32_t pos, uint32_t end, uint32_t doc) const;  // first position >= doc
  uint32_t seek(Cursor* cur, uint32_t doc) const;          // first document >= doc, or UINT32_MAX
  bool has(uint32_t doc, const Constraint& c) const;       // whether doc has one of c's words
  // 0 no match, 1 with typos only, 2 without typos; `field` gets the best field (0 name,
  // 1 album, 2 artist) of a non-typo match, or of a typo match.
  int match(uint32_t doc, const Constraint& c, int* field) const;
  bool visible(uint32_t doc, const std::string& viewer) const;
  // Edits between c's typed word and word w when c is open (c.edits + 1 when too far).
  int open_edits(uint32_t w, const Constraint& c) const;
  // The fewest edits with which one of doc's words matches c's close words (3 if none does).
  int typo_edits(uint32_t doc, const Constraint& c) const;
  // The word of doc that satisfies c (without typos if it can), or UINT32_MAX.
  uint32_t matched_word(uint32_t doc, const Constraint& c) const;
  void key_lookup(const std::string& key, bool prefix, std::size_t want, std::vector<uint32_t>* out,
                  std::vector<uint8_t>* full) const;

  Kind kind_ = Kind::kTrack;
  Lexicon lex_;
  std::vector<uint64_t> df_prefix_;  // df_prefix_[i] = sum of df of word ids < i
  struct Source;  // one document to build from: a FoldedDoc or a document of an older index
  static std::shared_ptr<const KindIndex> build_from(Kind kind, std::vector<Source>& docs, const KindIndex* old);

  // Documents in rank order; doc d's id is id_chars_[id_off_[d] .. id_off_[d+1]).
  std::string id_chars_;
  std::vector<uint32_t> id_off_;
  std::vector<uint32_t> docid_;  // Xapian document ids
  std::vector<uint32_t> by_id_;  // document numbers sorted by id
  std::vector<uint8_t> popularity_;
  std::vector<uint8_t> name_words_;
  std::vector<uint32_t> word_off_;  // doc d's words: words_[word_off_[d] .. word_off_[d+1])
  std::vector<uint32_t> words_;     // sorted word ids
  std::vector<uint8_t> fields_;     // parallel to words_: bit 0 name, 1 album, 2 artist
  std::vector<uint32_t> post_off_;  // word w's postings: postings_[post_off_[w] .. post_off_[w+1])
  std::vector<uint32_t> postings_;  // doc numbers, ascending (best first)
  // Prefixes completed by many words (2 bytes or more, more than kWideRange words): the union
  // of their words' postings, stored in postings_ after the words' own lists, keyed by the word
  // id range (lo << 32 | hi). Merging thousands of lists per keystroke was the slow path.
  std::unordered_map<uint64_t, std::pair<uint32_t, uint32_t>> prefix_lists_;
  // Name keys (full and base) sorted, with their document and whether it is the full name.
  std::string key_chars_;
  std::vector<uint32_t> key_off_;
  std::vector<uint32_t> key_doc_;
  std::vector<uint8_t> key_full_;
  // Playlists only: public flag and members.
  std::vector<uint8_t> public_;
  std::vector<std::vector<std::string>> members_;
};

}  // namespace segue::search
