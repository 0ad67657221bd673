#include "audio/fingerprint.h"

#include <chromaprint.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>
#include <unordered_map>

namespace segue::audio {
namespace {

ChromaprintContext* cp(void* p) { return static_cast<ChromaprintContext*>(p); }

// Only item values in this residue class enter the inverted index: the same value selects the
// same items in both copies of a recording, at an eighth of the memory.
bool indexed(uint32_t item) { return (item * 2654435761u) >> 29 == 0; }

struct UnionFind {
  std::vector<std::size_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void join(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

bool durations_match(double a, double b) {
  return std::abs(a - b) <= std::max(5.0, 0.03 * std::max(a, b));
}

}  // namespace

std::string Fingerprint::encode() const {
  std::string out(8 + 4 * items.size(), '\0');
  uint64_t bits = std::bit_cast<uint64_t>(item_seconds);
  for (int b = 0; b < 8; ++b) out[b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  for (std::size_t i = 0; i < items.size(); ++i)
    for (int b = 0; b < 4; ++b) out[8 + 4 * i + b] = static_cast<char>((items[i] >> (8 * b)) & 0xff);
  return out;
}

Result<Fingerprint> Fingerprint::decode(std::string_view bytes) {
  if (bytes.size() < 8 || (bytes.size() - 8) % 4 != 0) return Error::invalid("fingerprint: truncated");
  auto u8 = [&](std::size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])); };
  uint64_t bits = 0;
  for (int b = 0; b < 8; ++b) bits |= u8(b) << (8 * b);
  Fingerprint f;
  f.item_seconds = std::bit_cast<double>(bits);
  if (!std::isfinite(f.item_seconds) || f.item_seconds <= 0 || f.item_seconds > 10)
    return Error::invalid("fingerprint: bad item duration");
  f.items.resize((bytes.size() - 8) / 4);
  for (std::size_t i = 0; i < f.items.size(); ++i) {
    uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= static_cast<uint32_t>(u8(8 + 4 * i + b)) << (8 * b);
    f.items[i] = v;
  }
  return f;
}

Result<std::unique_ptr<Fingerprinter>> Fingerprinter::create(int sample_rate, int channels, double max_seconds) {
  if (sample_rate < 8000 || sample_rate > 384000 || channels < 1 || channels > 2)
    return Error::invalid("fingerprint: unsupported rate or channel count");
  ChromaprintContext* ctx = chromaprint_new(CHROMAPRINT_ALGORITHM_DEFAULT);
  if (!ctx) return Error::internal("fingerprint: Chromaprint could not start");
  if (!chromaprint_start(ctx, sample_rate, channels)) {
    chromaprint_free(ctx);
    return Error::internal("fingerprint: Chromaprint refused the format");
  }
  return std::unique_ptr<Fingerprinter>(new Fingerprinter(ctx, sample_rate, channels, max_seconds));
}

Fingerprinter::Fingerprinter(void* ctx, int sample_rate, int channels, double max_seconds)
    : ctx_(ctx), channels_(channels), frames_left_(static_cast<int64_t>(max_seconds * sample_rate)) {}

Fingerprinter::~Fingerprinter() { chromaprint_free(cp(ctx_)); }

Status Fingerprinter::add(const float* pcm, std::size_t frames) {
  if (frames_left_ <= 0) return {};
  frames = static_cast<std::size_t>(std::min<int64_t>(frames_left_, static_cast<int64_t>(frames)));
  frames_left_ -= static_cast<int64_t>(frames);
  const std::size_t n = frames * static_cast<std::size_t>(channels_);
  buffer_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    float s = std::isfinite(pcm[i]) ? std::clamp(pcm[i], -1.0f, 1.0f) : 0.0f;
    buffer_[i] = static_cast<int16_t>(std::lrint(s * 32767.0f));
  }
  if (!chromaprint_feed(cp(ctx_), buffer_.data(), static_cast<int>(n)))
    return Error::internal("fingerprint: Chromaprint refused samples");
  return {};
}

Result<Fingerprint> Fingerprinter::finish() {
  if (!chromaprint_finish(cp(ctx_))) return Error::internal("fingerprint: Chromaprint could not finish");
  uint32_t* raw = nullptr;
  int size = 0;
  if (!chromaprint_get_raw_fingerprint(cp(ctx_), &raw, &size) || !raw)
    return Error::internal("fingerprint: no fingerprint");
  Fingerprint f;
  f.items.assign(raw, raw + std::max(0, size));
  chromaprint_dealloc(raw);
  f.item_seconds = chromaprint_get_item_duration_ms(cp(ctx_)) / 1000.0;
  if (f.items.size() < 8) return Error::invalid("fingerprint: audio too short to fingerprint");
  bool all_same = std::all_of(f.items.begin(), f.items.end(), [&](uint32_t v) { return v == f.items[0]; });
  if (all_same) return Error::invalid("fingerprint: audio is silent or constant");
  return f;
}

double fingerprint_similarity(const Fingerprint& a, const Fingerprint& b, int max_offset, int min_overlap) {
  const auto na = static_cast<int>(a.items.size());
  const auto nb = static_cast<int>(b.items.size());
  double best = 0;
  for (int off = -max_offset; off <= max_offset; ++off) {
    // a[i] against b[i + off]
    const int from = std::max(0, -off);
    const int to = std::min(na, nb - off);
    const int overlap = to - from;
    if (overlap < min_overlap) continue;
    int64_t diff = 0;
    for (int i = from; i < to; ++i) diff += std::popcount(a.items[i] ^ b.items[i + off]);
    best = std::max(best, 1.0 - static_cast<double>(diff) / (32.0 * overlap));
  }
  return best;
}

std::vector<DuplicateGroup> find_duplicates(const std::vector<FingerprintEntry>& entries, double threshold) {
  std::unordered_map<uint32_t, std::vector<uint32_t>> index;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    std::vector<uint32_t> values;
    for (uint32_t v : entries[e].fingerprint.items)
      if (indexed(v)) values.push_back(v);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (uint32_t v : values) index[v].push_back(static_cast<uint32_t>(e));
  }
  // A value shared by a large part of the library says nothing (silence, DC): skip it.
  const std::size_t common = std::max<std::size_t>(16, entries.size() / 20);
  UnionFind groups(entries.size());
  std::vector<double> weakest(entries.size(), 1.0);
  std::unordered_map<uint32_t, int> shared;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    shared.clear();
    for (uint32_t v : entries[e].fingerprint.items) {
      if (!indexed(v)) continue;
      auto it = index.find(v);
      if (it == index.end() || it->second.size() > common) continue;
      for (uint32_t other : it->second)
        if (other > e) ++shared[other];
    }
    for (const auto& [other, count] : shared) {
      if (count < 3 || !durations_match(entries[e].duration_s, entries[other].duration_s)) continue;
      double sim = fingerprint_similarity(entries[e].fingerprint, entries[other].fingerprint);
      if (sim < threshold) continue;
      std::size_t ra = groups.find(e), rb = groups.find(other);
      double w = std::min({weakest[ra], weakest[rb], sim});
      groups.join(e, other);
      weakest[groups.find(e)] = w;
    }
  }
  std::vector<DuplicateGroup> out;
  std::unordered_map<std::size_t, std::size_t> slot;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    std::size_t root = groups.find(e);
    if (root == e) continue;
    auto [it, fresh] = slot.try_emplace(root, out.size());
    if (fresh) out.push_back({{root}, weakest[root]});
    out[it->second].members.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.members[0] < b.members[0]; });
  return out;
}

}  // namespace segue::audio
