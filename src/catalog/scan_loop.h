// The library scans of a node with the scanner role: one at start, then every `interval`
// (0: only the one at start), on a thread of their own so a long scan never occupies the
// request workers. Each scan's progress is in the registry given to the constructor
// (segue_scan_running, segue_scan_files_done, segue_scan_files_total, segue_scans_total).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "catalog/scanner.h"
#include "common/metrics.h"

namespace segue::catalog {

class ScanLoop {
 public:
  ScanLoop(Scanner& scanner, std::vector<std::string> libraries, std::chrono::seconds interval,
           MetricsRegistry& metrics);
  ~ScanLoop();  // stop()

  // Starts the thread (nothing to do without libraries): a scan now, then every interval.
  // Again after pause(); never after stop().
  void start();
  // Ends the wait for the next scan and joins the thread (a running scan finishes first);
  // start() may run it again (a node that lost, then regained, the cluster's leadership).
  void pause();
  // As pause(), for good.
  void stop();
  // Called on the scan thread after each successful scan that added, changed or moved a track
  // (what follows the catalog's content, such as matching imported listens). Set before start().
  void on_changed(std::function<void(const ScanReport&)> fn) { on_changed_ = std::move(fn); }

 private:
  void run();

  Scanner& scanner_;
  std::vector<std::string> libraries_;
  std::chrono::seconds interval_;
  Gauge& done_;
  Gauge& total_;
  Gauge& running_;
  Counter& scans_;
  std::mutex control_mu_;  // start/pause/stop from different threads
  bool closed_ = false;    // stop() was called
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::function<void(const ScanReport&)> on_changed_;
};

}  // namespace segue::catalog
