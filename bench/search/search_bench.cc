// bench/search: search-as-you-type at N tracks, Segue (src/search, Xapian) next to SQLite FTS5
// in the same run. Prints `RESULT bench=search ...` lines (bench/search/run.sh makes the table).
//
// usage: segue_search_bench [--tracks N] [--queries Q] [--seed S] [--data DIR] [--dir TMPDIR]
//          [--threads 1,2,4] [--engines segue-suggest,segue-search,fts5,fts5-noprefix]
//          [--suggest-limit 10] [--search-limit 20] [--batch 10000] [--keep] [--reuse] [--slow K]
//          [--dump-queries FILE]
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catalog.h"
#include "engine.h"

using namespace segue::bench_search;
using segue::search::Kind;

namespace {

struct Options {
  std::size_t tracks = 1000000;
  std::size_t queries = 500;
  std::size_t natural = 100;  // make_natural_queries (issue 15), on top of `queries`
  uint64_t seed = 42;
  std::string data = SEGUE_SHARED_DATA "/catalog/tidytuesday-2020-01-21-spotify-songs";
  std::string dir = "search-bench-tmp";
  std::vector<int> threads = {1, 2, 4};
  std::vector<std::string> engines = {"segue-suggest", "segue-search", "fts5", "fts5-noprefix"};
  std::size_t suggest_limit = 10;
  std::size_t search_limit = 20;
  std::size_t batch = 10000;
  std::size_t slow = 15;
  bool keep = false;
  bool reuse = false;  // open the Segue index a --keep run left in --dir instead of building it
  std::string dump_queries;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value for " + a);
      return argv[++i];
    };
    if (a == "--tracks") o.tracks = std::stoull(val());
    else if (a == "--queries") o.queries = std::stoull(val());
    else if (a == "--natural") o.natural = std::stoull(val());
    else if (a == "--seed") o.seed = std::stoull(val());
    else if (a == "--data") o.data = val();
    else if (a == "--dir") o.dir = val();
    else if (a == "--threads") {
      o.threads.clear();
      for (auto& t : split(val(), ',')) o.threads.push_back(std::stoi(t));
    } else if (a == "--engines") o.engines = split(val(), ',');
    else if (a == "--suggest-limit") o.suggest_limit = std::stoull(val());
    else if (a == "--search-limit") o.search_limit = std::stoull(val());
    else if (a == "--batch") o.batch = std::stoull(val());
    else if (a == "--slow") o.slow = std::stoull(val());
    else if (a == "--keep") o.keep = true;
    else if (a == "--reuse") o.reuse = o.keep = true;
    else if (a == "--dump-queries") o.dump_queries = val();
    else throw std::runtime_error("unknown option " + a);
  }
  return o;
}

bool wants(const Options& o, const std::string& e) {
  return std::find(o.engines.begin(), o.engines.end(), e) != o.engines.end();
}

// Gives freed heap pages back to the system, so that an RSS delta measures what is held.
void trim_heap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double percentile(std::vector<double> v, double p) {  // nearest rank; v in microseconds
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
}

// The keystrokes, flattened: query q's keystrokes are first[q] .. first[q + 1] - 1.
struct Replay {
  std::vector<const std::string*> text;
  std::vector<uint32_t> query_of;
  std::vector<std::size_t> first;
};

Replay flatten(const std::vector<TypedQuery>& queries) {
  Replay rp;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    rp.first.push_back(rp.text.size());
    for (const auto& k : queries[q].keystrokes) {
      rp.text.push_back(&k);
      rp.query_of.push_back(static_cast<uint32_t>(q));
    }
  }
  rp.first.push_back(rp.text.size());
  return rp;
}

struct PassResult {
  std::vector<double> latency_us;  // per flattened keystroke
  double wall_s = 0, cpu_s = 0;
  std::size_t errors = 0;
  std::vector<QueryResult> final_results;  // per query, at its last keystroke (threads == 1)
};

PassResult replay(Engine& engine, const std::vector<TypedQuery>& queries, const Replay& rp, int threads, bool collect) {
  PassResult res;
  res.latency_us.assign(rp.text.size(), 0);
  if (collect) res.final_results.resize(queries.size());
  std::atomic<std::size_t> errors{0};
  std::vector<std::unique_ptr<Session>> sessions;
  for (int t = 0; t < threads; ++t) sessions.push_back(engine.session());
  auto work = [&](int t) {
    Session& s = *sessions[static_cast<std::size_t>(t)];
    for (std::size_t q = static_cast<std::size_t>(t); q < queries.size(); q += static_cast<std::size_t>(threads)) {
      for (std::size_t k = rp.first[q]; k < rp.first[q + 1]; ++k) {
        auto t0 = std::chrono::steady_clock::now();
        bool ok = s.run(*rp.text[k]);
        auto t1 = std::chrono::steady_clock::now();
        res.latency_us[k] = std::chrono::duration<double, std::micro>(t1 - t0).count();
        if (!ok) errors.fetch_add(1, std::memory_order_relaxed);
        if (collect && k + 1 == rp.first[q + 1]) s.collect(&res.final_results[q]);
      }
    }
  };
  double c0 = cpu_seconds();
  auto w0 = std::chrono::steady_clock::now();
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
    for (auto& th : pool) th.join();
  }
  res.wall_s = seconds_since(w0);
  res.cpu_s = cpu_seconds() - c0;
  res.errors = errors.load();
  return res;
}

int kind_slot(Kind k) { return k == Kind::kTrack ? 0 : k == Kind::kAlbum ? 1 : 2; }

// Whether `d` is indistinguishable from the query's target for the person who typed it: the
// target itself, or a document of the same kind with the same name (and the same artist when
// the artist was part of what was typed).
bool same_target(const Catalog& cat, const TypedQuery& q, uint32_t d) {
  if (d == q.target) return true;
  if (d >= cat.docs.size()) return false;
  const auto& a = cat.docs[d];
  const auto& t = cat.docs[q.target];
  if (a.kind != t.kind || plain_key(a.name) != plain_key(t.name)) return false;
  if (q.form.rfind("artist ", 0) == 0) {
    return !a.artists.empty() && !t.artists.empty() && plain_key(a.artists[0]) == plain_key(t.artists[0]);
  }
  return true;
}

void report_hits(const Catalog& cat, const std::string& engine, const std::vector<TypedQuery>& queries, const PassResult& r) {
  struct Count { std::size_t n = 0, hit10 = 0, hit1 = 0; };
  std::map<std::string, Count> counts;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const auto& q = queries[i];
    const auto& got = r.final_results[i].docs[static_cast<std::size_t>(kind_slot(q.kind))];
    bool h10 = false;
    for (std::size_t j = 0; j < std::min<std::size_t>(10, got.size()); ++j) h10 = h10 || same_target(cat, q, got[j]);
    bool h1 = !got.empty() && same_target(cat, q, got[0]);
    if (!h10) {
      std::printf("MISS engine=%s form=%s%s%s typed=\"%s\" target=\"%s\" got=%zu\n", engine.c_str(), q.form.c_str(),
                  q.typo ? " typo" : "", q.unaccented ? " unaccented" : "", q.text.c_str(), cat.docs[q.target].name.c_str(), got.size());
    }
    std::vector<std::string> subsets = {"all", q.natural ? "natural" : q.typo ? "typo" : "clean"};
    if (q.unaccented) subsets.push_back("unaccented");
    subsets.push_back("kind-" + std::string(q.kind == Kind::kTrack ? "track" : q.kind == Kind::kAlbum ? "album" : "artist"));
    for (const auto& s : subsets) {
      auto& c = counts[s];
      ++c.n;
      c.hit10 += h10;
      c.hit1 += h1;
    }
  }
  for (const auto& [subset, c] : counts) {
    std::printf("RESULT bench=search engine=%s phase=hits subset=%s n=%zu hit10=%zu hit1=%zu hit10_pct=%.1f hit1_pct=%.1f\n",
                engine.c_str(), subset.c_str(), c.n, c.hit10, c.hit1, 100.0 * static_cast<double>(c.hit10) / static_cast<double>(c.n),
                100.0 * static_cast<double>(c.hit1) / static_cast<double>(c.n));
  }
}

// Latency by how much has been typed: the characters of the whole query and of its last word.
void report_buckets(const std::string& engine, const Replay& rp, const std::vector<double>& lat, std::size_t slow) {
  auto bucket_of = [](std::size_t n) -> std::string {
    if (n <= 3) return std::to_string(n);
    if (n <= 5) return "4-5";
    if (n <= 8) return "6-8";
    if (n <= 12) return "9-12";
    return "13+";
  };
  std::map<std::string, std::vector<double>> by_len, by_last, by_words;
  for (std::size_t k = 0; k < rp.text.size(); ++k) {
    const std::string& t = *rp.text[k];
    std::size_t sp = t.rfind(' ');
    std::size_t last = sp == std::string::npos ? t.size() : t.size() - sp - 1;
    std::size_t words = 1 + static_cast<std::size_t>(std::count(t.begin(), t.end(), ' '));
    by_len[bucket_of(t.size())].push_back(lat[k]);
    by_last[bucket_of(last)].push_back(lat[k]);
    by_words[words >= 4 ? "4+" : std::to_string(words)].push_back(lat[k]);
  }
  auto print = [&](const char* by, const std::map<std::string, std::vector<double>>& m) {
    for (const auto& [key, v] : m) {
      std::printf("RESULT bench=search engine=%s phase=bucket by=%s key=%s n=%zu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
                  engine.c_str(), by, key.c_str(), v.size(), percentile(v, 0.5) / 1000, percentile(v, 0.99) / 1000,
                  *std::max_element(v.begin(), v.end()) / 1000);
    }
  };
  print("chars", by_len);
  print("last_word_chars", by_last);
  print("words", by_words);
  std::vector<std::size_t> idx(rp.text.size());
  for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
  std::size_t n = std::min(slow, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n), idx.end(),
                    [&](std::size_t a, std::size_t b) { return lat[a] > lat[b]; });
  for (std::size_t i = 0; i < n; ++i) {
    std::printf("SLOW engine=%s ms=%.3f q=\"%s\"\n", engine.c_str(), lat[idx[i]] / 1000, rp.text[idx[i]]->c_str());
  }
}

void run_engine(const Options& o, const Catalog& cat, Engine& engine, const std::vector<TypedQuery>& queries,
                const Replay& rp, const std::vector<int>& threads) {
  const std::string name = engine.name();
  // Warm-up (not measured): 50 other queries (another seed), every keystroke. Not the measured
  // ones: an engine that remembers work per typed word would otherwise replay some warm.
  {
    auto s = engine.session();
    for (const auto& q : make_queries(cat, 50, o.seed + 1000))
      for (const auto& k : q.keystrokes) (void)s->run(k);
  }
  for (int t : threads) {
    // The concurrent passes type other queries (seed + 100 x threads, the same for every
    // engine): replaying the single-client pass's keystrokes would find them remembered.
    std::vector<TypedQuery> other;
    Replay other_rp;
    if (t != 1) {
      other = make_queries(cat, queries.size(), o.seed + 100 * static_cast<uint64_t>(t));
      other_rp = flatten(other);
    }
    const auto& pass_queries = t == 1 ? queries : other;
    const Replay& pass_rp = t == 1 ? rp : other_rp;
    std::fprintf(stderr, "search-bench: %s replay, %d thread(s), %zu keystrokes\n", name.c_str(), t, pass_rp.text.size());
    PassResult r = replay(engine, pass_queries, pass_rp, t, t == 1);
    const auto& v = r.latency_us;
    double mean = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(std::max<std::size_t>(1, v.size()));
    std::printf("RESULT bench=search engine=%s phase=replay threads=%d keystrokes=%zu queries=%zu p50_ms=%.3f p90_ms=%.3f "
                "p99_ms=%.3f max_ms=%.3f mean_ms=%.3f wall_s=%.2f cpu_s=%.2f qps=%.0f errors=%zu\n",
                name.c_str(), t, v.size(), pass_queries.size(), percentile(v, 0.5) / 1000, percentile(v, 0.9) / 1000,
                percentile(v, 0.99) / 1000, v.empty() ? 0 : *std::max_element(v.begin(), v.end()) / 1000, mean / 1000,
                r.wall_s, r.cpu_s, static_cast<double>(v.size()) / r.wall_s, r.errors);
    if (t == 1) {
      report_hits(cat, name, queries, r);
      report_buckets(name, rp, v, o.slow);
    }
    std::fflush(stdout);
  }
}

}  // namespace

namespace segue::bench_search {
long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}
}  // namespace segue::bench_search

int main(int argc, char** argv) {
  try {
    Options o = parse(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::filesystem::create_directories(o.dir);
    long rss0 = rss_kb();
    auto g0 = std::chrono::steady_clock::now();
    Catalog cat = generate_catalog(o.data, o.tracks, o.seed);
    std::vector<TypedQuery> queries = make_queries(cat, o.queries, o.seed);
    for (auto& q : make_natural_queries(cat, o.natural, o.seed)) queries.push_back(std::move(q));
    Replay rp = flatten(queries);
    std::size_t typo = 0, unaccented = 0;
    std::map<std::string, std::size_t> forms;
    for (const auto& q : queries) {
      typo += q.typo;
      unaccented += q.unaccented;
      ++forms[q.form];
    }
    std::string form_list;
    for (const auto& [f, n] : forms) form_list += (form_list.empty() ? "" : ",") + f + ":" + std::to_string(n);
    for (auto& c : form_list) if (c == ' ') c = '_';
    std::printf("RESULT bench=search phase=catalog tracks=%zu albums=%zu artists=%zu real_tracks=%zu real_albums=%zu "
                "real_artists=%zu vocabulary=%zu seed=%llu gen_s=%.2f catalog_rss_mb=%.0f\n",
                cat.n_tracks, cat.n_albums, cat.n_artists, cat.real_tracks, cat.real_albums, cat.real_artists, cat.vocabulary,
                static_cast<unsigned long long>(o.seed), seconds_since(g0), static_cast<double>(rss_kb() - rss0) / 1024);
    std::printf("RESULT bench=search phase=queries queries=%zu keystrokes=%zu typo=%zu unaccented=%zu forms=%s\n", queries.size(),
                rp.text.size(), typo, unaccented, form_list.c_str());
    if (!o.dump_queries.empty()) {
      std::ofstream f(o.dump_queries);
      for (const auto& q : queries) {
        f << q.form << "\t" << (q.typo ? "typo" : "clean") << (q.unaccented ? ",unaccented" : "") << "\t" << q.text << "\t"
          << cat.docs[q.target].name << "\n";
      }
    }

#ifdef SEARCH_BENCH_WITH_SEGUE
    if (wants(o, "segue-suggest") || wants(o, "segue-search")) {
      std::fprintf(stderr, "search-bench: building the Segue index (%zu documents)\n", cat.docs.size());
      BuildStats b;
      long r0 = rss_kb();
      bool reuse = o.reuse && std::filesystem::exists(o.dir + "/segue");
      auto ix = reuse ? open_segue(cat, o.dir + "/segue", &b) : build_segue(cat, o.dir + "/segue", o.batch, &b);
      std::printf("RESULT bench=search engine=segue phase=%s docs=%zu seconds=%.2f docs_per_s=%.0f bytes=%llu rss_delta_mb=%.0f %s\n",
                  reuse ? "open" : "build", b.docs, b.seconds, static_cast<double>(b.docs) / b.seconds,
                  static_cast<unsigned long long>(b.bytes), static_cast<double>(rss_kb() - r0) / 1024, b.note.c_str());
      if (!reuse) {
        // What a restart pays: the built index closed, then opened again as the server does at
        // start (open_segue notes the RSS SearchIndex::open added, and the process's RSS after).
        ix.reset();
        trim_heap();
        BuildStats ob;
        ix = open_segue(cat, o.dir + "/segue", &ob);
        std::printf("RESULT bench=search engine=segue phase=open docs=%zu seconds=%.2f bytes=%llu %s\n", ob.docs,
                    ob.seconds, static_cast<unsigned long long>(ob.bytes), ob.note.c_str());
      }
      if (wants(o, "segue-suggest")) {
        auto e = suggest_engine(ix, o.suggest_limit);
        run_engine(o, cat, *e, queries, rp, o.threads);
      }
      if (wants(o, "segue-search")) {
        auto e = search_engine(ix, o.search_limit);
        run_engine(o, cat, *e, queries, rp, o.threads);
      }
    }
#else
    if (wants(o, "segue-suggest") || wants(o, "segue-search")) {
      std::fprintf(stderr, "search-bench: built without segue_search; Segue engines skipped\n");
    }
#endif
    for (const char* name : {"fts5", "fts5-noprefix"}) {
      if (!wants(o, name)) continue;
      bool prefix = std::strcmp(name, "fts5") == 0;
      std::fprintf(stderr, "search-bench: building %s\n", name);
      BuildStats b;
      long r0 = rss_kb();
      auto e = build_fts5(cat, o.dir + "/" + name + ".db", prefix, &b);
      std::printf("RESULT bench=search engine=%s phase=build docs=%zu seconds=%.2f docs_per_s=%.0f bytes=%llu rss_delta_mb=%.0f %s\n",
                  name, b.docs, b.seconds, static_cast<double>(b.docs) / b.seconds, static_cast<unsigned long long>(b.bytes),
                  static_cast<double>(rss_kb() - r0) / 1024, b.note.c_str());
      // Without the prefix index only the single-client figures (it exists to answer "does
      // prefix='2 3' help").
      run_engine(o, cat, *e, queries, rp, prefix ? o.threads : std::vector<int>{1});
    }
    if (!o.keep) std::filesystem::remove_all(o.dir);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "segue_search_bench: %s\n", e.what());
    return 1;
  }
}
