// The playlist sequence CRDT (src/playlist/crdt.h) on real text-editing traces, element =
// one character (Unicode code point). Traces: ../shared/data/crdt-traces (CC BY 4.0, see its
// README): sequential/automerge-paper (Kleppmann's LaTeX paper, 259,778 single-char edits) and
// concurrent/{friendsforever,clownschool}.
//
// usage: segue_crdt_bench [TRACE_DIR]   prints RESULT lines (see bench/crdt/run.sh)
//
// Sequential: one replica applies every patch [pos, del, ins] as local removes/inserts.
// Concurrent: one replica per agent; before an agent's txn its replica receives the ops of all
// the txn's ancestors it lacks (the document state at `parents`), then applies the patches
// locally; at the end a fresh replica merges every op in the agents' order. Both check the
// final text against endContent.
#include <malloc.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "playlist/crdt.h"

namespace json = boost::json;
using segue::playlist::Op;
using segue::playlist::Sequence;

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
// CPU time of the process (the machine is shared: wall time alone is noisy).
double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string read_gzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::exit(1);
  }
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

std::vector<std::string> code_points(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.emplace_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string text_of(const Sequence& s) {
  std::string out;
  for (const auto& e : s.entries()) out += e.value;
  return out;
}

std::size_t heap_in_use() { return mallinfo2().uordblks + mallinfo2().hblkhd; }

long status_kb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  return 0;
}

struct Patch {
  std::size_t pos, del;
  std::vector<std::string> ins;
};
struct Txn {
  std::vector<std::size_t> parents;
  std::size_t agent = 0;
  std::vector<Patch> patches;
};
struct Trace {
  std::string end;
  std::size_t agents = 1;
  std::vector<Txn> txns;
};

Trace load(const std::string& path) {
  json::value v = json::parse(read_gzip(path));
  Trace t;
  const json::object& o = v.as_object();
  t.end = std::string(o.at("endContent").as_string());
  if (auto* a = o.if_contains("numAgents")) t.agents = static_cast<std::size_t>(a->to_number<int64_t>());
  for (const json::value& tv : o.at("txns").as_array()) {
    const json::object& to = tv.as_object();
    Txn txn;
    if (auto* p = to.if_contains("parents"))
      for (const json::value& x : p->as_array()) txn.parents.push_back(static_cast<std::size_t>(x.to_number<int64_t>()));
    if (auto* a = to.if_contains("agent")) txn.agent = static_cast<std::size_t>(a->to_number<int64_t>());
    for (const json::value& pv : to.at("patches").as_array()) {
      const json::array& p = pv.as_array();
      txn.patches.push_back({static_cast<std::size_t>(p[0].to_number<int64_t>()),
                             static_cast<std::size_t>(p[1].to_number<int64_t>()),
                             code_points(p[2].as_string())});
    }
    t.txns.push_back(std::move(txn));
  }
  return t;
}

void apply_patches(Sequence& s, const Txn& txn, std::vector<Op>* out) {
  for (const Patch& p : txn.patches) {
    for (std::size_t k = 0; k < p.del; ++k) {
      auto r = s.remove(p.pos);
      if (!r.ok()) {
        std::fprintf(stderr, "remove failed at %zu\n", p.pos);
        std::exit(1);
      }
      if (out) out->push_back(std::move(r).value());
    }
    for (std::size_t k = 0; k < p.ins.size(); ++k) {
      auto r = s.insert(p.pos + k, p.ins[k]);
      if (!r.ok()) {
        std::fprintf(stderr, "insert failed at %zu\n", p.pos + k);
        std::exit(1);
      }
      if (out) out->push_back(std::move(r).value());
    }
  }
}

// Snapshot figures shared by both kinds of trace.
void report_snapshot(const char* name, const Sequence& s, const std::string& expected, double ms,
                     double cpu, std::size_t heap, long rss_kb, std::size_t ops) {
  auto t0 = Clock::now();
  std::string snap = s.encode_snapshot();
  double encode_ms = ms_since(t0);
  t0 = Clock::now();
  auto loaded = Sequence::decode_snapshot(snap, 99);
  std::string text = loaded.ok() ? text_of(*loaded) : "";
  double load_ms = ms_since(t0);
  bool ok = loaded.ok() && text == expected && text_of(s) == expected;
  std::printf(
      "RESULT bench=crdt impl=segue trace=%s ops=%zu ms=%.1f cpu_ms=%.1f heap_bytes=%zu rss_delta_kb=%ld "
      "state_bytes=%zu bytes_per_op=%.1f snapshot_bytes=%zu encode_ms=%.1f load_ms=%.1f ok=%d\n",
      name, ops, ms, cpu, heap, rss_kb, s.memory_bytes(), static_cast<double>(s.memory_bytes()) / static_cast<double>(s.op_count()),
      snap.size(), encode_ms, load_ms, ok ? 1 : 0);
  std::fflush(stdout);
  if (!ok) std::fprintf(stderr, "%s: final text does not match endContent\n", name);
}

int sequential(const std::string& dir, const char* name) {
  Trace t = load(dir + "/sequential/" + name + ".json.gz");
  std::size_t ops = 0;
  for (const Txn& x : t.txns)
    for (const Patch& p : x.patches) ops += p.del + p.ins.size();
  malloc_trim(0);
  std::size_t heap0 = heap_in_use();
  long rss0 = status_kb("VmRSS:");
  auto t0 = Clock::now();
  double c0 = cpu_ms();
  Sequence s(1);
  for (const Txn& x : t.txns) apply_patches(s, x, nullptr);
  double ms = ms_since(t0);
  double cpu = cpu_ms() - c0;
  std::size_t heap = heap_in_use() - heap0;
  long rss = status_kb("VmRSS:") - rss0;
  report_snapshot(name, s, t.end, ms, cpu, heap, rss, ops);
  return text_of(s) == t.end ? 0 : 1;
}

int concurrent(const std::string& dir, const char* name) {
  Trace t = load(dir + "/concurrent/" + name + ".json.gz");
  malloc_trim(0);
  std::size_t heap0 = heap_in_use();
  long rss0 = status_kb("VmRSS:");
  auto t0 = Clock::now();
  double c0 = cpu_ms();
  std::vector<Sequence> reps;
  for (std::size_t a = 0; a < t.agents; ++a) reps.emplace_back(a + 1);
  std::vector<std::vector<Op>> txn_ops(t.txns.size());
  std::vector<std::vector<char>> has(t.agents, std::vector<char>(t.txns.size(), 0));
  std::vector<std::size_t> stack, need;
  std::size_t ops = 0;
  for (std::size_t i = 0; i < t.txns.size(); ++i) {
    const Txn& x = t.txns[i];
    auto& mine = has[x.agent];
    // The ancestors this replica lacks, applied in trace order (which is causal).
    need.clear();
    stack.assign(x.parents.begin(), x.parents.end());
    while (!stack.empty()) {
      std::size_t p = stack.back();
      stack.pop_back();
      if (mine[p]) continue;
      mine[p] = 1;
      need.push_back(p);
      for (std::size_t q : t.txns[p].parents) stack.push_back(q);
    }
    std::sort(need.begin(), need.end());
    for (std::size_t p : need)
      for (const Op& op : txn_ops[p]) (void)reps[x.agent].apply(op);
    apply_patches(reps[x.agent], x, &txn_ops[i]);
    mine[i] = 1;
    ops += txn_ops[i].size();
  }
  Sequence merged(1000);
  for (const auto& v : txn_ops)
    for (const Op& op : v) (void)merged.apply(op);
  double ms = ms_since(t0);
  double cpu = cpu_ms() - c0;
  std::size_t heap = heap_in_use() - heap0;
  long rss = status_kb("VmRSS:") - rss0;
  report_snapshot(name, merged, t.end, ms, cpu, heap, rss, ops);
  return text_of(merged) == t.end ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : SEGUE_SHARED_DATA "/crdt-traces";
  int bad = sequential(dir, "automerge-paper");
  bad |= concurrent(dir, "friendsforever");
  bad |= concurrent(dir, "clownschool");
  return bad;
}
