// The search index: a Xapian database (one document per track, album, artist and playlist)
// plus an in-memory lexicon of every word everyone may see with its document frequency, used for
// prefix completion and typo tolerance (see lexicon.h and searcher.h).
//
// Threads: one writer at a time (put/remove/commit are serialised internally and block on
// disk: worker or indexer threads only). Readers (Searcher) may run on any number of worker
// threads at once; each thread gets its own Xapian reader, reopened after each commit.
// Term layout and value slots: docs/formats/search-index.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "search/document.h"

namespace segue::search {

class Lexicon;
class Readers;
class KindIndex;

class SearchIndex {
 public:
  // Opens or creates the database in `dir` (created if missing). An empty `dir` keeps the
  // index in memory only (tests). A database written by an older layout version is wiped and
  // reported as empty, so the indexer rebuilds it.
  struct Options {
    // A commit that put at least this many documents, and at least half of what the index
    // holds (a first scan), compacts the database afterwards (docs/formats/search-index.md).
    std::size_t compact_after = 50000;
  };
  static Result<std::unique_ptr<SearchIndex>> open(const std::string& dir, Options options);
  static Result<std::unique_ptr<SearchIndex>> open(const std::string& dir) { return open(dir, Options{}); }
  ~SearchIndex();

  // Adds or replaces documents (by kind and id) and removes documents. Changes become visible
  // to searches at commit(). Error::invalid for a document without an id.
  Status put(const std::vector<Document>& docs);
  Status remove(const std::vector<std::pair<Kind, std::string>>& keys);
  // Durable on return (Xapian commit), then readers and the lexicon see the changes.
  Status commit();

  // Signatures (Document::signature) of every indexed document by doc_key: the indexer diffs
  // them against the catalog at startup. Blocking.
  Result<std::unordered_map<std::string, uint64_t>> signatures() const;
  std::size_t size() const;  // documents visible to searches

  // For the Searcher. The lexicon holds the words of what every viewer may see (catalog
  // documents and public playlists); private_lexicon() the words of the private playlists
  // `viewer` is a member of (null if none). Corrections and completions use only these two.
  std::shared_ptr<const Lexicon> lexicon() const;
  std::shared_ptr<const Lexicon> private_lexicon(const std::string& viewer) const;
  // The in-memory index of one kind for search as you type (memory_index.h); never null.
  std::shared_ptr<const KindIndex> memory(Kind kind) const;
  Readers& readers() const;

 private:
  struct Impl;
  explicit SearchIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace segue::search
