#include "recommend/content.h"

#include <Eigen/Cholesky>
#include <Eigen/SparseCore>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <utility>

namespace segue::recommend {
namespace {

constexpr int kAudio = ContentSpace::kAudioDims;
constexpr int kYearStat = kAudio;  // index of the year in mean_ / inv_std_

std::string item_name(int32_t index) {
  return index < 0 ? std::string("the item") : "item " + std::to_string(index);
}

// Checks one item's values; the first problem found, naming the item and the field.
std::optional<Error> validate(const ContentFeatures& f, int32_t index) {
  if (f.year && (*f.year < 1 || *f.year > 9999))
    return Error::invalid(item_name(index) + ": year " + std::to_string(*f.year) + " is outside 1..9999");
  if (!f.audio) return std::nullopt;
  const AudioFeatures& a = *f.audio;
  const std::pair<const char*, double> values[] = {
      {"tempo", a.tempo},
      {"loudness", a.loudness},
      {"energy", a.energy},
      {"danceability", a.danceability},
      {"valence", a.valence},
      {"acousticness", a.acousticness},
      {"instrumentalness", a.instrumentalness},
      {"speechiness", a.speechiness},
      {"liveness", a.liveness},
  };
  for (const auto& [name, v] : values)
    if (!std::isfinite(v)) return Error::invalid(item_name(index) + ": " + name + " is not a finite number");
  if (a.tempo < 0) return Error::invalid(item_name(index) + ": tempo is negative");
  if (a.key < -1 || a.key > 11) return Error::invalid(item_name(index) + ": key " + std::to_string(a.key) + " is outside -1..11");
  if (a.mode < -1 || a.mode > 1) return Error::invalid(item_name(index) + ": mode " + std::to_string(a.mode) + " is outside -1..1");
  if (a.time_signature < 1 || a.time_signature > 12)
    return Error::invalid(item_name(index) + ": time signature " + std::to_string(a.time_signature) + " is outside 1..12");
  return std::nullopt;
}

// The raw (unscaled) audio values; NaN for "unknown" (only the tempo can be).
void raw_audio(const AudioFeatures& a, double out[kAudio]) {
  out[0] = a.tempo > 0 ? std::log2(a.tempo) : std::nan("");
  out[1] = a.loudness;
  out[2] = a.energy;
  out[3] = a.danceability;
  out[4] = a.valence;
  out[5] = a.acousticness;
  out[6] = a.instrumentalness;
  out[7] = a.speechiness;
  out[8] = a.liveness;
  out[9] = a.time_signature;
}

// Distinct non-empty folded genres of an item.
std::vector<std::string> folded_genres(const std::vector<std::string>& genres) {
  std::vector<std::string> out;
  out.reserve(genres.size());
  for (const auto& g : genres) {
    auto f = fold_genre(g);
    if (!f.empty()) out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Running mean and variance (Welford), in double.
struct Stat {
  int64_t n = 0;
  double mean = 0, m2 = 0;
  void add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  double inv_std() const {
    if (n < 2) return 0;
    const double sd = std::sqrt(m2 / static_cast<double>(n));
    return sd > 1e-9 * std::max(1.0, std::abs(mean)) ? 1.0 / sd : 0.0;
  }
};

using Entries = std::vector<std::pair<int32_t, float>>;

}  // namespace

std::string fold_genre(std::string_view genre) {
  std::string out;
  out.reserve(genre.size());
  for (char ch : genre) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) out.push_back(ch);
    else if (c == '&') out += "and";
  }
  // "&" alone is not a genre.
  if (out == "and" && genre.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string_view::npos)
    out.clear();
  return out;
}

Result<ContentSpace> ContentSpace::build(std::span<const ContentFeatures> items, const ContentOptions& options) {
  const float weights[] = {options.audio_weight, options.key_weight, options.year_weight, options.genre_weight};
  bool any = false;
  for (float w : weights) {
    if (!std::isfinite(w) || w < 0) return Error::invalid("content block weights must be finite and not negative");
    any = any || w > 0;
  }
  if (!any) return Error::invalid("content block weights are all zero");
  if (items.size() > static_cast<std::size_t>(INT32_MAX)) return Error::invalid("too many items");
  const auto n = static_cast<int32_t>(items.size());
  for (int32_t i = 0; i < n; ++i)
    if (auto e = validate(items[static_cast<std::size_t>(i)], i)) return std::move(*e);

  ContentSpace s;
  s.options_ = options;

  // Means and deviations over the items that have each value.
  Stat stats[kAudio + 1];
  double raw[kAudio];
  for (const auto& f : items) {
    if (f.audio) {
      raw_audio(*f.audio, raw);
      for (int d = 0; d < kAudio; ++d)
        if (!std::isnan(raw[d])) stats[d].add(raw[d]);
    }
    if (f.year) stats[kYearStat].add(*f.year);
  }
  for (int d = 0; d <= kAudio; ++d) {
    s.mean_[d] = static_cast<float>(stats[d].mean);
    s.inv_std_[d] = static_cast<float>(stats[d].inv_std());
  }

  // Genre vocabulary: folded, document frequency, IDF.
  std::vector<std::vector<std::string>> folded(items.size());
  std::unordered_map<std::string, int32_t> df;
  for (std::size_t i = 0; i < items.size(); ++i) {
    folded[i] = folded_genres(items[i].genres);
    for (const auto& g : folded[i]) ++df[g];
  }
  const int min_items = std::max(1, options.min_genre_items);
  for (const auto& [g, count] : df)
    if (count >= min_items) s.genres_.push_back(g);
  std::sort(s.genres_.begin(), s.genres_.end());
  s.idf_.reserve(s.genres_.size());
  for (std::size_t j = 0; j < s.genres_.size(); ++j) {
    s.genre_index_.emplace(s.genres_[j], static_cast<int32_t>(j));
    s.idf_.push_back(static_cast<float>(std::log((1.0 + n) / (1.0 + df[s.genres_[j]])) + 1.0));
  }

  // Vectors.
  const auto dims = kGenreOffset + static_cast<int32_t>(s.genres_.size());
  s.vectors_.resize(n, dims);
  std::vector<Eigen::Triplet<float>> triplets;
  triplets.reserve(static_cast<std::size_t>(n) * (kGenreOffset + 4));
  Entries e;
  for (int32_t i = 0; i < n; ++i) {
    s.encode_entries(items[static_cast<std::size_t>(i)], folded[static_cast<std::size_t>(i)], e);
    for (const auto& [d, v] : e) triplets.emplace_back(i, d, v);
  }
  s.vectors_.setFromTriplets(triplets.begin(), triplets.end());
  s.vectors_.makeCompressed();
  return s;
}

void ContentSpace::encode_entries(const ContentFeatures& f, const std::vector<std::string>& folded,
                                  std::vector<std::pair<int32_t, float>>& out) const {
  out.clear();
  if (f.audio) {
    double raw[kAudio];
    raw_audio(*f.audio, raw);
    const float scale = options_.audio_weight / std::sqrt(static_cast<float>(kAudio));
    for (int d = 0; d < kAudio; ++d) {
      if (std::isnan(raw[d])) continue;
      const float z = static_cast<float>(raw[d] - mean_[d]) * inv_std_[d];
      if (z != 0) out.emplace_back(d, scale * z);
    }
    const auto& a = *f.audio;
    if (a.key >= 0 && options_.key_weight > 0) {
      // Minor keys at their relative major (three semitones up), then steps of a fifth (7 semitones).
      const int major = a.mode == 0 ? (a.key + 3) % 12 : a.key;
      const int fifths = (major * 7) % 12;
      const double angle = 2 * std::numbers::pi * fifths / 12.0;
      const float r = std::sqrt(0.8f) * options_.key_weight;
      out.emplace_back(kAudio, r * static_cast<float>(std::cos(angle)));
      out.emplace_back(kAudio + 1, r * static_cast<float>(std::sin(angle)));
      if (a.mode >= 0) out.emplace_back(kAudio + 2, (a.mode == 1 ? 1.0f : -1.0f) * std::sqrt(0.2f) * options_.key_weight);
    }
  }
  if (f.year) {
    const float z = static_cast<float>(*f.year - mean_[kYearStat]) * inv_std_[kYearStat];
    if (z != 0) out.emplace_back(kAudio + kKeyDims, options_.year_weight * z);
  }
  const std::size_t genre_start = out.size();
  double gnorm = 0;
  for (const auto& g : folded) {
    auto it = genre_index_.find(g);
    if (it == genre_index_.end()) continue;
    const float w = idf_[static_cast<std::size_t>(it->second)];
    out.emplace_back(kGenreOffset + it->second, w);
    gnorm += static_cast<double>(w) * w;
  }
  if (gnorm > 0) {
    const auto scale = static_cast<float>(options_.genre_weight / std::sqrt(gnorm));
    for (std::size_t k = genre_start; k < out.size(); ++k) out[k].second *= scale;
  }
  double norm = 0;
  for (const auto& [d, v] : out) norm += static_cast<double>(v) * v;
  if (norm <= 0) {
    out.clear();
    return;
  }
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  std::erase_if(out, [](const auto& p) { return p.second == 0; });
  for (auto& p : out) p.second *= inv;
  std::sort(out.begin(), out.end());
}

std::optional<float> ContentSpace::idf(std::string_view genre) const {
  auto it = genre_index_.find(fold_genre(genre));
  if (it == genre_index_.end()) return std::nullopt;
  return idf_[static_cast<std::size_t>(it->second)];
}

Eigen::VectorXf ContentSpace::vector(int32_t item) const {
  Eigen::VectorXf v = Eigen::VectorXf::Zero(dims());
  if (item < 0 || item >= items()) return v;
  for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(vectors_, item); it; ++it) v[it.col()] = it.value();
  return v;
}

Result<Eigen::VectorXf> ContentSpace::embed(const ContentFeatures& item) const {
  if (auto e = validate(item, -1)) return std::move(*e);
  Entries e;
  encode_entries(item, folded_genres(item.genres), e);
  Eigen::VectorXf v = Eigen::VectorXf::Zero(dims());
  for (const auto& [d, x] : e) v[d] = x;
  return v;
}

Result<std::vector<ContentNeighbor>> ContentSpace::nearest(int32_t item, int k, std::span<const int32_t> exclude) const {
  if (item < 0 || item >= items())
    return Error::invalid("item " + std::to_string(item) + " is not in the content space (" + std::to_string(items()) + " items)");
  if (!has_content(item)) return std::vector<ContentNeighbor>{};
  return top(vector(item), k, exclude, item);
}

Result<std::vector<ContentNeighbor>> ContentSpace::nearest_to(const Eigen::VectorXf& v, int k,
                                                              std::span<const int32_t> exclude) const {
  if (v.size() != dims())
    return Error::invalid("the vector has " + std::to_string(v.size()) + " entries, the content space " +
                          std::to_string(dims()));
  if (!v.allFinite()) return Error::invalid("the vector has a non-finite entry");
  return top(v, k, exclude, -1);
}

std::vector<ContentNeighbor> ContentSpace::top(const Eigen::VectorXf& v, int k, std::span<const int32_t> exclude,
                                               int32_t self) const {
  std::vector<ContentNeighbor> out;
  if (k <= 0 || items() == 0) return out;
  std::vector<char> skip;
  if (!exclude.empty()) {
    skip.assign(static_cast<std::size_t>(items()), 0);
    for (int32_t x : exclude)
      if (x >= 0 && x < items()) skip[static_cast<std::size_t>(x)] = 1;
  }
  const auto better = [](const ContentNeighbor& a, const ContentNeighbor& b) {
    return a.similarity > b.similarity || (a.similarity == b.similarity && a.item < b.item);
  };
  // A heap of the best k so far, the worst of them on top.
  out.reserve(static_cast<std::size_t>(k) + 1);
  const auto* outer = vectors_.outerIndexPtr();
  const auto offer = [&](int32_t i, float similarity) {
    if (i == self || outer[i + 1] == outer[i] || (!skip.empty() && skip[static_cast<std::size_t>(i)])) return;
    const ContentNeighbor c{i, similarity};
    if (out.size() < static_cast<std::size_t>(k)) {
      out.push_back(c);
      std::push_heap(out.begin(), out.end(), better);
    } else if (better(c, out.front())) {
      std::pop_heap(out.begin(), out.end(), better);
      out.back() = c;
      std::push_heap(out.begin(), out.end(), better);
    }
  };
  if (cells() > 0) {
    // The probed cells only: each item's stored entries against the query.
    const auto* cell_outer = cell_vectors_.outerIndexPtr();
    const auto* inner = cell_vectors_.innerIndexPtr();
    const auto* values = cell_vectors_.valuePtr();
    const Eigen::VectorXf to_centroids = centroids_.transpose() * v;
    int64_t scored = 0;
    int done = 0;
    for (int32_t c : probed_cells(to_centroids)) {
      if (budget_ > 0 && done >= 2 && scored >= budget_) break;
      ++done;
      scored += cell_size(c);
      for (int32_t r = cell_start_[static_cast<std::size_t>(c)]; r < cell_start_[static_cast<std::size_t>(c) + 1]; ++r) {
        float dot = 0;
        for (auto e = cell_outer[r]; e < cell_outer[r + 1]; ++e) dot += values[e] * v[inner[e]];
        offer(cell_items_[static_cast<std::size_t>(r)], dot);
      }
    }
  } else {
    const Eigen::VectorXf scores = vectors_ * v;
    for (int32_t i = 0; i < items(); ++i) offer(i, scores[i]);
  }
  std::sort(out.begin(), out.end(), better);
  return out;
}

std::vector<int32_t> ContentSpace::probed_cells(const Eigen::VectorXf& to_centroids) const {
  std::vector<int32_t> order(static_cast<std::size_t>(to_centroids.size()));
  for (int32_t c = 0; c < static_cast<int32_t>(order.size()); ++c) order[static_cast<std::size_t>(c)] = c;
  const auto n = std::min<std::size_t>(order.size(), static_cast<std::size_t>(probe_));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(), [&](int32_t a, int32_t b) {
    return to_centroids[a] != to_centroids[b] ? to_centroids[a] > to_centroids[b] : a < b;
  });
  order.resize(n);
  return order;
}

Status ContentSpace::build_cells(int cells, int probe, int budget, uint64_t seed, int iterations, int sample) {
  if (cells < 1 || probe < 1) return Error::invalid("cells and probe must be at least 1");
  if (budget < 0) return Error::invalid("the budget must not be negative");
  std::vector<int32_t> with_content;
  for (int32_t i = 0; i < items(); ++i)
    if (has_content(i)) with_content.push_back(i);
  centroids_.resize(0, 0);
  cell_start_.clear();
  cell_items_.clear();
  cell_vectors_.resize(0, 0);
  probe_ = 0;
  if (static_cast<int>(with_content.size()) < cells) return {};
  std::mt19937_64 rng(seed);
  std::vector<int32_t> train = with_content;
  std::shuffle(train.begin(), train.end(), rng);
  if (static_cast<int>(train.size()) > std::max(sample, cells)) train.resize(static_cast<std::size_t>(std::max(sample, cells)));
  const auto* outer = vectors_.outerIndexPtr();
  const auto* inner = vectors_.innerIndexPtr();
  const auto* values = vectors_.valuePtr();
  // Similarity of one item to every centroid: its entries times the centroids' rows.
  Eigen::VectorXf sims(cells);
  const auto nearest_cell = [&](int32_t i) {
    sims.setZero();
    for (auto e = outer[i]; e < outer[i + 1]; ++e) sims.noalias() += values[e] * centroids_.row(inner[e]).transpose();
    Eigen::Index best = 0;
    sims.maxCoeff(&best);
    return static_cast<int32_t>(best);
  };
  using Centroids = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto add_item = [&](Centroids& into, int c, int32_t i) {
    for (auto e = outer[i]; e < outer[i + 1]; ++e) into(inner[e], c) += values[e];
  };
  centroids_ = Centroids::Zero(dims(), cells);
  for (int c = 0; c < cells; ++c) add_item(centroids_, c, train[static_cast<std::size_t>(c)]);
  std::vector<int32_t> assigned(train.size(), 0);
  std::uniform_int_distribution<std::size_t> any(0, train.size() - 1);
  for (int round = 0; round < iterations; ++round) {
    for (std::size_t t = 0; t < train.size(); ++t) assigned[t] = nearest_cell(train[t]);
    Centroids next = Centroids::Zero(dims(), cells);
    std::vector<int> members(static_cast<std::size_t>(cells), 0);
    for (std::size_t t = 0; t < train.size(); ++t) {
      add_item(next, assigned[t], train[t]);
      ++members[static_cast<std::size_t>(assigned[t])];
    }
    for (int c = 0; c < cells; ++c) {
      // An empty cell starts again from a random item.
      if (members[static_cast<std::size_t>(c)] == 0) add_item(next, c, train[any(rng)]);
      const float norm = next.col(c).norm();
      if (norm > 0) next.col(c) /= norm;
    }
    centroids_ = std::move(next);
  }
  // Every item with content to its cell, grouped by cell.
  std::vector<int32_t> cell_of(with_content.size());
  std::vector<int32_t> count(static_cast<std::size_t>(cells) + 1, 0);
  for (std::size_t k = 0; k < with_content.size(); ++k) {
    cell_of[k] = nearest_cell(with_content[k]);
    ++count[static_cast<std::size_t>(cell_of[k]) + 1];
  }
  cell_start_.assign(static_cast<std::size_t>(cells) + 1, 0);
  for (int c = 0; c < cells; ++c) cell_start_[static_cast<std::size_t>(c) + 1] = cell_start_[static_cast<std::size_t>(c)] + count[static_cast<std::size_t>(c) + 1];
  std::vector<int32_t> fill(cell_start_.begin(), cell_start_.end() - 1);
  cell_items_.resize(with_content.size());
  for (std::size_t k = 0; k < with_content.size(); ++k)
    cell_items_[static_cast<std::size_t>(fill[static_cast<std::size_t>(cell_of[k])]++)] = with_content[k];
  cell_vectors_.resize(static_cast<Eigen::Index>(cell_items_.size()), dims());
  std::vector<int> row_sizes(cell_items_.size());
  for (std::size_t r = 0; r < cell_items_.size(); ++r)
    row_sizes[r] = static_cast<int>(outer[cell_items_[r] + 1] - outer[cell_items_[r]]);
  cell_vectors_.reserve(row_sizes);
  for (std::size_t r = 0; r < cell_items_.size(); ++r)
    for (auto e = outer[cell_items_[r]]; e < outer[cell_items_[r] + 1]; ++e)
      cell_vectors_.insert(static_cast<Eigen::Index>(r), inner[e]) = values[e];
  cell_vectors_.makeCompressed();
  probe_ = std::min(probe, cells);
  budget_ = budget;
  return {};
}

// ---- ColdStartMapping ----

Result<ColdStartMapping> ColdStartMapping::fit(const ContentSpace& space, const FactorMatrix& item_factors,
                                               std::span<const int32_t> warm_items, float lambda) {
  if (warm_items.empty()) return Error::invalid("no warm items to fit the cold-start mapping on");
  if (!std::isfinite(lambda) || lambda <= 0) return Error::invalid("lambda must be positive and finite");
  if (item_factors.rows() != space.items())
    return Error::invalid("the content space has " + std::to_string(space.items()) + " items, the factors " +
                          std::to_string(item_factors.rows()));
  if (item_factors.cols() == 0) return Error::invalid("the item factors have no columns");
  const auto f = static_cast<Eigen::Index>(item_factors.cols());
  const auto& X = space.vectors();
  const auto* outer = X.outerIndexPtr();
  const auto* inner = X.innerIndexPtr();
  const auto* value = X.valuePtr();

  // The dimensions some warm item uses, numbered compactly.
  std::vector<int32_t> compact(static_cast<std::size_t>(space.dims()), -1);
  std::vector<int32_t> used;
  for (int32_t i : warm_items) {
    if (i < 0 || i >= space.items()) return Error::invalid("warm item " + std::to_string(i) + " is out of range");
    if (!item_factors.row(i).allFinite()) return Error::invalid("item " + std::to_string(i) + " has a non-finite factor");
    for (auto p = outer[i]; p < outer[i + 1]; ++p) {
      auto& c = compact[static_cast<std::size_t>(inner[p])];
      if (c < 0) {
        c = static_cast<int32_t>(used.size());
        used.push_back(inner[p]);
      }
    }
  }
  const auto m = static_cast<Eigen::Index>(used.size());
  const auto n = static_cast<double>(warm_items.size());

  // Sums for the centred normal equations: X^T X, X^T Y, column sums of X and Y.
  Eigen::MatrixXd xtx = Eigen::MatrixXd::Zero(m, m);
  Eigen::MatrixXd xty = Eigen::MatrixXd::Zero(m, f);
  Eigen::VectorXd xsum = Eigen::VectorXd::Zero(m);
  Eigen::RowVectorXd ysum = Eigen::RowVectorXd::Zero(f);
  for (int32_t i : warm_items) {
    const Eigen::RowVectorXd y = item_factors.row(i).cast<double>();
    ysum += y;
    for (auto p = outer[i]; p < outer[i + 1]; ++p) {
      const auto a = compact[static_cast<std::size_t>(inner[p])];
      const double va = value[p];
      xsum[a] += va;
      xty.row(a) += va * y;
      for (auto q = outer[i]; q < outer[i + 1]; ++q) xtx(a, compact[static_cast<std::size_t>(inner[q])]) += va * value[q];
    }
  }
  const Eigen::VectorXd xmean = xsum / n;
  const Eigen::RowVectorXd ymean = ysum / n;
  xtx -= n * xmean * xmean.transpose();
  xty -= n * xmean * ymean;
  xtx.diagonal().array() += static_cast<double>(lambda);
  const Eigen::MatrixXd w = xtx.ldlt().solve(xty);  // m x f

  ColdStartMapping out;
  out.weights_ = Eigen::MatrixXf::Zero(space.dims(), f);
  for (Eigen::Index a = 0; a < m; ++a) out.weights_.row(used[static_cast<std::size_t>(a)]) = w.row(a).cast<float>();
  out.bias_ = (ymean - xmean.transpose() * w).transpose().cast<float>();
  if (!out.weights_.allFinite() || !out.bias_.allFinite())
    return Error::internal("the cold-start regression has no finite solution");
  return out;
}

Result<Eigen::VectorXf> ColdStartMapping::predict(const Eigen::VectorXf& content) const {
  if (content.size() != weights_.rows())
    return Error::invalid("the content vector has " + std::to_string(content.size()) + " entries, the mapping expects " +
                          std::to_string(weights_.rows()));
  return Eigen::VectorXf(weights_.transpose() * content + bias_);
}

Result<Eigen::VectorXf> ColdStartMapping::predict(const ContentSpace& space, int32_t item) const {
  if (space.dims() != weights_.rows()) return Error::invalid("the mapping was fitted on another content space");
  if (item < 0 || item >= space.items()) return Error::invalid("item " + std::to_string(item) + " is out of range");
  Eigen::VectorXf out = bias_;
  const auto& X = space.vectors();
  for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(X, item); it; ++it)
    out += it.value() * weights_.row(it.col()).transpose();
  return out;
}

Result<FactorMatrix> ColdStartMapping::predict_all(const ContentSpace& space) const {
  if (space.dims() != weights_.rows()) return Error::invalid("the mapping was fitted on another content space");
  FactorMatrix out = space.vectors() * weights_;
  out.rowwise() += bias_.transpose();
  return out;
}

std::vector<int32_t> warm_items(const Interactions& data, int32_t min_users) {
  std::vector<int32_t> out;
  const auto degrees = data.item_degrees();
  for (std::size_t i = 0; i < degrees.size(); ++i)
    if (degrees[i] >= min_users) out.push_back(static_cast<int32_t>(i));
  return out;
}

}  // namespace segue::recommend
