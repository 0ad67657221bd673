// Leadership of a cluster's once-per-cluster work (the scanner, the scheduled jobs): whoever
// holds a session-level PostgreSQL advisory lock (`pg_try_advisory_lock(key)`) on a connection
// of its own leads. The lock lives as long as that session, so a leader that dies (kill -9, a
// lost network) releases it when its connection drops and another node's next renew() takes it.
// On SQLite there is one process per database: it always leads.
//
// Threads: one thread calls renew() (blocking: network), any thread may read held().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace segue::store {

// The advisory-lock key of the scanner and scheduled jobs (migrations use another, 7361426).
inline constexpr int64_t kScannerLeaderKey = 7361427;
// The recommendation models' scheduled training (issue 18).
inline constexpr int64_t kRecommendLeaderKey = 7361428;
// Smart-playlist refreshes (issue 18): one node of a cluster rewrites them.
inline constexpr int64_t kSmartPlaylistsLeaderKey = 7361429;

class LeaderLease {
 public:
  // `location`: a PostgreSQL URL (the lock is taken on a dedicated connection opened by
  // renew()), or anything else (an SQLite path: the one process always leads).
  LeaderLease(std::string location, int64_t key);
  ~LeaderLease();  // closes the connection: the lock goes with it
  LeaderLease(const LeaderLease&) = delete;
  LeaderLease& operator=(const LeaderLease&) = delete;

  // Blocking (connects, one round trip). Not holding: tries to take the lock (connecting first
  // if needed). Holding: checks that the connection still answers (a dropped connection has
  // released the lock on the server, so it no longer leads). Returns whether it holds it now.
  bool renew();
  bool held() const { return held_.load(); }
  // Closes the connection, releasing the lock; the next renew() competes again.
  void release();
  // Why the last renew() failed to reach the server (empty when it reached it).
  std::string last_error() const;
  bool on_postgres() const { return postgres_; }

 private:
  struct Conn;
  std::string location_;
  int64_t key_;
  bool postgres_;
  std::unique_ptr<Conn> conn_;
  std::atomic<bool> held_{false};
  std::string error_;
};

}  // namespace segue::store
