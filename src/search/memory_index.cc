#include "search/memory_index.h"

#include <algorithm>
#include <map>
#include <queue>
#include <tuple>
#include <unordered_map>

#include "search/text.h"

namespace segue::search {
namespace {

constexpr std::size_t kScanLimit = 300000;   // documents walked at most by the scan path
constexpr uint32_t kWideRange = 512;         // completions beyond which a prefix keeps the union of its lists
constexpr std::size_t kMaxCursorLists = 16;  // a word of more posting lists is checked per document
constexpr uint64_t kRareWord = 20;
constexpr uint64_t kCommonWord = 200;  // relaxed pass: at least this many documents, a word is meant as typed           // below this many postings a typed word may be a typo
constexpr double kFieldWeight[3] = {1.0, 0.67, 0.33};
constexpr double kRelaxedOffset = 40.0;  // relaxed-pass hits rank below every strict hit
constexpr double kDropPenalty = 10.0;    // times the share of the typed text left out
constexpr double kEditPenalty = 1.0;     // relaxed pass: per edit between a typed word and the word it matched
constexpr std::size_t kMaxDropWords = 16;  // longer queries are not tried with words left out
constexpr std::size_t kRelaxedWork = 12000;  // seeks and word checks of one kind's relaxed pass
constexpr std::size_t kMaxJoinedPart = 12;   // adjacent name words are joined when both are this short

void append_spaced(const std::vector<std::string>& words, std::string* out) {
  for (const auto& w : words) {
    if (!out->empty()) *out += ' ';
    *out += w;
  }
}

// The album and artist strings keep their fields apart, for phrases (a phrase's words must be
// consecutive within one field, layout::has_phrases): the fields' words, fields separated by
// two spaces, then the pieces of them all after three spaces. each_word skips the empty words
// between; docs/formats/search-index.md.
void append_fields(const std::vector<const Words*>& fields, std::string* out) {
  std::string pieces;
  for (const Words* w : fields) {
    if (w->words.empty()) continue;  // no words, no pieces (split_words)
    if (!out->empty()) *out += ' ';
    append_spaced(w->words, out);
    append_spaced(w->pieces, &pieces);
  }
  if (!pieces.empty()) *out += "   " + pieces;
}

std::string_view key_at(const std::string& chars, const std::vector<uint32_t>& off, std::size_t i) {
  return std::string_view(chars).substr(off[i], off[i + 1] - off[i]);
}

// The words of a spaced list.
std::vector<std::string_view> words_of(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// name_key() from the folded words (text.h): joined, a leading "the" dropped when others follow.
std::string key_of(std::string_view spaced) {
  auto w = words_of(spaced);
  std::size_t first = (w.size() > 1 && w[0] == "the") ? 1 : 0;
  std::string key;
  for (std::size_t i = first; i < w.size(); ++i) key += w[i];
  if (key.size() > 200) key.resize(200);
  return key;
}

}  // namespace

SplitDoc split_document(const Document& d) {
  SplitDoc s;
  s.name = split_words(d.name);
  std::string_view base = base_name(d.name);
  if (base.size() != d.name.size()) s.base = split_words(base);
  else s.base.words = s.name.words;
  if (d.kind == Kind::kTrack) s.album = split_words(d.album);
  for (const auto& a : d.artists) s.artists.push_back(split_words(a));
  if (!d.description.empty()) s.description = split_words(d.description);
  return s;
}

void FoldedDoc::derive() {
  joined.clear();
  auto w = words_of(name);
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i].size() > kMaxJoinedPart || w[i + 1].size() > kMaxJoinedPart) continue;
    if (!joined.empty()) joined += ' ';
    joined += w[i];
    joined += w[i + 1];
  }
}

std::string FoldedDoc::name_key() const { return key_of(name); }
std::string FoldedDoc::base_key() const { return key_of(base.empty() ? name : base); }
std::size_t FoldedDoc::name_words() const {
  auto w = words_of(base.empty() ? name : base);
  return w.size() - ((w.size() > 1 && w[0] == "the") ? 1 : 0);
}

FoldedDoc fold_document(const Document& d, const SplitDoc& s) {
  FoldedDoc f;
  f.kind = d.kind;
  f.id = d.id;
  append_spaced(s.name.words, &f.name);
  append_spaced(s.name.pieces, &f.pieces);
  if (s.base.words != s.name.words) append_spaced(s.base.words, &f.base);
  append_fields({&s.album}, &f.album);
  // Playlists: the owner's name (in artists) and the description share the third field,
  // weighted below the name and the album.
  std::vector<const Words*> people;
  for (const auto& a : s.artists) people.push_back(&a);
  people.push_back(&s.description);
  append_fields(people, &f.artist);
  f.popularity = std::clamp(d.popularity, 0, 100);
  f.is_public = d.is_public;
  f.members = d.members;
  f.signature = d.signature();
  f.derive();
  return f;
}

FoldedDoc fold_document(const Document& d) { return fold_document(d, split_document(d)); }

// One document to build from: a folded document, or document `old` of the previous index
// (its words are read from that index's arrays and lexicon, which outlive the build).
struct KindIndex::Source {
  const FoldedDoc* f = nullptr;
  uint32_t old = 0;
  uint32_t docid = 0;
  std::string_view id, name_key, base_key;
  uint8_t popularity = 50, name_words = 0;
};

std::shared_ptr<const KindIndex> KindIndex::build(Kind kind, const std::vector<const FoldedDoc*>& input) {
  std::vector<std::string> keys;
  keys.reserve(input.size() * 2);  // never reallocated: the sources view these strings
  std::vector<Source> docs;
  docs.reserve(input.size());
  for (const FoldedDoc* f : input) {
    Source s;
    s.f = f;
    s.id = f->id;
    s.docid = f->docid;
    keys.push_back(f->name_key());
    s.name_key = keys.back();
    keys.push_back(f->base_key());
    s.base_key = keys.back();
    s.popularity = static_cast<uint8_t>(std::clamp(f->popularity, 0, 100));
    s.name_words = static_cast<uint8_t>(std::min<std::size_t>(f->name_words(), 255));
    docs.push_back(s);
  }
  return build_from(kind, docs, nullptr);
}

std::shared_ptr<const KindIndex> KindIndex::rebuild(Kind kind, const KindIndex* old, const Changes& changes) {
  std::vector<const FoldedDoc*> added;
  for (const auto& [id, f] : changes)
    if (f) added.push_back(&*f);
  std::vector<std::string> keys;
  keys.reserve(added.size() * 2);
  std::vector<Source> docs;
  docs.reserve((old ? old->size() : 0) + added.size());
  if (old) {
    // Each old document's name and base keys, from the sorted key entries.
    const uint32_t none = UINT32_MAX;
    std::vector<uint32_t> name_entry(old->size(), none), base_entry(old->size(), none);
    for (uint32_t i = 0; i < old->key_doc_.size(); ++i)
      (old->key_full_[i] ? name_entry : base_entry)[old->key_doc_[i]] = i;
    for (uint32_t d = 0; d < old->size(); ++d) {
      Source s;
      s.id = old->id(d);
      if (changes.find(s.id) != changes.end()) continue;  // replaced or removed
      s.old = d;
      s.docid = old->docid_[d];
      if (name_entry[d] != none) s.name_key = key_at(old->key_chars_, old->key_off_, name_entry[d]);
      s.base_key = base_entry[d] != none ? key_at(old->key_chars_, old->key_off_, base_entry[d]) : s.name_key;
      s.popularity = old->popularity_[d];
      s.name_words = old->name_words_[d];
      docs.push_back(s);
    }
  }
  for (const FoldedDoc* f : added) {
    Source s;
    s.f = f;
    s.id = f->id;
    s.docid = f->docid;
    keys.push_back(f->name_key());
    s.name_key = keys.back();
    keys.push_back(f->base_key());
    s.base_key = keys.back();
    s.popularity = static_cast<uint8_t>(std::clamp(f->popularity, 0, 100));
    s.name_words = static_cast<uint8_t>(std::min<std::size_t>(f->name_words(), 255));
    docs.push_back(s);
  }
  return build_from(kind, docs, old);
}

std::shared_ptr<const KindIndex> KindIndex::build_from(Kind kind, std::vector<Source>& docs, const KindIndex* old) {
  auto ix = std::make_shared<KindIndex>();
  ix->kind_ = kind;
  std::sort(docs.begin(), docs.end(), [](const Source& a, const Source& b) {
    if (a.popularity != b.popularity) return a.popularity > b.popularity;
    if (a.name_key.size() != b.name_key.size()) return a.name_key.size() < b.name_key.size();
    return a.id < b.id;
  });
  // f(word, field bits) for each word of a source document.
  auto each_word = [old](const Source& s, auto&& f) {
    if (s.f) {
      s.f->each_word(f);
      return;
    }
    for (uint32_t i = old->word_off_[s.old]; i < old->word_off_[s.old + 1]; ++i)
      f(old->lex_.word(old->words_[i]), old->fields_[i]);
  };
  // Vocabulary with document frequencies.
  std::unordered_map<std::string_view, uint32_t> df;
  df.reserve(old ? old->lex_.size() + 1024 : docs.size() * 2);
  std::vector<std::string_view> seen;
  for (const Source& d : docs) {
    seen.clear();
    each_word(d, [&](std::string_view w, uint8_t) { seen.push_back(w); });
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (auto w : seen) ++df[w];
  }
  std::vector<Lexicon::Entry> entries;
  entries.reserve(df.size());
  for (const auto& [w, n] : df) entries.push_back({std::string(w), n});
  df = {};
  ix->lex_ = Lexicon(std::move(entries));
  const std::size_t nwords = ix->lex_.size();
  std::unordered_map<std::string_view, uint32_t> id_of;
  id_of.reserve(nwords);
  ix->df_prefix_.resize(nwords + 1);
  for (uint32_t i = 0; i < nwords; ++i) {
    id_of.emplace(ix->lex_.word(i), i);
    ix->df_prefix_[i + 1] = ix->df_prefix_[i] + ix->lex_.df_at(i);
  }
  // Documents in rank order, their sorted word ids with field bits, postings.
  const std::size_t n = docs.size();
  std::size_t id_bytes = 0;
  for (const Source& d : docs) id_bytes += d.id.size();
  ix->id_chars_.reserve(id_bytes);
  ix->id_off_.reserve(n + 1);
  ix->id_off_.push_back(0);
  ix->popularity_.reserve(n);
  ix->name_words_.reserve(n);
  ix->word_off_.reserve(n + 1);
  ix->word_off_.push_back(0);
  std::vector<uint32_t> counts(nwords, 0);
  std::vector<std::pair<uint32_t, uint8_t>> tmp;
  for (const Source& d : docs) {
    tmp.clear();
    each_word(d, [&](std::string_view w, uint8_t bits) { tmp.emplace_back(id_of.at(w), bits); });
    std::sort(tmp.begin(), tmp.end());
    for (std::size_t i = 0; i < tmp.size();) {
      uint32_t w = tmp[i].first;
      uint8_t bits = 0;
      for (; i < tmp.size() && tmp[i].first == w; ++i) bits |= tmp[i].second;
      ix->words_.push_back(w);
      ix->fields_.push_back(bits);
      ++counts[w];
    }
    ix->word_off_.push_back(static_cast<uint32_t>(ix->words_.size()));
    ix->id_chars_ += d.id;
    ix->id_off_.push_back(static_cast<uint32_t>(ix->id_chars_.size()));
    ix->popularity_.push_back(d.popularity);
    ix->docid_.push_back(d.docid);
    ix->name_words_.push_back(d.name_words);
    if (kind == Kind::kPlaylist) {
      ix->public_.push_back(d.f ? (d.f->is_public ? 1 : 0) : old->public_[d.old]);
      ix->members_.push_back(d.f ? d.f->members : old->members_[d.old]);
    }
  }
  id_of = {};
  ix->words_.shrink_to_fit();
  ix->fields_.shrink_to_fit();
  ix->post_off_.resize(nwords + 1);
  for (std::size_t w = 0; w < nwords; ++w) ix->post_off_[w + 1] = ix->post_off_[w] + counts[w];
  counts = {};
  ix->postings_.resize(ix->words_.size());
  std::vector<uint32_t> fill(ix->post_off_.begin(), ix->post_off_.end() - 1);
  for (uint32_t d = 0; d < n; ++d)
    for (uint32_t i = ix->word_off_[d]; i < ix->word_off_[d + 1]; ++i) ix->postings_[fill[ix->words_[i]]++] = d;
  fill = {};
  // Unions of the postings of wide prefixes, shortest prefixes first, until no prefix of a
  // length is wide. A bitmap over the documents makes each union linear.
  {
    std::vector<uint64_t> bits((n + 63) / 64);
    for (std::size_t len = 2;; ++len) {
      bool any = false;
      for (uint32_t i = 0; i < nwords;) {
        std::string_view w = ix->lex_.word(i);
        if (w.size() < len) {
          ++i;
          continue;
        }
        auto [lo, hi] = ix->lex_.prefix_range(w.substr(0, len));  // lo == i: words are sorted
        if (hi - lo > kWideRange) {
          any = true;
          uint32_t first = UINT32_MAX, last = 0;
          for (std::size_t p = ix->post_off_[lo]; p < ix->post_off_[hi]; ++p) {
            uint32_t d = ix->postings_[p];
            bits[d >> 6] |= uint64_t{1} << (d & 63);
            first = std::min(first, d);
            last = std::max(last, d);
          }
          auto b = static_cast<uint32_t>(ix->postings_.size());
          for (std::size_t x = first >> 6; first != UINT32_MAX && x <= (last >> 6); ++x) {
            uint64_t v = bits[x];
            bits[x] = 0;
            while (v) {
              ix->postings_.push_back(static_cast<uint32_t>(x * 64 + static_cast<std::size_t>(__builtin_ctzll(v))));
              v &= v - 1;
            }
          }
          auto key = (static_cast<uint64_t>(lo) << 32) | hi;
          if (!ix->prefix_lists_.count(key))
            ix->prefix_lists_.emplace(key, std::make_pair(b, static_cast<uint32_t>(ix->postings_.size())));
          else
            ix->postings_.resize(b);  // a longer prefix with the same completions
        }
        i = hi;
      }
      if (!any) break;
    }
  }
  // Name keys.
  struct K {
    std::string_view key;
    uint32_t doc;
    uint8_t full;
  };
  std::vector<K> keys;
  keys.reserve(n * 2);
  for (uint32_t d = 0; d < n; ++d) {
    if (!docs[d].name_key.empty()) keys.push_back({docs[d].name_key, d, 1});
    if (!docs[d].base_key.empty() && docs[d].base_key != docs[d].name_key) keys.push_back({docs[d].base_key, d, 0});
  }
  std::sort(keys.begin(), keys.end(), [](const K& a, const K& b) {
    return a.key != b.key ? a.key < b.key : a.doc < b.doc;
  });
  ix->key_off_.push_back(0);
  for (const auto& k : keys) {
    ix->key_chars_ += k.key;
    ix->key_off_.push_back(static_cast<uint32_t>(ix->key_chars_.size()));
    ix->key_doc_.push_back(k.doc);
    ix->key_full_.push_back(k.full);
  }
  ix->postings_.shrink_to_fit();
  ix->key_chars_.shrink_to_fit();
  ix->by_id_.resize(n);
  for (uint32_t d = 0; d < n; ++d) ix->by_id_[d] = d;
  std::sort(ix->by_id_.begin(), ix->by_id_.end(), [&](uint32_t a, uint32_t b) { return ix->id(a) < ix->id(b); });
  return ix;
}

uint32_t KindIndex::docid_of(std::string_view id) const {
  auto it = std::lower_bound(by_id_.begin(), by_id_.end(), id, [&](uint32_t d, std::string_view v) { return this->id(d) < v; });
  return it != by_id_.end() && this->id(*it) == id ? docid_[*it] : 0;
}

std::size_t KindIndex::bytes() const {
  auto vec = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  std::size_t n = lex_.bytes() + vec(df_prefix_) + id_chars_.capacity() + vec(id_off_) + vec(docid_) + vec(by_id_) +
                  vec(popularity_) + vec(name_words_) + vec(word_off_) +
                  vec(words_) + vec(fields_) + vec(post_off_) + vec(postings_) + key_chars_.capacity() + vec(key_off_) +
                  vec(key_doc_) + vec(key_full_) + vec(public_) + vec(members_);
  for (const auto& m : members_)
    for (const auto& id : m) n += sizeof(id) + (id.capacity() > 15 ? id.capacity() + 1 : 0);
  n += prefix_lists_.size() * (sizeof(uint64_t) + 2 * sizeof(uint32_t) + 2 * sizeof(void*));
  return n;
}

bool KindIndex::cursor_of(const Constraint& c, Cursor* cur) const {
  auto add = [&](uint32_t b, uint32_t e) {
    if (b < e) cur->src.push_back({b, e});
  };
  auto add_word = [&](uint32_t w) { add(post_off_[w], post_off_[w + 1]); };
  auto in_range = [&](uint32_t w) { return w >= c.lo && w < c.hi; };
  if (c.list_b != c.list_e) {
    add(c.list_b, c.list_e);
  } else {
    if (c.hi - c.lo > kWideRange) return false;
    for (uint32_t w = c.lo; w < c.hi; ++w) add_word(w);
  }
  for (uint32_t w : c.exact)
    if (!in_range(w)) add_word(w);
  for (uint32_t w : c.fuzzy)
    if (!in_range(w) && !std::binary_search(c.exact.begin(), c.exact.end(), w)) add_word(w);
  for (const auto& s : cur->src) cur->volume += s.end - s.pos;
  if (cur->src.size() > kMaxCursorLists) {
    // Many lists: merged through a heap of their heads instead of a minimum over all of them.
    cur->merge = true;
    for (const auto& s : cur->src) cur->heap.emplace_back(postings_[s.pos], s.pos, s.end);
    std::make_heap(cur->heap.begin(), cur->heap.end(), std::greater<>());
    cur->src.clear();  // the heap holds the positions now
  }
  return true;
}

uint32_t KindIndex::gallop(uint32_t pos, uint32_t end, uint32_t d) const {
  if (pos >= end || postings_[pos] >= d) return pos;
  uint32_t lo = pos, step = 1;  // postings_[lo] < d
  while (lo + step < end && postings_[lo + step] < d) {
    lo += step;
    step *= 2;
  }
  uint32_t hi = std::min(end, lo + step);
  return static_cast<uint32_t>(std::lower_bound(postings_.begin() + lo + 1, postings_.begin() + hi, d) - postings_.begin());
}

uint32_t KindIndex::seek(Cursor* cur, uint32_t d) const {
  if (cur->merge) {
    auto& h = cur->heap;
    while (!h.empty()) {
      auto [doc, pos, end] = h.front();
      if (doc >= d) return doc;
      std::pop_heap(h.begin(), h.end(), std::greater<>());
      h.pop_back();
      pos = gallop(pos, end, d);
      if (pos < end) {
        h.emplace_back(postings_[pos], pos, end);
        std::push_heap(h.begin(), h.end(), std::greater<>());
      }
    }
    return UINT32_MAX;
  }
  uint32_t best = UINT32_MAX;
  for (auto& s : cur->src) {
    s.pos = gallop(s.pos, s.end, d);
    if (s.pos < s.end) best = std::min(best, postings_[s.pos]);
  }
  return best;
}

bool KindIndex::has(uint32_t doc, const Constraint& c) const {
  const uint32_t* b = words_.data() + word_off_[doc];
  const uint32_t* e = words_.data() + word_off_[doc + 1];
  if (c.hi > c.lo) {
    const uint32_t* it = std::lower_bound(b, e, c.lo);
    if (it != e && *it < c.hi) return true;
  }
  for (uint32_t w : c.exact)
    if (std::binary_search(b, e, w)) return true;
  if (c.fuzzy.size() <= static_cast<std::size_t>(e - b)) {
    for (uint32_t w : c.fuzzy)
      if (std::binary_search(b, e, w)) return true;
  } else {
    for (const uint32_t* p = b; p != e; ++p)
      if (std::binary_search(c.fuzzy.begin(), c.fuzzy.end(), *p)) return true;
  }
  if (c.open)
    for (const uint32_t* p = b; p != e; ++p)
      if (open_edits(*p, c) <= c.edits) return true;
  return false;
}

int KindIndex::open_edits(uint32_t w, const Constraint& c) const {
  // Like the lexicon's two-edit walk, the first letter must be right (the words one edit away
  // with another first letter are listed in c.fuzzy already): one compare rules out most words.
  std::string_view word = lex_.word(w);
  if (word.empty() || word[0] != c.typed[0]) return c.edits + 1;
  auto [it, fresh] = c.open_memo.try_emplace(w, 0);
  if (fresh) it->second = static_cast<uint8_t>(edit_distance(c.typed, word, c.edits, c.as_prefix));
  return it->second;
}

bool KindIndex::visible(uint32_t doc, const std::string& viewer) const {
  if (kind_ != Kind::kPlaylist) return true;
  if (public_[doc]) return true;
  if (viewer.empty()) return false;
  const auto& m = members_[doc];
  return std::find(m.begin(), m.end(), viewer) != m.end();
}

int KindIndex::match(uint32_t doc, const Constraint& c, int* field) const {
  int best = 0;
  int best_field = 3;
  for (uint32_t i = word_off_[doc]; i < word_off_[doc + 1]; ++i) {
    uint32_t w = words_[i];
    int m = 0;
    if ((w >= c.lo && w < c.hi) || std::binary_search(c.exact.begin(), c.exact.end(), w)) m = 2;
    else if (std::binary_search(c.fuzzy.begin(), c.fuzzy.end(), w)) m = 1;
    else if (c.open && open_edits(w, c) <= c.edits) m = 1;
    if (!m) continue;
    int f = __builtin_ctz(fields_[i]);
    if (m > best || (m == best && f < best_field)) {
      best = m;
      best_field = f;
    }
  }
  *field = best_field > 2 ? 2 : best_field;
  return best;
}

void KindIndex::key_lookup(const std::string& key, bool prefix, std::size_t want, std::vector<uint32_t>* out,
                           std::vector<uint8_t>* full) const {
  if (key.empty()) return;
  const std::size_t nk = key_doc_.size();
  std::size_t lo = 0, hi = nk;
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (key_at(key_chars_, key_off_, mid) < key) lo = mid + 1;
    else hi = mid;
  }
  std::size_t begin = lo;
  hi = nk;
  auto in_range = [&](std::size_t i) {
    auto k = key_at(key_chars_, key_off_, i);
    return prefix ? k.substr(0, key.size()) == key : k == key;
  };
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (in_range(mid)) lo = mid + 1;
    else hi = mid;
  }
  std::size_t end = lo;
  // The `want` best (lowest numbered) documents of [begin, end).
  std::priority_queue<std::pair<uint32_t, uint8_t>> heap;  // max-heap on doc
  for (std::size_t i = begin; i < end; ++i) {
    uint32_t d = key_doc_[i];
    if (heap.size() == want && d >= heap.top().first) continue;
    heap.emplace(d, key_full_[i]);
    if (heap.size() > want) heap.pop();
  }
  while (!heap.empty()) {
    out->push_back(heap.top().first);
    if (full) full->push_back(heap.top().second);
    heap.pop();
  }
}

std::vector<MemHit> KindIndex::query(const std::vector<QueryWord>& words, const std::string& key,
                                     const std::string& corrected_key, bool last_prefix, std::size_t limit,
                                     const std::string& viewer, std::size_t* total, Relaxed* relaxed) const {
  std::vector<MemHit> out;
  if (total) *total = 0;
  if (words.empty() || size() == 0 || limit == 0) return out;
  // Constraints of the words that must match (required) and, in the relaxed pass, of the glue
  // words that count when present (optional). In the relaxed pass a word that matches nothing
  // even with typos is dropped rather than emptying the result.
  std::vector<Constraint> cons;
  cons.reserve(words.size());
  std::size_t typed_len = 0, dropped_len = 0;
  for (std::size_t wi = 0; wi < words.size(); ++wi) {
    const auto& qw = words[wi];
    const bool optional = relaxed && qw.optional;
    if (!optional) typed_len += qw.word.size();
    Constraint c;
    c.word = static_cast<uint32_t>(wi);
    c.optional = optional;
    uint64_t good = 0;
    uint32_t id = lex_.id(qw.word);
    if (id < lex_.size()) {
      c.exact.push_back(id);
      good += lex_.df_at(id);
    }
    if (qw.prefix) {
      auto [lo, hi] = lex_.prefix_range(qw.word);
      c.lo = lo;
      c.hi = hi;
      good += df_prefix_[hi] - df_prefix_[lo];
      if (hi - lo > kWideRange) {
        auto it = prefix_lists_.find((static_cast<uint64_t>(lo) << 32) | hi);
        if (it != prefix_lists_.end()) {
          c.list_b = it->second.first;
          c.list_e = it->second.second;
          good = c.list_e - c.list_b;  // documents, not postings (every exact id is in the range)
        }
      }
    }
    uint64_t volume = good;
    int k = qw.edits >= 0 ? qw.edits : allowed_edits(qw.word.size());
    // A word still being typed keeps at least two letters that are right: "tk" with two edits
    // would be the start of every word.
    if (qw.prefix) k = std::min(k, static_cast<int>(qw.word.size()) - 2);
    // As you type, the relaxed pass takes a word still being typed that starts some word as
    // typed: the user has not finished it, and its close words would cost a lexicon walk at
    // every keystroke (a finished word's close words are remembered after the first walk).
    if (relaxed && qw.typing && qw.prefix && c.hi > c.lo) k = 0;
    // Close words only for a word that matches nothing or almost nothing as typed (a word in
    // 20 or more documents is a real word; its typo neighbours would only add noise and time).
    // The relaxed pass tries close words of every word, except one common as typed (in more
    // than one document in 1,000, at least 200): "lost" or "saint" typed is meant, and forty
    // close words each would make every join a merge of hundreds of lists.
    const bool common = relaxed && good >= std::max<uint64_t>(kCommonWord, size() / 1000);
    if (k > 0 && (good < kRareWord || (qw.force_fuzzy && !common))) {
      const std::size_t want = qw.force_fuzzy && !(relaxed && relaxed->light) ? 40 : 8;
      auto close = lex_.fuzzy(qw.word, k, qw.prefix, want);
      if (relaxed && k >= 2) {
        // Two edits keep the first letter (lexicon.h); one edit may be anywhere ("rtash").
        for (const auto& m : lex_.fuzzy(qw.word, 1, qw.prefix, want)) {
          bool dup = false;
          for (const auto& x : close) dup = dup || x.id == m.id;
          if (!dup) close.push_back(m);
        }
      }
      if (relaxed && !relaxed->light && close.size() >= want) {
        c.open = true;
        c.typed = qw.word;
        c.edits = k;
        c.as_prefix = qw.prefix;
      }
      uint32_t best = 0;
      for (const auto& m : close) best = std::max(best, m.df);
      if (!close.empty() && (good == 0 || good * 20 < best || qw.force_fuzzy)) {
        std::sort(close.begin(), close.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        for (const auto& m : close) {
          c.fuzzy.push_back(m.id);
          c.fuzzy_edits.push_back(static_cast<uint8_t>(m.distance));
          volume += m.df;
        }
        if (good == 0) {
          auto nearest = std::min_element(close.begin(), close.end(), [](const auto& a, const auto& b) {
            return a.distance != b.distance ? a.distance < b.distance : a.df > b.df;
          });
          c.closest = nearest->id;
        }
      }
    }
    if (volume == 0) {
      if (!relaxed) return out;  // a word no document has
      if (!optional) dropped_len += qw.word.size();
      continue;
    }
    c.volume = volume;
    cons.push_back(std::move(c));
  }
  std::vector<const Constraint*> required, optional;
  for (const auto& c : cons) (c.optional ? optional : required).push_back(&c);
  if (required.empty()) {
    // Only glue words are left ("the by"): they are the query.
    required.swap(optional);
    if (required.empty()) return out;
  }

  // The relaxed pass reads more candidates: its close words admit many documents that are not
  // what was meant, and they are ranked by the edits they needed only after they are read.
  const std::size_t window = std::max<std::size_t>(limit * 4, 24) * (relaxed ? 4 : 1);
  std::vector<uint32_t> exact, prefix, cexact, cprefix;
  std::vector<uint8_t> exact_full;
  key_lookup(key, false, window, &exact, &exact_full);
  if (last_prefix) key_lookup(key, true, window, &prefix, nullptr);
  std::string ckey = corrected_key;
  if (relaxed) {
    // The name the relaxed query most likely means: the words that still count, each replaced
    // by its closest word when it matched nothing as typed ("teh weeknd" -> "the weeknd").
    std::vector<std::string> meant;
    for (const Constraint* c : required)
      meant.emplace_back(c->closest != UINT32_MAX ? lex_.word(c->closest) : std::string_view(words[c->word].word));
    ckey = words_key(meant);
  }
  if (!ckey.empty() && ckey != key) {
    key_lookup(ckey, false, window, &cexact, nullptr);
    key_lookup(ckey, true, window, &cprefix, nullptr);
  }

  // Documents matching every required word, best first: a leapfrog join over the words that
  // are a few posting lists each (sequential reads, skipping ahead by galloping), the others
  // checked in the documents' own word lists. Without such a word, documents are walked in
  // rank order. Returns whether every matching document was seen.
  // The relaxed pass has a budget of work (seeks and documents checked) over all its joins:
  // its close words and left-out words can make joins whose lists rarely meet, and it is a
  // best effort (the strict pass's answer, if any, is already in hand).
  std::size_t work = !relaxed ? SIZE_MAX : relaxed->light ? kRelaxedWork / 4 : kRelaxedWork;
  // has(), charged to the budget: one unit, or one per word of the document for an open
  // constraint (its words are compared with the typed word one by one).
  // The relaxed pass also stops at its deadline (checked every 256 units of work).
  std::size_t next_clock = relaxed ? work - std::min<std::size_t>(work, 256) : 0;
  auto spend = [&](std::size_t cost) {
    work -= std::min(work, cost);
    if (relaxed && work <= next_clock && work > 0) {
      next_clock = work - std::min<std::size_t>(work, 256);
      if (std::chrono::steady_clock::now() >= relaxed->deadline) work = 0;
    }
  };
  auto has_within = [&](uint32_t d, const Constraint& c) {
    spend(c.open ? word_off_[d + 1] - word_off_[d] : 1);
    return has(d, c);
  };
  auto collect = [&](const std::vector<const Constraint*>& req, std::vector<uint32_t>* cands) {
    // Words of a few lists join; of the words of many lists (merged through a heap) only the
    // one with the fewest postings, and only if it has fewer than every other.
    std::vector<Cursor> joined;
    std::vector<const Constraint*> checked;
    std::vector<std::pair<Cursor, const Constraint*>> merged;
    // An open constraint is checked per document only behind a join of other words: walking
    // documents in rank order and comparing each one's words would be a scan of the catalog.
    bool closed = false;
    for (const Constraint* c : req) {
      Cursor probe;
      closed = closed || (!c->open && cursor_of(*c, &probe));
    }
    for (const Constraint* c : req) {
      if (c->open && closed) {  // its listed close words are not all of them: checked per document
        checked.push_back(c);
        continue;
      }
      Cursor cur;
      if (!cursor_of(*c, &cur)) checked.push_back(c);
      else if (cur.merge) merged.emplace_back(std::move(cur), c);
      else joined.push_back(std::move(cur));
    }
    std::sort(joined.begin(), joined.end(), [](const Cursor& a, const Cursor& b) { return a.volume < b.volume; });
    std::sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.first.volume < b.first.volume; });
    for (std::size_t i = 0; i < merged.size(); ++i) {
      if (i == 0 && (joined.empty() || merged[0].first.volume < joined.front().volume))
        joined.insert(joined.begin(), std::move(merged[0].first));
      else
        checked.push_back(merged[i].second);
    }
    // Open constraints last: they compare each of the document's words with the typed one.
    std::stable_partition(checked.begin(), checked.end(), [](const Constraint* c) { return !c->open; });
    auto accept = [&](uint32_t d) {
      if (!visible(d, viewer)) return false;
      for (const Constraint* c : checked)
        if (!has_within(d, *c)) return false;
      return true;
    };
    bool complete = false;
    std::size_t examined = 0;
    if (joined.empty()) {
      uint32_t d = 0;
      for (; d < size() && d < kScanLimit && cands->size() < window && work > 0; ++d, spend(1))
        if (accept(d)) cands->push_back(d);
      complete = d == size();
    } else {
      // Every cursor is brought to d; one that lands beyond it moves d, and the others follow.
      uint32_t d = 0;
      while (cands->size() < window && examined < kScanLimit && work > 0) {
        std::size_t agree = 0, i = 0;
        while (agree < joined.size() && work > 0) {
          spend(1);
          uint32_t x = seek(&joined[i], d);
          if (x == UINT32_MAX) {
            complete = true;
            break;
          }
          if (x == d) {
            ++agree;
          } else {
            d = x;
            agree = 1;
          }
          i = (i + 1) % joined.size();
        }
        if (complete || agree < joined.size()) break;
        ++examined;
        if (accept(d)) cands->push_back(d);
        ++d;
      }
    }
    return complete;
  };

  struct Scored {
    uint32_t doc;
    double score;
    int cls;
    int edits;
    uint64_t left = 0;  // the required words (bits by position in `required`) left out
  };
  // Scores the union of the join's documents and the name-key matches (the formula of
  // docs/search.md). `drop` is the share of the typed text left out, in the relaxed pass.
  auto score_all = [&](const std::vector<const Constraint*>& req, const std::vector<uint32_t>& cands, double drop) {
    std::vector<uint32_t> all;
    all.reserve(cands.size() + exact.size() + prefix.size() + cexact.size() + cprefix.size());
    for (auto* v : {&exact, &prefix, &cexact, &cprefix}) all.insert(all.end(), v->begin(), v->end());
    all.insert(all.end(), cands.begin(), cands.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    std::vector<Scored> scored;
    const std::size_t counted = req.size() + optional.size();
    for (uint32_t d : all) {
      if (!visible(d, viewer)) continue;
      int cls = 1;
      bool full = false;
      auto ex = std::find(exact.begin(), exact.end(), d);
      if (ex != exact.end()) {
        cls = 3;
        full = exact_full[static_cast<std::size_t>(ex - exact.begin())] != 0;
      } else if (std::find(prefix.begin(), prefix.end(), d) != prefix.end()) {
        cls = 2;
      }
      double rel = 0;
      std::size_t in_name = 0;
      int edits = 0;
      bool typo = false, unmatched = false;
      for (const Constraint* c : req) {
        int field = 0;
        int m = match(d, *c, &field);
        if (m == 1 && relaxed) edits += typo_edits(d, *c);
        if (m == 0) {
          if (cls >= 2) {  // matched by its name key (words split differently)
            rel += 1.0;
            ++in_name;
            continue;
          }
          unmatched = true;
          continue;
        }
        if (m == 1) typo = true;
        rel += kFieldWeight[field] * (m == 2 ? 1.0 : 0.6);
        if (field == 0) ++in_name;
      }
      // A document found by the corrected name key alone must still hold every word.
      if (unmatched) continue;
      for (const Constraint* c : optional) {
        int field = 0;
        if (int m = match(d, *c, &field)) rel += kFieldWeight[field] * (m == 2 ? 1.0 : 0.6);
        else {
          ++edits;  // a glue word typed but absent counts as a typo: "the weekend" is The Weeknd
          typo = true;
        }
      }
      if (cls < 2 && typo) cls = 0;
      if (drop > 0) cls = 0;  // what left words out ranks below what matched them all
      double s = 10.0 * cls;
      if (cls == 0) {
        int cc = std::find(cexact.begin(), cexact.end(), d) != cexact.end()   ? 3
                 : std::find(cprefix.begin(), cprefix.end(), d) != cprefix.end() ? 2
                                                                                   : 1;
        s += 3.0 * cc / 3.0;
      }
      s += rel / static_cast<double>(counted);
      s += 1.5 * popularity_[d] / 100.0;
      if (cls != 3) s += std::min(1.0, static_cast<double>(in_name) / std::max<double>(1, name_words_[d]));
      if (full) s += 0.2;
      if (relaxed) s -= kRelaxedOffset + kDropPenalty * drop + kEditPenalty * edits;
      scored.push_back({d, s, cls, edits});
    }
    std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
      return a.score != b.score ? a.score > b.score : a.doc < b.doc;
    });
    return scored;
  };

  std::vector<uint32_t> cands;
  bool complete = collect(required, &cands);
  double drop = typed_len ? static_cast<double>(dropped_len) / static_cast<double>(typed_len) : 0.0;
  std::vector<Scored> scored = score_all(required, cands, drop);
  std::vector<const Constraint*> used = required;
  if (relaxed && !relaxed->light && required.size() >= 2 && required.size() <= kMaxDropWords &&
      (scored.empty() || scored.front().edits >= 2)) {
    // No document holds every word ("bad guy billie eilish karaoke" where "karaoke" names other
    // tracks), or only with several typos ("poker face gaga 2009" as "power age age 2015"):
    // also take documents that miss one word, else two, and so on, each scored without the
    // words it misses (the penalty grows with what was left out), every document at its best
    // score. A document that misses at most L of the words holds one of any L + 1 of them, so
    // one walk over the union of the L + 1 most selective words' lists, in rank order, finds
    // them all, each checked against the other words.
    const std::size_t n = required.size();
    std::unordered_map<uint32_t, std::size_t> at;  // doc -> index in scored
    for (std::size_t i = 0; i < scored.size(); ++i) at.emplace(scored[i].doc, i);
    const bool had = !scored.empty();
    std::vector<std::pair<uint64_t, std::size_t>> selective;  // (postings, word) of words with lists
    for (std::size_t i = 0; i < n; ++i) {
      Cursor probe;
      if (cursor_of(*required[i], &probe)) selective.emplace_back(probe.volume, i);
    }
    std::sort(selective.begin(), selective.end());
    for (std::size_t level = 1; level < n && (level == 1 || !had) && work > 0; ++level) {
      std::map<uint64_t, std::vector<uint32_t>> groups;  // missing words (bits) -> documents
      std::size_t found = 0;
      auto consider = [&](uint32_t d) {
        if (!visible(d, viewer)) return;
        uint64_t missing = 0;
        std::size_t misses = 0;
        for (std::size_t i = 0; i < n && misses <= level; ++i) {
          if (!has_within(d, *required[i])) {
            missing |= uint64_t{1} << i;
            ++misses;
          }
        }
        if (misses <= level) {
          groups[missing].push_back(d);
          ++found;
        }
      };
      if (selective.size() > level) {
        Cursor u;
        for (std::size_t k = 0; k <= level; ++k) {
          Cursor c;
          cursor_of(*required[selective[k].second], &c);
          for (const auto& sp : c.src) u.src.push_back(sp);
          for (const auto& [doc, pos, end] : c.heap) u.src.push_back({pos, end});
        }
        if (u.src.size() > kMaxCursorLists) {
          u.merge = true;
          for (const auto& sp : u.src) u.heap.emplace_back(postings_[sp.pos], sp.pos, sp.end);
          std::make_heap(u.heap.begin(), u.heap.end(), std::greater<>());
          u.src.clear();
        }
        for (uint32_t d = 0; found < window && work > 0; spend(1)) {
          uint32_t x = seek(&u, d);
          if (x == UINT32_MAX) break;
          consider(x);
          d = x + 1;
        }
      } else {
        for (uint32_t d = 0; d < size() && found < window && work > 0; ++d, spend(1)) consider(d);
      }
      complete = false;
      for (auto& [missing, docs] : groups) {
        std::vector<const Constraint*> fewer;
        std::size_t left_out = dropped_len;
        for (std::size_t i = 0; i < n; ++i) {
          if (missing >> i & 1) left_out += words[required[i]->word].word.size();
          else fewer.push_back(required[i]);
        }
        const double d2 = static_cast<double>(left_out) / static_cast<double>(std::max<std::size_t>(typed_len, 1));
        for (auto x : score_all(fewer, docs, d2)) {
          x.left = missing;
          auto [it, fresh] = at.try_emplace(x.doc, scored.size());
          if (fresh) scored.push_back(x);
          else if (x.score > scored[it->second].score) scored[it->second] = x;
        }
      }
      if (!scored.empty()) break;
    }
    if (scored.empty() && !selective.empty()) {
      // Out of time or work with nothing found: the best documents of the most selective word
      // alone (a few reads), rather than an empty answer.
      const std::size_t keep = selective.front().second;
      Cursor c;
      cursor_of(*required[keep], &c);
      std::vector<uint32_t> docs;
      for (uint32_t d = 0; docs.size() < window;) {
        uint32_t x = seek(&c, d);
        if (x == UINT32_MAX) break;
        if (visible(x, viewer)) docs.push_back(x);
        d = x + 1;
      }
      uint64_t missing = 0;
      std::size_t left_out = dropped_len;
      for (std::size_t i = 0; i < n; ++i) {
        if (i == keep) continue;
        missing |= uint64_t{1} << i;
        left_out += words[required[i]->word].word.size();
      }
      const double d2 = static_cast<double>(left_out) / static_cast<double>(std::max<std::size_t>(typed_len, 1));
      for (auto x : score_all({required[keep]}, docs, d2)) {
        x.left = missing;
        scored.push_back(x);
      }
    }
    std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
      return a.score != b.score ? a.score > b.score : a.doc < b.doc;
    });
    if (!scored.empty() && scored.front().left) {
      used.clear();
      drop = 1;  // some word was left out: marks the understood query as such
      for (std::size_t i = 0; i < n; ++i)
        if (!(scored.front().left >> i & 1)) used.push_back(required[i]);
    }
  }
  uint64_t min_volume = UINT64_MAX;
  for (const Constraint* c : used) min_volume = std::min(min_volume, c->volume);
  for (std::size_t i = 0; i < scored.size() && out.size() < limit; ++i)
    out.push_back(MemHit{std::string(id(scored[i].doc)), scored[i].score, scored[i].cls});
  if (total) *total = complete ? scored.size() : std::max<std::size_t>(scored.size(), std::min<uint64_t>(min_volume, size()));
  if (relaxed && !scored.empty()) {
    // The query as the best hit matched it, in the order typed: each word that counted as the
    // word of the document it matched (its correction), glue words only where present.
    const uint32_t d = scored.front().doc;
    relaxed->understood.clear();
    relaxed->dropped = drop > 0;
    for (const auto& c : cons) {
      if (c.optional || std::find(used.begin(), used.end(), &c) != used.end()) {
        // As typed when it matched as typed (or as the start of a word: still being typed),
        // else the document's word it was taken for.
        int field = 0;
        const int m = match(d, c, &field);
        if (m == 2) relaxed->understood.push_back(words[c.word].word);
        else if (uint32_t w = matched_word(d, c); m == 1 && w != UINT32_MAX) relaxed->understood.emplace_back(lex_.word(w));
        else if (!c.optional) relaxed->understood.push_back(words[c.word].word);
      }
    }
  }
  return out;
}

int KindIndex::typo_edits(uint32_t doc, const Constraint& c) const {
  int best = 3;
  for (uint32_t i = word_off_[doc]; i < word_off_[doc + 1]; ++i) {
    auto it = std::lower_bound(c.fuzzy.begin(), c.fuzzy.end(), words_[i]);
    if (it != c.fuzzy.end() && *it == words_[i]) best = std::min<int>(best, c.fuzzy_edits[static_cast<std::size_t>(it - c.fuzzy.begin())]);
    else if (c.open) best = std::min(best, open_edits(words_[i], c));
  }
  return best;
}

uint32_t KindIndex::matched_word(uint32_t doc, const Constraint& c) const {
  uint32_t fuzzy = UINT32_MAX;
  for (uint32_t i = word_off_[doc]; i < word_off_[doc + 1]; ++i) {
    uint32_t w = words_[i];
    if ((w >= c.lo && w < c.hi) || std::binary_search(c.exact.begin(), c.exact.end(), w)) return w;
    if (fuzzy == UINT32_MAX && (std::binary_search(c.fuzzy.begin(), c.fuzzy.end(), w) ||
                                (c.open && open_edits(w, c) <= c.edits)))
      fuzzy = w;
  }
  return fuzzy;
}

}  // namespace segue::search
