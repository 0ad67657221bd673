// bench/search: the engines under test behind one small interface, so that every engine replays
// exactly the same keystrokes through the same timing loop (search_bench.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "catalog.h"

namespace segue::bench_search {

// What came back for one query, as indexes into Catalog::docs, per kind (track, album, artist),
// best first.
struct QueryResult {
  std::array<std::vector<uint32_t>, 3> docs;
};

// One thread's handle on an engine (Segue: the shared Searcher; FTS5: its own connection).
class Session {
 public:
  virtual ~Session() = default;
  // Runs one query (timed by the caller). False on an engine error.
  virtual bool run(const std::string& typed) = 0;
  // The result of the last run(), converted outside the timed region.
  virtual void collect(QueryResult* out) = 0;
};

struct BuildStats {
  std::size_t docs = 0;
  double seconds = 0;       // the whole build, commit (and FTS5's optimize) included
  uint64_t bytes = 0;       // on disk after the build
  std::string note;         // extra key=value pairs for the RESULT line
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  virtual std::unique_ptr<Session> session() = 0;
};

uint64_t dir_bytes(const std::string& path);  // sum of file sizes under path (or of the file)
long rss_kb();                                 // this process's VmRSS

// FTS5 (fts5.cc). `prefix_index` adds prefix='2 3'.
std::unique_ptr<Engine> build_fts5(const Catalog& cat, const std::string& path, bool prefix_index,
                                   BuildStats* stats);

#ifdef SEARCH_BENCH_WITH_SEGUE
// Segue (segue_engine.cc): builds the index once; `suggest_engine` / `search_engine` query it.
class SegueIndex;
std::shared_ptr<SegueIndex> build_segue(const Catalog& cat, const std::string& dir, std::size_t batch,
                                        BuildStats* stats);
// Opens an index a kept earlier run built from the same catalog (--reuse: query-path work
// without the rebuild); `stats->seconds` is then the time to open it and load the in-memory index.
std::shared_ptr<SegueIndex> open_segue(const Catalog& cat, const std::string& dir, BuildStats* stats);
std::unique_ptr<Engine> suggest_engine(std::shared_ptr<SegueIndex> index, std::size_t limit);
std::unique_ptr<Engine> search_engine(std::shared_ptr<SegueIndex> index, std::size_t limit);
#endif

}  // namespace segue::bench_search
