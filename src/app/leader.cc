#include "app/leader.h"

#include "common/log.h"

namespace segue::app {

Leadership::Leadership(std::unique_ptr<store::LeaderLease> lease, std::string role, MetricsRegistry& metrics,
                       Hooks hooks, std::chrono::milliseconds every)
    : lease_(std::move(lease)),
      role_(std::move(role)),
      gauge_(metrics.gauge("segue_leader", "1 while this node leads the cluster for the role (runs its once-per-cluster work)",
                           {{"role", role_}})),
      hooks_(std::move(hooks)),
      every_(every) {}

Leadership::~Leadership() { stop(); }

void Leadership::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Leadership::stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (leading_.exchange(false)) {
    if (hooks_.lost) hooks_.lost();
    gauge_.set(0);
    log::info("leadership released", {{"role", role_}, {"reason", "stopping"}});
  }
  lease_->release();
}

void Leadership::run() {
  for (;;) {
    tick();
    std::unique_lock l(mu_);
    if (cv_.wait_for(l, every_, [&] { return stopping_; })) return;
  }
}

void Leadership::tick() {
  const bool now = lease_->renew();
  const bool was = leading_.load();
  if (now == was) return;
  if (now) {
    leading_ = true;
    gauge_.set(1);
    log::info("leadership gained: this node runs the scanner and the scheduled jobs",
              {{"role", role_}, {"engine", lease_->on_postgres() ? "postgres" : "sqlite"}});
    if (hooks_.gained) hooks_.gained();
  } else {
    // The lock is gone with the connection (or was never ours): stop the work at once.
    leading_ = false;
    gauge_.set(0);
    log::warn("leadership lost: stopping the scanner and the scheduled jobs",
              {{"role", role_}, {"reason", lease_->last_error().empty() ? "lock not held" : lease_->last_error()}});
    if (hooks_.lost) hooks_.lost();
  }
}

}  // namespace segue::app
