// Caching edges as the multi-CDN (issue 17): the configured edges (name, base URL, region,
// weight), their health and latency from active probes, and the ranking play responses list
// stream URLs in. Free of HTTP server code: the prober (prober.h) is an HTTP client only.
//
// Health has hysteresis: an edge turns unhealthy after `failures_to_down` consecutive failed
// probes and healthy again after `successes_to_up` consecutive successes; an edge never probed
// yet is unhealthy, and its first successful probe makes it healthy (nothing speaks against it).
// Latency is an exponentially weighted moving average of successful probes.
// Ranking: healthy edges by latency EWMA / weight ascending (a bigger weight is more capacity),
// name as the tie-break; unhealthy edges are left out (the origin, always last, is the caller's).
//
// Threads: record() from the prober's thread (or a test), serialised by a mutex; ranking() from
// any thread, network threads included: an atomic load of an immutable snapshot, never blocks
// on the prober.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"

namespace segue::edge {

struct EdgeSpec {
  std::string name;      // [A-Za-z0-9_-]{1,32}, unique
  std::string base_url;  // http(s)://host[:port][/prefix], no trailing '/'
  std::string region;    // free text label ("eu", "us-east"); may be empty
  double weight = 1;     // relative capacity, > 0
};

// The compact form (setting `edges` in SEGUE_EDGES and --edges, and each string of the TOML
// array): entries separated by ',', each `NAME=URL[@REGION][*WEIGHT]`, e.g.
// `eu1=http://127.0.0.1:8301@eu*2,us1=https://us1.example.net@us`. Error::invalid naming the
// entry and what is wrong. Names must be unique across the whole list.
Result<std::vector<EdgeSpec>> parse_edges(const std::vector<std::string>& entries);

struct RankedEdge {
  std::string name;
  std::string base_url;
  std::string region;
  double latency_s = 0;  // the EWMA the rank came from
};
using Ranking = std::vector<RankedEdge>;

struct EdgeState {
  bool healthy = false;
  bool probed = false;           // at least one probe recorded
  double latency_ewma_s = 0;     // 0 until a successful probe
  int consecutive_ok = 0;
  int consecutive_failed = 0;
};

struct EdgeSetOptions {
  int failures_to_down = 2;
  int successes_to_up = 2;
  double ewma_alpha = 0.3;  // weight of the newest sample
};

class EdgeSet {
 public:
  explicit EdgeSet(std::vector<EdgeSpec> specs, EdgeSetOptions options = {});

  const std::vector<EdgeSpec>& specs() const { return specs_; }

  // One probe result of edge `index`: its latency if it answered 200 in time, nullopt if not.
  // Returns the edge's new health when this probe changed it (and logs one line), else nullopt.
  std::optional<bool> record(std::size_t index, std::optional<std::chrono::duration<double>> latency);

  // Healthy edges in rank order. Never blocks.
  std::shared_ptr<const Ranking> ranking() const { return ranking_.load(std::memory_order_acquire); }

  EdgeState state(std::size_t index) const;

  // segue_edge_healthy{edge} (1/0) and segue_edge_latency_seconds{edge} (the EWMA).
  void register_metrics(MetricsRegistry& metrics);

 private:
  void rebuild_locked();

  const std::vector<EdgeSpec> specs_;
  const EdgeSetOptions options_;
  mutable std::mutex mu_;
  std::vector<EdgeState> states_;
  std::vector<Gauge*> healthy_gauges_;
  std::atomic<std::shared_ptr<const Ranking>> ranking_;
};

}  // namespace segue::edge
