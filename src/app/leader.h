// The leader of a cluster (issue 17): the node that runs the work that must run once per
// cluster while it holds store::LeaderLease: the library scans (at start and every
// rescan_interval) and the scheduled jobs (transcode_ahead's queueing after each scan).
// Every node with the scanner role competes; the others retry every `every` (1 s), so when the
// leader dies another leads within about two seconds. A leader whose lease connection is lost
// stops leading at its next check (each tick checks it). On SQLite the one process leads.
//
// One log line on gaining and on losing leadership; gauge segue_leader{role="scanner"} 0/1.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/metrics.h"
#include "store/leader_lease.h"

namespace segue::app {

class Leadership {
 public:
  struct Hooks {
    std::function<void()> gained;  // start the leader's work (on the leadership thread)
    std::function<void()> lost;    // stop it (on the leadership thread, or in stop())
  };
  Leadership(std::unique_ptr<store::LeaderLease> lease, std::string role, MetricsRegistry& metrics, Hooks hooks,
             std::chrono::milliseconds every = std::chrono::seconds(1));
  ~Leadership();  // stop()
  Leadership(const Leadership&) = delete;
  Leadership& operator=(const Leadership&) = delete;

  // Starts the thread; its first tick competes at once. Once.
  void start();
  // Ends the thread; a leader runs `lost` and releases the lock.
  void stop();
  bool leading() const { return leading_.load(); }

 private:
  void run();
  void tick();

  std::unique_ptr<store::LeaderLease> lease_;
  std::string role_;
  Gauge& gauge_;
  Hooks hooks_;
  std::chrono::milliseconds every_;
  std::atomic<bool> leading_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace segue::app
