// bench/search: a synthetic catalog of N tracks grown from the real TidyTuesday Spotify catalog,
// and the typed-query replay set (what a person types, one keystroke at a time). Deterministic
// for a given seed and source data. See docs/benchmarks.md, "Search".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "search/document.h"  // header-only use: Document is a plain struct

namespace segue::bench_search {

// xoshiro256** with our own uniform helpers (std distributions differ between libraries).
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  double uniform();                 // [0, 1)
  std::size_t below(std::size_t n); // [0, n), n > 0
  bool chance(double p) { return uniform() < p; }

 private:
  uint64_t s_[4];
};

struct Catalog {
  // Tracks first (the real rows, then the synthesised ones), then albums, then artists.
  std::vector<search::Document> docs;
  std::size_t n_tracks = 0, n_albums = 0, n_artists = 0;
  std::size_t real_tracks = 0, real_albums = 0, real_artists = 0;
  std::vector<uint32_t> track_artist;  // per track: index of its artist document in `docs`
  std::vector<uint32_t> track_album;   // per track: index of its album document
  std::vector<uint32_t> album_artist;  // per album (0-based among albums): artist document
  std::vector<double> artist_weight;   // per artist (0-based among artists): Zipf weight
  std::size_t vocabulary = 0;          // distinct lower-cased words over names (a statistic)
  std::size_t album_begin() const { return n_tracks; }
  std::size_t artist_begin() const { return n_tracks + n_albums; }
};

// Reads tracks.csv.gz and playlist_tracks.csv.gz from `data_dir` and synthesises `n_tracks`
// tracks (at least the real ones are kept when n_tracks >= the real count; fewer: the first
// n_tracks real rows).
Catalog generate_catalog(const std::string& data_dir, std::size_t n_tracks, uint64_t seed);

struct TypedQuery {
  std::string text;           // the full typed text
  std::string form;           // "artist", "title", "artist title", "album", "artist album"
  search::Kind kind = search::Kind::kTrack;
  uint32_t target = 0;        // index into Catalog::docs
  bool typo = false;          // one substitution or transposition in a word of >= 5 letters
  bool unaccented = false;    // the name has accents, typed without them
  bool natural = false;       // one of make_natural_queries' forms (issue 15's relaxed pass)
  std::vector<std::string> keystrokes;  // every prefix sent as a query (see make_queries)
};

// Picks `count` targets (seeded) and derives the typed text and its keystroke prefixes: one per
// typed character, except that a prefix ending in a space is not sent (it does not change the
// query) and neither is an empty one.
std::vector<TypedQuery> make_queries(const Catalog& cat, std::size_t count, uint64_t seed);

// Queries the strict rules answer poorly and the relaxed pass is for (issue 15), on track
// targets, in equal shares: "title by artist" (a glue word), "artist title" plus a word no
// document has ("lyrics" is a glue word, so "official"/"karaoke"/"hq"/"mp3"), and "artist
// title" with a typo in a word of 3 letters or a second typo in a word of 4-5 (never the first
// letter). Seeded separately from make_queries.
std::vector<TypedQuery> make_natural_queries(const Catalog& cat, std::size_t count, uint64_t seed);

// Lower-cased, accent-stripped (Latin letters) form used to decide whether a returned document
// is indistinguishable from the target (same name, and same artist when the artist was typed).
std::string plain_key(const std::string& s);

// Text without accents on Latin letters (what a person types on a plain keyboard).
std::string strip_accents(const std::string& s);

}  // namespace segue::bench_search
