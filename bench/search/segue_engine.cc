// Segue's search (src/search): SearchIndex built with put() in batches and one commit(), then
// Searcher::suggest and Searcher::search per keystroke.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <unordered_map>

#include "engine.h"
#include "search/index.h"
#include "search/memory_index.h"
#include "search/searcher.h"

namespace segue::bench_search {

class SegueIndex {
 public:
  std::unique_ptr<search::SearchIndex> index;
  std::unique_ptr<search::Searcher> searcher;
  std::unordered_map<std::string, uint32_t> by_key;  // kind digit + id -> doc index

  uint32_t find(search::Kind kind, const std::string& id) const {
    auto it = by_key.find(static_cast<char>('0' + static_cast<int>(kind)) + id);
    return it == by_key.end() ? UINT32_MAX : it->second;
  }
};

namespace {

int slot(search::Kind k) {
  return k == search::Kind::kTrack ? 0 : k == search::Kind::kAlbum ? 1 : k == search::Kind::kArtist ? 2 : -1;
}

class SuggestSession : public Session {
 public:
  SuggestSession(std::shared_ptr<SegueIndex> ix, std::size_t limit) : ix_(std::move(ix)), limit_(limit) {}
  bool run(const std::string& typed) override {
    search::SuggestRequest req;
    req.q = typed;
    req.limit = limit_;
    auto r = ix_->searcher->suggest(req);
    ok_ = r.ok();
    if (ok_) {
      resp_ = std::move(r).value();
    } else {
      error_ = r.error().message;
    }
    return ok_;
  }
  void collect(QueryResult* out) override {
    for (auto& v : out->docs) v.clear();
    if (!ok_) return;
    for (int k = 0; k < search::kKindCount; ++k) {
      for (const auto& h : resp_.items[static_cast<std::size_t>(k)]) {
        int s = slot(h.kind);
        uint32_t d = ix_->find(h.kind, h.id);
        if (s >= 0 && d != UINT32_MAX) out->docs[static_cast<std::size_t>(s)].push_back(d);
      }
    }
  }

 private:
  std::shared_ptr<SegueIndex> ix_;
  std::size_t limit_;
  bool ok_ = false;
  search::SuggestResponse resp_;
  std::string error_;
};

class SearchSession : public Session {
 public:
  SearchSession(std::shared_ptr<SegueIndex> ix, std::size_t limit) : ix_(std::move(ix)), limit_(limit) {}
  bool run(const std::string& typed) override {
    search::SearchRequest req;
    req.q = typed;
    req.kinds = {search::Kind::kTrack, search::Kind::kAlbum, search::Kind::kArtist};
    req.limit = limit_;
    auto r = ix_->searcher->search(req);
    ok_ = r.ok();
    if (ok_) resp_ = std::move(r).value();
    return ok_;
  }
  void collect(QueryResult* out) override {
    for (auto& v : out->docs) v.clear();
    if (!ok_) return;
    for (int k = 0; k < search::kKindCount; ++k) {
      for (const auto& h : resp_.pages[static_cast<std::size_t>(k)].items) {
        int s = slot(h.kind);
        uint32_t d = ix_->find(h.kind, h.id);
        if (s >= 0 && d != UINT32_MAX) out->docs[static_cast<std::size_t>(s)].push_back(d);
      }
    }
  }

 private:
  std::shared_ptr<SegueIndex> ix_;
  std::size_t limit_;
  bool ok_ = false;
  search::SearchResponse resp_;
};

class SegueEngine : public Engine {
 public:
  SegueEngine(std::shared_ptr<SegueIndex> ix, std::size_t limit, bool suggest)
      : ix_(std::move(ix)), limit_(limit), suggest_(suggest) {}
  std::string name() const override { return suggest_ ? "segue-suggest" : "segue-search"; }
  std::unique_ptr<Session> session() override {
    if (suggest_) return std::make_unique<SuggestSession>(ix_, limit_);
    return std::make_unique<SearchSession>(ix_, limit_);
  }

 private:
  std::shared_ptr<SegueIndex> ix_;
  std::size_t limit_;
  bool suggest_;
};

}  // namespace

// The in-memory index's size (search as you type), for the RESULT line.
static std::string memory_note(const search::SearchIndex& index) {
  std::size_t bytes = 0, lists = 0;
  for (int k = 0; k < search::kKindCount; ++k) {
    auto m = index.memory(static_cast<search::Kind>(k));
    bytes += m->bytes();
    lists += m->prefix_list_bytes();
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, " memory_index_mb=%.1f prefix_lists_mb=%.1f", static_cast<double>(bytes) / 1e6,
                static_cast<double>(lists) / 1e6);
  return buf;
}

std::shared_ptr<SegueIndex> build_segue(const Catalog& cat, const std::string& dir, std::size_t batch, BuildStats* stats) {
  std::filesystem::remove_all(dir);
  auto ix = std::make_shared<SegueIndex>();
  auto t0 = std::chrono::steady_clock::now();
  auto opened = search::SearchIndex::open(dir);
  if (!opened.ok()) throw std::runtime_error("SearchIndex::open: " + opened.error().message);
  ix->index = std::move(opened).value();
  std::vector<search::Document> chunk;
  double put_s = 0;
  for (std::size_t i = 0; i < cat.docs.size(); i += batch) {
    std::size_t end = std::min(cat.docs.size(), i + batch);
    chunk.assign(cat.docs.begin() + static_cast<std::ptrdiff_t>(i), cat.docs.begin() + static_cast<std::ptrdiff_t>(end));
    auto p0 = std::chrono::steady_clock::now();  // the copy above is the bench's, not Segue's
    auto st = ix->index->put(chunk);
    put_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - p0).count();
    if (!st.ok()) throw std::runtime_error("SearchIndex::put: " + st.error().message);
  }
  auto c0 = std::chrono::steady_clock::now();
  auto st = ix->index->commit();
  if (!st.ok()) throw std::runtime_error("SearchIndex::commit: " + st.error().message);
  auto t1 = std::chrono::steady_clock::now();
  double commit_s = std::chrono::duration<double>(t1 - c0).count();
  ix->searcher = std::make_unique<search::Searcher>(*ix->index);
  for (std::size_t i = 0; i < cat.docs.size(); ++i) {
    const auto& d = cat.docs[i];
    ix->by_key.emplace(static_cast<char>('0' + static_cast<int>(d.kind)) + d.id, static_cast<uint32_t>(i));
  }
  stats->docs = cat.docs.size();
  stats->seconds = put_s + commit_s;  // open is counted in neither (it is empty)
  stats->bytes = dir_bytes(dir);
  char note[160];
  std::snprintf(note, sizeof note, "put_s=%.2f commit_s=%.2f wall_s=%.2f visible=%zu", put_s, commit_s,
                std::chrono::duration<double>(t1 - t0).count(), ix->index->size());
  stats->note = note + memory_note(*ix->index);
  return ix;
}

std::shared_ptr<SegueIndex> open_segue(const Catalog& cat, const std::string& dir, BuildStats* stats) {
  auto ix = std::make_shared<SegueIndex>();
  const long rss0 = rss_kb();
  auto t0 = std::chrono::steady_clock::now();
  auto opened = search::SearchIndex::open(dir);
  if (!opened.ok()) throw std::runtime_error("SearchIndex::open: " + opened.error().message);
  ix->index = std::move(opened).value();
  const double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long rss1 = rss_kb();
  if (ix->index->size() != cat.docs.size())
    throw std::runtime_error("--reuse: the kept index holds " + std::to_string(ix->index->size()) +
                             " documents, the catalog " + std::to_string(cat.docs.size()));
  ix->searcher = std::make_unique<search::Searcher>(*ix->index);
  for (std::size_t i = 0; i < cat.docs.size(); ++i) {
    const auto& d = cat.docs[i];
    ix->by_key.emplace(static_cast<char>('0' + static_cast<int>(d.kind)) + d.id, static_cast<uint32_t>(i));
  }
  stats->docs = cat.docs.size();
  stats->seconds = open_s;
  stats->bytes = dir_bytes(dir);
  // open_rss_mb: what SearchIndex::open added to the process (the bench's own key map, built
  // after it, is not counted); rss_mb: the process's RSS then (catalog and queries included).
  char note[96];
  std::snprintf(note, sizeof note, "open_rss_mb=%.0f rss_mb=%.0f", static_cast<double>(rss1 - rss0) / 1024,
                static_cast<double>(rss1) / 1024);
  stats->note = note + memory_note(*ix->index);
  return ix;
}

std::unique_ptr<Engine> suggest_engine(std::shared_ptr<SegueIndex> index, std::size_t limit) {
  return std::make_unique<SegueEngine>(std::move(index), limit, true);
}

std::unique_ptr<Engine> search_engine(std::shared_ptr<SegueIndex> index, std::size_t limit) {
  return std::make_unique<SegueEngine>(std::move(index), limit, false);
}

}  // namespace segue::bench_search
