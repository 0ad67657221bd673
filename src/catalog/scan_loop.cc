#include "catalog/scan_loop.h"

#include "common/log.h"

namespace segue::catalog {

ScanLoop::ScanLoop(Scanner& scanner, std::vector<std::string> libraries, std::chrono::seconds interval,
                   MetricsRegistry& metrics)
    : scanner_(scanner),
      libraries_(std::move(libraries)),
      interval_(interval),
      done_(metrics.gauge("segue_scan_files_done", "Files read by the running scan")),
      total_(metrics.gauge("segue_scan_files_total", "Files found by the running scan")),
      running_(metrics.gauge("segue_scan_running", "1 while a library scan runs")),
      scans_(metrics.counter("segue_scans_total", "Library scans completed")) {}

ScanLoop::~ScanLoop() { stop(); }

void ScanLoop::start() {
  std::lock_guard control(control_mu_);
  if (closed_ || libraries_.empty() || thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void ScanLoop::pause() {
  std::lock_guard control(control_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ScanLoop::stop() {
  pause();
  std::lock_guard control(control_mu_);
  closed_ = true;
}

void ScanLoop::run() {
  for (;;) {
    running_.set(1);
    auto r = scanner_.scan(libraries_, false, [&](std::size_t done, std::size_t total) {
      done_.set(static_cast<int64_t>(done));
      total_.set(static_cast<int64_t>(total));
    });
    running_.set(0);
    scans_.inc();
    if (r.ok()) {
      log::info("scan finished", {{"files", std::to_string(r->files_seen)}, {"added", std::to_string(r->added)},
                                  {"updated", std::to_string(r->updated)}, {"removed", std::to_string(r->removed)},
                                  {"failed", std::to_string(r->failed.size())},
                                  {"ms", std::to_string(r->elapsed.count())}});
      for (const auto& f : r->failed) log::warn("scan skipped a file", {{"path", f.path}, {"reason", f.reason}});
      if (on_changed_ && (r->added || r->updated || r->moved)) on_changed_(*r);
    } else {
      log::error("scan failed", {{"reason", r.error().message}});
    }
    std::unique_lock lock(mu_);
    if (interval_.count() == 0) cv_.wait(lock, [&] { return stopping_; });
    else cv_.wait_for(lock, interval_, [&] { return stopping_; });
    if (stopping_) return;
  }
}

}  // namespace segue::catalog
