// Implicit feedback as a sparse matrix: rows are users, columns items (tracks or artists), each
// stored value a non-negative weight (how much the user listened, saved, added; already
// recency-weighted by whoever built it). Both orientations are kept in compressed form (CSR by
// user, CSC by item = CSR of the transpose), since ALS sweeps both and the neighbour models
// walk items' users.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace segue::recommend {

struct Triple {
  int32_t user = 0;
  int32_t item = 0;
  float weight = 0;
};

class Interactions {
 public:
  Interactions() = default;
  // Sums repeated (user, item) pairs; drops pairs whose summed weight is not positive.
  // Indices must be in [0, users) and [0, items).
  static Interactions from_triples(int32_t users, int32_t items, std::vector<Triple> triples);

  int32_t users() const { return users_; }
  int32_t items() const { return items_; }
  std::size_t nnz() const { return by_user_.col.size(); }

  // One user's items (ascending) and weights.
  std::span<const int32_t> items_of(int32_t user) const { return by_user_.cols(user); }
  std::span<const float> weights_of(int32_t user) const { return by_user_.vals(user); }
  // One item's users (ascending) and weights.
  std::span<const int32_t> users_of(int32_t item) const { return by_item_.cols(item); }
  std::span<const float> item_weights(int32_t item) const { return by_item_.vals(item); }

  // Number of users per item (the popularity the neighbour models and the baseline use).
  std::vector<int32_t> item_degrees() const;

 private:
  struct Csr {
    std::vector<int64_t> ptr;  // rows + 1
    std::vector<int32_t> col;
    std::vector<float> val;
    std::span<const int32_t> cols(int32_t r) const {
      return {col.data() + ptr[static_cast<std::size_t>(r)], static_cast<std::size_t>(ptr[r + 1] - ptr[r])};
    }
    std::span<const float> vals(int32_t r) const {
      return {val.data() + ptr[static_cast<std::size_t>(r)], static_cast<std::size_t>(ptr[r + 1] - ptr[r])};
    }
  };
  static Csr build(int32_t rows, std::vector<Triple>& t, bool by_user);
  int32_t users_ = 0, items_ = 0;
  Csr by_user_, by_item_;
};

}  // namespace segue::recommend
