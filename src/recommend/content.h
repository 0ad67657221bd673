// Content vectors: what a track sounds like and how it is tagged, as one L2-normalised vector per
// item, so items nobody has played yet (cold start) still get neighbours, and a ridge regression
// from those vectors into the ALS item-factor space so a cold item can be scored for any user.
//
// The vector of an item is the concatenation of four blocks, each scaled so that its expected
// squared norm is about 1, then multiplied by its block weight (ContentOptions), then the whole
// vector L2-normalised (cosine = dot product):
//
// - audio (10 dimensions): log2(tempo), loudness, energy, danceability, valence, acousticness,
//   instrumentalness, speechiness, liveness, time signature, each z-scored (mean and standard
//   deviation over the items that have that value; an item without it gets 0 = the mean), the
//   block divided by sqrt(10). Tempo on a log scale, so 120 vs 240 BPM is as far as 60 vs 120.
//   A tempo of 0 (no beat, silence) counts as unknown. A dimension with no spread is all 0.
// - key (3 dimensions): the key on the circle of fifths, a minor key placed at its relative major
//   (A minor at C major, they share their notes): (cos, sin) of 2 pi * fifths(key) / 12 times
//   sqrt(0.8), and the mode as +sqrt(0.2) (major) or -sqrt(0.2) (minor); norm 1. So C and G
//   (one fifth apart) are close, C and F# (six fifths) opposite, C major and A minor differ only in
//   the mode dimension. Unknown key (-1) gives an all-0 block.
// - year (1 dimension): the release year z-scored over the items that have one.
// - genres (one dimension per folded genre): the item's distinct folded genres weighted by
//   IDF = ln((1 + N) / (1 + df)) + 1 (N items, df items with the genre), the block L2-normalised.
//   Folding: ASCII lower case, "&" read as "and", everything that is not a letter or digit
//   dropped (so "Hip-Hop", "hip hop" and "HIPHOP" are one genre; non-ASCII letters are kept as
//   they are, accents are not folded). A genre carried by fewer than `min_genre_items` items
//   is dropped (a genre on one item alone matches nothing).
//
// An item with only tags is placed by its genre block alone, one with only audio features by
// its audio and key blocks alone: the block weights are the same for everyone, missing blocks are
// zero, and the normalisation makes the vector unit length again. An item with nothing at all has
// the zero vector: it has no neighbours and is nobody's neighbour.
//
// Pure code, free of HTTP and of the database; const methods may be called from any number of
// threads at once.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "audio/features.h"
#include "common/result.h"
#include "recommend/als.h"

namespace segue::recommend {

// The scalar audio features of a track (segue::audio::AudioAnalysis without its time series).
struct AudioFeatures {
  double tempo = 0;  // BPM, 0 = no beat (unknown)
  double loudness = -60;  // dBFS
  double energy = 0, danceability = 0, valence = 0, acousticness = 0, instrumentalness = 0,
         speechiness = 0, liveness = 0;  // 0..1 (not enforced; must be finite)
  int time_signature = 4;  // beats per bar, 1..12
  int key = -1;   // 0 (C) .. 11 (B), -1 unknown
  int mode = -1;  // 1 major, 0 minor, -1 unknown
};

inline AudioFeatures audio_features_of(const audio::AudioAnalysis& a) {
  AudioFeatures f;
  f.tempo = a.tempo;
  f.loudness = a.loudness;
  f.energy = a.energy;
  f.danceability = a.danceability;
  f.valence = a.valence;
  f.acousticness = a.acousticness;
  f.instrumentalness = a.instrumentalness;
  f.speechiness = a.speechiness;
  f.liveness = a.liveness;
  f.time_signature = a.time_signature;
  f.key = a.key;
  f.mode = a.mode;
  return f;
}

// What is known about one item (a track; for an artist, whatever summary the caller makes).
struct ContentFeatures {
  std::optional<AudioFeatures> audio;  // none yet: not analysed
  std::vector<std::string> genres;     // as tagged; folded and deduplicated here
  std::optional<int> year;             // release year
};

struct ContentOptions {
  float audio_weight = 1.0f;
  float key_weight = 0.4f;
  float year_weight = 0.5f;
  float genre_weight = 1.0f;
  int min_genre_items = 2;
};

// "Hip-Hop" -> "hiphop", "Drum & Bass" -> "drumandbass" (see above); "" for a genre with no
// letter or digit.
std::string fold_genre(std::string_view genre);

struct ContentNeighbor {
  int32_t item = 0;
  float similarity = 0;  // cosine, -1..1
};

class ContentSpace {
 public:
  static constexpr int kAudioDims = 10;
  static constexpr int kKeyDims = 3;
  static constexpr int kYearDims = 1;
  static constexpr int kGenreOffset = kAudioDims + kKeyDims + kYearDims;

  ContentSpace() = default;
  // Items are numbered by their position in `items`. Error::invalid (naming the item and the
  // field) for a non-finite audio value or year, a negative tempo, a key outside -1..11, a mode
  // outside -1..1, a time signature outside 1..12, a year outside 1..9999, or a negative block
  // weight / all-zero weights; nothing is built then. Zero items give an empty space.
  static Result<ContentSpace> build(std::span<const ContentFeatures> items, const ContentOptions& options = {});

  int32_t items() const { return static_cast<int32_t>(vectors_.rows()); }
  int dims() const { return static_cast<int>(vectors_.cols()); }
  // The folded genres, in the order of their dimensions (dimension kGenreOffset + i).
  const std::vector<std::string>& genres() const { return genres_; }
  // The IDF of a genre as folded by fold_genre; nullopt if it has no dimension.
  std::optional<float> idf(std::string_view genre) const;
  // All item vectors, items x dims, rows unit length (or all zero for an item with nothing).
  const Eigen::SparseMatrix<float, Eigen::RowMajor>& vectors() const { return vectors_; }
  Eigen::VectorXf vector(int32_t item) const;  // dense copy of one row
  bool has_content(int32_t item) const { return vectors_.outerIndexPtr()[item + 1] > vectors_.outerIndexPtr()[item]; }

  // The vector an item with these features would have, with this space's means, deviations and
  // IDFs (a track added after the space was built); genres the space does not know are ignored.
  // Same validation as build().
  Result<Eigen::VectorXf> embed(const ContentFeatures& item) const;

  // The k items most similar to `item` by cosine, best first (ties: lower index first); never
  // the item itself, nor anything in `exclude`, nor items without content. Error::invalid for
  // an item out of range. An item without content has no neighbours (empty list). Exclusions
  // out of range are ignored; k <= 0 gives an empty list. Cost: one pass over all stored
  // entries (about 1.4 ms at 100,000 items, single thread).
  Result<std::vector<ContentNeighbor>> nearest(int32_t item, int k, std::span<const int32_t> exclude = {}) const;
  // Once build_cells() ran, nearest() and nearest_to() are approximate: they score only the
  // items of the cells whose centroids are most like the query (see build_cells).
  // The same for any vector of dims() entries (from embed(), a user's average, ...).
  // Error::invalid for a wrong size or a non-finite entry.
  Result<std::vector<ContentNeighbor>> nearest_to(const Eigen::VectorXf& v, int k,
                                                  std::span<const int32_t> exclude = {}) const;

  // An inverted file for catalogs too large for a full pass per query (a million tracks: about
  // 14 ms): spherical k-means of the item vectors into `cells` cells (centroids trained on a
  // seeded sample of at most `sample` items with content, `iterations` rounds; every item then
  // goes to its most similar centroid). A query then scores the items of its most similar cells,
  // best first, up to `probe` cells, and stops early once it has scored `budget` items (0: no
  // budget) and at least two cells: cells in crowded parts of the space (a big genre) are large.
  // Error::invalid for cells < 1, probe < 1 or a negative budget; a space with fewer items with
  // content than cells keeps the full pass. Cost: about (sample * iterations + items) * nnz per
  // item * cells multiply-adds (4 s for a million items, 1,000 cells, one thread). Not
  // thread-safe against queries: call it before sharing the space.
  Status build_cells(int cells, int probe, int budget = 0, uint64_t seed = 1, int iterations = 8, int sample = 50'000);
  int cells() const { return static_cast<int>(cell_start_.empty() ? 0 : cell_start_.size() - 1); }
  int probe() const { return probe_; }
  int budget() const { return budget_; }
  int32_t cell_size(int cell) const {
    return cell_start_[static_cast<std::size_t>(cell) + 1] - cell_start_[static_cast<std::size_t>(cell)];
  }

 private:
  // The cells to scan for a query whose similarity to each centroid is `to_centroids`.
  std::vector<int32_t> probed_cells(const Eigen::VectorXf& to_centroids) const;
  // The item's non-zero (dimension, value) pairs, ascending, unit length (empty: no content).
  void encode_entries(const ContentFeatures& f, const std::vector<std::string>& folded,
                      std::vector<std::pair<int32_t, float>>& out) const;
  std::vector<ContentNeighbor> top(const Eigen::VectorXf& v, int k, std::span<const int32_t> exclude,
                                   int32_t self) const;

  ContentOptions options_;
  float mean_[kAudioDims + kYearDims] = {};
  float inv_std_[kAudioDims + kYearDims] = {};  // 0 for a dimension without spread or values
  std::vector<std::string> genres_;
  std::vector<float> idf_;
  std::unordered_map<std::string, int32_t> genre_index_;
  Eigen::SparseMatrix<float, Eigen::RowMajor> vectors_;
  // build_cells(): centroids (dims x cells, a column per cell, unit length; row-major, so an
  // item's entries reach every centroid through contiguous rows), the items of cell c at
  // cell_items_[cell_start_[c] .. cell_start_[c + 1]).
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> centroids_;
  std::vector<int32_t> cell_start_, cell_items_;
  // The vectors again, row r being item cell_items_[r]: a cell's items are read from contiguous
  // memory, not from rows scattered over the whole matrix (a cache miss each).
  Eigen::SparseMatrix<float, Eigen::RowMajor> cell_vectors_;
  int probe_ = 0, budget_ = 0;
};

// Cold start into the collaborative space: a ridge regression W (dims x factors) and intercept b
// with item_factors[i] ~= content[i] W + b, fitted on the warm items (those with enough plays for
// their ALS factors to mean something):
//   W = (Xc^T Xc + lambda I)^-1 Xc^T Yc,  b = mean(Y) - mean(X) W,
// Xc and Yc the warm items' content vectors and factors centred on their means (the intercept is
// not penalised). Closed form in double precision: only the m dimensions some warm item uses take
// part (the others get zero weights), cost O(sum over warm items of nnz^2 + nnz * factors, plus
// m^3 + m^2 * factors), so the genre vocabulary of the warm items sets it (0.1 s for 50,000 warm
// items, m = 1,014, 64 factors).
// A cold item's predicted factors dot a user's factors is its score for that user.
class ColdStartMapping {
 public:
  // Error::invalid if warm_items is empty, an index is out of range (of the space or of
  // item_factors' rows), the space and item_factors disagree on the number of items, lambda is
  // not positive and finite, or a factor is not finite.
  static Result<ColdStartMapping> fit(const ContentSpace& space, const FactorMatrix& item_factors,
                                      std::span<const int32_t> warm_items, float lambda);
  int factors() const { return static_cast<int>(weights_.cols()); }
  // Predicted factors for a content vector of the space the mapping was fitted on (dims
  // entries, e.g. from ContentSpace::embed); Error::invalid for another size.
  Result<Eigen::VectorXf> predict(const Eigen::VectorXf& content) const;
  // Predicted factors of one item of `space` (the space it was fitted on); Error::invalid for
  // an item out of range or a space of another dimension.
  Result<Eigen::VectorXf> predict(const ContentSpace& space, int32_t item) const;
  // Predicted factors of every item of `space` (items x factors).
  Result<FactorMatrix> predict_all(const ContentSpace& space) const;

 private:
  Eigen::MatrixXf weights_;  // dims x factors
  Eigen::VectorXf bias_;     // factors
};

// Items with at least `min_users` users in `data` (the threshold for "warm"), ascending.
std::vector<int32_t> warm_items(const Interactions& data, int32_t min_users);

}  // namespace segue::recommend
