// Internal: per-thread Xapian readers for one SearchIndex. A Xapian::Database must not be
// shared between threads, so each thread opens its own on first use and reopens it when the
// index has committed since (the index bumps a generation counter).
#pragma once

#include <xapian.h>

#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <vector>

#include "search/document.h"

namespace segue::search {

class Readers {
 public:
  explicit Readers(std::string dir);
  // This thread's reader, reopened if the index committed since it was last used.
  Xapian::Database& get();
  // After a DatabaseError: reopen this thread's reader, or drop it to be opened afresh by the
  // next get() if the database was replaced since it was opened or reopening fails. Never throws.
  void refresh() noexcept;
  void bump() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  // After the database was replaced by a compacted copy: every reader opens it afresh rather
  // than reopening (its files are other files now).
  void replaced() {
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    bump();
  }
  // Held exclusively by the writer while it commits; a reader that keeps losing the race
  // holds it shared for its last attempt, so it cannot lose again.
  std::shared_mutex& commit_mutex() { return commit_mu_; }

 private:
  std::string dir_;
  uint64_t instance_;
  std::atomic<uint64_t> generation_{1};
  std::atomic<uint64_t> epoch_{1};
  std::shared_mutex commit_mu_;
};

// Runs fn(db) with the thread's reader, retrying after a Xapian::DatabaseError: the writer
// committed twice while we read (DatabaseModifiedError), or swapped in a compacted copy while we
// read or opened (its files change under an open reader). Reads take no lock; after three lost
// races the last attempt runs with commits (and compactions) held off, and its errors propagate.
template <typename Fn>
auto with_reader(Readers& readers, Fn&& fn) -> decltype(fn(readers.get())) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      return fn(readers.get());
    } catch (const Xapian::DatabaseError&) {
      readers.refresh();
    }
  }
  std::shared_lock lock(readers.commit_mutex());
  readers.refresh();
  return fn(readers.get());
}

// Term prefixes and value slots (docs/formats/search-index.md).
namespace layout {
inline constexpr const char* kKind = "K";      // K<t|l|r|p>
inline constexpr const char* kTitle = "T";     // track name words
inline constexpr const char* kAlbum = "A";     // album name words (albums, tracks' album)
inline constexpr const char* kArtist = "R";    // artist name words (artists, tracks', albums')
inline constexpr const char* kDescription = "D";  // playlist description words
inline constexpr const char* kGenre = "G";     // genre words and whole genre keys
inline constexpr const char* kExact = "E";     // E<name_key(name)>
inline constexpr const char* kBegins = "B";    // B<first word of the name, "the" skipped>
inline constexpr const char* kPublic = "Ppub";  // public playlists
inline constexpr const char* kMember = "M";    // M<user id> for playlist members
inline constexpr Xapian::valueno kPopularity = 0;  // sortable_serialise(0..100)
inline constexpr Xapian::valueno kYearSlot = 1;    // sortable_serialise(year)
inline constexpr const char* kLayoutKey = "segue:layout";
inline constexpr const char* kLayoutVersion = "7";
char kind_letter(int kind);

// What the searcher reads of a hit: its stored record (the document data), decoded.
struct StoredHit {
  Kind kind = Kind::kTrack;
  std::string id;
  double popularity = 0.5;  // 0..1
  std::string name_words;   // the folded name words, spaced, a leading "the" dropped
  std::string base_words;   // the same of base_name(name)
  std::string all_words;    // every indexed word of the document, spaced, sorted, once each
};
// False for data that is not a record of this layout.
bool read_stored(const std::string& data, StoredHit* out);
// Whether a record holds every phrase (of two words or more) with its words consecutive within
// one field: the name, a track's album, one artist, a playlist's description. The index keeps
// no positions (layout 7): a phrase query matches the phrase's words and keeps the documents
// this accepts. False for data that is not a record of this layout.
bool has_phrases(const std::string& data, const std::vector<std::vector<std::string>>& phrases);
}  // namespace layout

}  // namespace segue::search
