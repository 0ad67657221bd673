#include "search/lexicon.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
#include <unordered_map>

namespace segue::search {
namespace {
constexpr std::size_t kMaxLen = 64;
constexpr std::size_t kMemoLimit = 40;      // matches remembered per fuzzy lookup
constexpr std::size_t kMemoEntries = 4096;  // lookups remembered (all lexicons, all threads)
}

Lexicon::Lexicon(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.word < b.word; });
  offsets_.reserve(entries.size() + 1);
  df_.reserve(entries.size());
  offsets_.push_back(0);
  std::string_view last;
  bool have_last = false;
  for (auto& e : entries) {
    if (e.word.empty()) continue;
    if (e.word.size() > kMaxLen) e.word.resize(kMaxLen);
    if (have_last && e.word == last) {
      df_.back() += e.df;
      continue;
    }
    chars_ += e.word;
    offsets_.push_back(static_cast<uint32_t>(chars_.size()));
    df_.push_back(e.df);
    last = e.word;  // valid until the next iteration replaces e (entries is not moved from)
    have_last = true;
  }
  static std::atomic<uint64_t> serials{1};
  serial_ = serials.fetch_add(1);
  const std::size_t n = size();
  for (auto& v : block_end_) v.resize(n);
  for (std::size_t i = n; i-- > 0;) {
    std::string_view w = at(i);
    std::size_t lcp = 0;  // with the next word
    if (i + 1 < n) {
      std::string_view x = at(i + 1);
      while (lcp < kJumpDepths && lcp < w.size() && lcp < x.size() && w[lcp] == x[lcp]) ++lcp;
    }
    for (std::size_t d = 1; d <= kJumpDepths; ++d)
      block_end_[d - 1][i] = (lcp >= d) ? block_end_[d - 1][i + 1] : static_cast<uint32_t>(i + 1);
  }
}

std::size_t Lexicon::bytes() const {
  std::size_t n = chars_.capacity() + (offsets_.capacity() + df_.capacity()) * sizeof(uint32_t);
  for (const auto& v : block_end_) n += v.capacity() * sizeof(uint32_t);
  return n;
}

std::size_t Lexicon::lower_bound(std::string_view w) const {
  std::size_t lo = 0, hi = size();
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (at(mid) < w) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

std::size_t Lexicon::end_of_prefix(std::size_t from, std::string_view prefix) const {
  // Galloping from `from`: the blocks a fuzzy walk skips are short.
  std::size_t lo = from, hi = size(), step = 1;
  while (lo + step < hi && at(lo + step).substr(0, prefix.size()) == prefix) {
    lo += step;
    step *= 2;
  }
  hi = std::min(hi, lo + step);
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (at(mid).substr(0, prefix.size()) == prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

uint32_t Lexicon::df(std::string_view word) const {
  std::size_t i = lower_bound(word);
  return (i < size() && at(i) == word) ? df_[i] : 0;
}

uint32_t Lexicon::id(std::string_view word) const {
  std::size_t i = lower_bound(word);
  return static_cast<uint32_t>((i < size() && at(i) == word) ? i : size());
}

std::pair<uint32_t, uint32_t> Lexicon::prefix_range(std::string_view prefix) const {
  std::size_t lo = lower_bound(prefix);
  return {static_cast<uint32_t>(lo), static_cast<uint32_t>(end_of_prefix(lo, prefix))};
}

std::vector<Lexicon::Match> Lexicon::complete(std::string_view prefix, std::size_t limit) const {
  std::vector<Match> out;
  if (limit == 0) return out;
  std::size_t lo = lower_bound(prefix);
  std::size_t hi = end_of_prefix(lo, prefix);
  // Keep the `limit` most frequent in a small min-heap.
  auto worse = [](const Match& a, const Match& b) {
    return a.df != b.df ? a.df > b.df : a.word < b.word;
  };
  for (std::size_t i = lo; i < hi; ++i) {
    if (out.size() == limit && df_[i] <= out.front().df) continue;
    out.push_back(Match{at(i), df_[i], 0, static_cast<uint32_t>(i)});
    std::push_heap(out.begin(), out.end(), worse);
    if (out.size() > limit) {
      std::pop_heap(out.begin(), out.end(), worse);
      out.pop_back();
    }
  }
  std::sort_heap(out.begin(), out.end(), worse);
  return out;
}

std::vector<Lexicon::Match> Lexicon::fuzzy(std::string_view q, int k, bool as_prefix,
                                           std::size_t limit) const {
  std::vector<Match> out;
  if (k <= 0 || q.empty() || limit == 0 || size() == 0) return out;
  if (q.size() > kMaxLen) q = q.substr(0, kMaxLen);
  auto emit = [&](const std::vector<Cand>& cands) {
    for (std::size_t i = 0; i < cands.size() && out.size() < limit; ++i) {
      const Cand& c = cands[i];
      out.push_back(Match{at(c.index), df_[c.index], c.distance, c.index});
    }
  };
  if (limit > kMemoLimit) {
    emit(fuzzy_walk(q, k, as_prefix, limit));
    return out;
  }
  // The best kMemoLimit are remembered, for every thread (a user's keystrokes land on any
  // worker); a smaller limit takes their head (same order). The walk runs outside the lock.
  std::string key = std::to_string(serial_);
  key += '\0';
  key += q;
  key += '\0';
  key += static_cast<char>('0' + k);
  key += as_prefix ? 'p' : 'w';
  static std::mutex memo_mu;
  static std::unordered_map<std::string, std::shared_ptr<const std::vector<Cand>>> memo;
  std::shared_ptr<const std::vector<Cand>> found;
  {
    std::lock_guard lock(memo_mu);
    auto it = memo.find(key);
    if (it != memo.end()) found = it->second;
  }
  if (!found) {
    found = std::make_shared<const std::vector<Cand>>(fuzzy_walk(q, k, as_prefix, kMemoLimit));
    std::lock_guard lock(memo_mu);
    if (memo.size() >= kMemoEntries) memo.clear();  // also drops the entries of retired lexicons
    memo.emplace(std::move(key), found);
  }
  emit(*found);
  return out;
}

std::vector<Lexicon::Cand> Lexicon::fuzzy_walk(std::string_view q, int k, bool as_prefix,
                                               std::size_t limit) const {
  const std::size_t m = q.size();
  const std::size_t stride = m + 1;
  // Only the band |d - j| <= k of the table is computed: a cell outside it is more than k
  // (the distance is at least the length difference) and stays at kFar.
  constexpr int kFar = 1 << 20;
  std::vector<int> rows((kMaxLen + 1) * stride, kFar);
  std::vector<int> path_min(kMaxLen + 1);
  for (std::size_t j = 0; j <= m; ++j) rows[j] = static_cast<int>(j);
  path_min[0] = static_cast<int>(m);

  std::vector<Cand> cands;
  auto add_range = [&](std::size_t lo, std::size_t hi, int dist) {
    for (std::size_t i = lo; i < hi; ++i) cands.push_back({static_cast<uint32_t>(i), dist});
  };

  std::string_view prev;
  std::size_t valid = 0;  // rows[0..valid] hold the table for prev's first `valid` bytes
  const std::size_t n = size();
  std::size_t i = 0;
  // Two edits: the first letter must be right (a walk over every two-letter start of a large
  // vocabulary costs milliseconds; a wrong first letter is the rarest typo).
  std::size_t stop = n;
  if (k >= 2) {
    auto range = prefix_range(q.substr(0, 1));
    i = range.first;
    stop = range.second;
  }
  while (i < stop) {
    std::string_view w = at(i);
    std::size_t l = 0;
    std::size_t lim = std::min({w.size(), prev.size(), valid});
    while (l < lim && w[l] == prev[l]) ++l;
    bool jumped = false;
    for (std::size_t d = l + 1; d <= w.size(); ++d) {
      int* row = &rows[d * stride];
      const int* up = &rows[(d - 1) * stride];
      const int* up2 = d >= 2 ? &rows[(d - 2) * stride] : nullptr;
      row[0] = static_cast<int>(d);
      int row_min = row[0];
      const char c = w[d - 1];
      const std::size_t j_end = std::min(m, d + static_cast<std::size_t>(k));
      for (std::size_t j = d > static_cast<std::size_t>(k) ? d - static_cast<std::size_t>(k) : 1; j <= j_end; ++j) {
        int cost = (c == q[j - 1]) ? 0 : 1;
        int v = std::min({up[j] + 1, row[j - 1] + 1, up[j - 1] + cost});
        if (up2 && j >= 2 && c == q[j - 2] && w[d - 2] == q[j - 1]) v = std::min(v, up2[j - 2] + 1);
        row[j] = v;
        row_min = std::min(row_min, v);
      }
      path_min[d] = as_prefix ? std::min(path_min[d - 1], row[m]) : row[m];
      if (row_min > k) {
        std::size_t end = d <= kJumpDepths ? block_end_[d - 1][i] : end_of_prefix(i, w.substr(0, d));
        if (as_prefix && path_min[d] <= k) add_range(i, end, path_min[d]);
        i = end;
        prev = w;
        valid = d - 1;
        jumped = true;
        break;
      }
    }
    if (jumped) continue;
    int dist = path_min[w.size()];
    if (w.size() == 0) dist = static_cast<int>(m);
    if (dist <= k) cands.push_back({static_cast<uint32_t>(i), dist});
    prev = w;
    valid = w.size();
    ++i;
  }

  // Drop exact matches (distance 0): they are the word itself or its plain completions.
  std::erase_if(cands, [](const Cand& c) { return c.distance == 0; });
  auto better = [&](const Cand& a, const Cand& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    if (df_[a.index] != df_[b.index]) return df_[a.index] > df_[b.index];
    return a.index < b.index;
  };
  if (cands.size() > limit) {
    std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(limit), cands.end(),
                      better);
    cands.resize(limit);
  } else {
    std::sort(cands.begin(), cands.end(), better);
  }
  return cands;
}

// ---- LexiconView ----

namespace {

// Merges matches of two lexicons: a word in both counts once with its document frequencies
// added; `better` orders the result, of which the first `limit` are kept.
template <typename Better>
std::vector<Lexicon::Match> merge_matches(std::vector<Lexicon::Match> a, const std::vector<Lexicon::Match>& b,
                                          std::size_t limit, Better better) {
  for (const auto& m : b) {
    auto same = std::find_if(a.begin(), a.end(), [&](const Lexicon::Match& x) { return x.word == m.word; });
    if (same == a.end()) {
      a.push_back(m);
      a.back().id = UINT32_MAX;  // not an id of the shared lexicon
    } else {
      same->df += m.df;
      same->distance = std::min(same->distance, m.distance);
    }
  }
  std::stable_sort(a.begin(), a.end(), better);
  if (a.size() > limit) a.resize(limit);
  return a;
}

}  // namespace

uint32_t LexiconView::df(std::string_view word) const {
  return shared_.df(word) + (own_ ? own_->df(word) : 0);
}

bool LexiconView::completes(std::string_view prefix) const {
  auto r = shared_.prefix_range(prefix);
  if (r.second > r.first) return true;
  if (!own_) return false;
  r = own_->prefix_range(prefix);
  return r.second > r.first;
}

std::vector<Lexicon::Match> LexiconView::complete(std::string_view prefix, std::size_t limit) const {
  auto out = shared_.complete(prefix, limit);
  if (!own_) return out;
  return merge_matches(std::move(out), own_->complete(prefix, limit), limit,
                       [](const Lexicon::Match& x, const Lexicon::Match& y) {
                         return x.df != y.df ? x.df > y.df : x.word < y.word;
                       });
}

std::vector<Lexicon::Match> LexiconView::fuzzy(std::string_view word, int max_edits, bool as_prefix,
                                               std::size_t limit) const {
  auto out = shared_.fuzzy(word, max_edits, as_prefix, limit);
  if (!own_) return out;
  return merge_matches(std::move(out), own_->fuzzy(word, max_edits, as_prefix, limit), limit,
                       [](const Lexicon::Match& x, const Lexicon::Match& y) {
                         if (x.distance != y.distance) return x.distance < y.distance;
                         return x.df != y.df ? x.df > y.df : x.word < y.word;
                       });
}

}  // namespace segue::search
