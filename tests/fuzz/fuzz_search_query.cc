// Untrusted search queries: folding, word splitting, query parsing and a search over a small
// index must never crash, and folded text keeps its invariants.
#include <cstdint>
#include <memory>
#include <string_view>

#include "search/index.h"
#include "search/query.h"
#include "search/searcher.h"
#include "search/text.h"

namespace {
segue::search::SearchIndex& index() {
  static std::unique_ptr<segue::search::SearchIndex> idx = [] {
    auto r = segue::search::SearchIndex::open("");
    if (!r.ok()) __builtin_trap();
    auto i = std::move(r).value();
    std::vector<segue::search::Document> docs;
    const char* names[] = {"Bohemian Rhapsody", "AC/DC", "Beyoncé", "The Beatles", "Simon & Garfunkel",
                           "Halo - Remastered", "Rocket Man (Live)", "日本語の歌"};
    int n = 0;
    for (const char* name : names) {
      segue::search::Document d;
      d.kind = static_cast<segue::search::Kind>(n % 4);
      d.id = "id" + std::to_string(n++);
      d.name = name;
      d.artists = {"Artist " + std::to_string(n)};
      d.album = "Album";
      d.year = 1970 + n;
      docs.push_back(d);
    }
    if (!i->put(docs).ok() || !i->commit().ok()) __builtin_trap();
    return i;
  }();
  return *idx;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  std::string f = segue::search::fold(s);
  // Folded text: no leading/trailing/double spaces, no ASCII upper case or punctuation.
  if (!f.empty() && (f.front() == ' ' || f.back() == ' ')) __builtin_trap();
  for (std::size_t i = 0; i < f.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(f[i]);
    if (c == ' ' && i + 1 < f.size() && f[i + 1] == ' ') __builtin_trap();
    if (c < 0x80 && c != ' ' && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) __builtin_trap();
  }
  auto w = segue::search::split_words(s);
  for (const auto& word : w.words)
    if (word.empty() || word.size() > 64) __builtin_trap();
  (void)segue::search::name_key(s);
  if (segue::search::base_name(s).size() > s.size()) __builtin_trap();
  if (size >= 2) {
    std::string_view a = s.substr(0, size / 2), b = s.substr(size / 2);
    if (a.size() <= 64 && b.size() <= 64 &&
        segue::search::edit_distance(a, b, 3) != segue::search::edit_distance(b, a, 3))
      __builtin_trap();
  }
  auto pq = segue::search::parse_query(s);
  (void)pq;
  if (size <= 600) {
    segue::search::Searcher searcher(index());
    segue::search::SearchRequest req;
    req.q = std::string(s);
    (void)searcher.search(req);
    segue::search::SuggestRequest sr;
    sr.q = std::string(s);
    (void)searcher.suggest(sr);
  }
  return 0;
}
