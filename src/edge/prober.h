// The edge prober: one thread that GETs `<base>/edge-health` of every configured edge each
// `interval` (all edges at once, libcurl's multi interface), with a `timeout` per probe, and
// records each answer (200 in time: its latency; anything else: a failure) in the EdgeSet.
// Started with the "api" role (start_roles), stopped and joined by stop() or the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "edge/edges.h"

namespace segue::edge {

struct ProberOptions {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{500};
};

class EdgeProber {
 public:
  EdgeProber(EdgeSet& edges, ProberOptions options);
  ~EdgeProber();
  EdgeProber(const EdgeProber&) = delete;
  EdgeProber& operator=(const EdgeProber&) = delete;

  void start();  // the first round runs at once
  void stop();

  // One round, on the caller's thread: probes every edge and records the results.
  void probe_once();

 private:
  void run();

  EdgeSet& edges_;
  const ProberOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace segue::edge
