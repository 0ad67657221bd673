#include "store/leader_lease.h"

#include <libpq-fe.h>

#include "store/database.h"

namespace segue::store {

struct LeaderLease::Conn {
  PGconn* pg = nullptr;
  ~Conn() {
    if (pg) PQfinish(pg);
  }
};

LeaderLease::LeaderLease(std::string location, int64_t key)
    : location_(std::move(location)), key_(key), postgres_(is_postgres_url(location_)) {
  if (!postgres_) held_ = true;
}

LeaderLease::~LeaderLease() { release(); }

void LeaderLease::release() {
  if (!postgres_) return;
  conn_.reset();
  held_ = false;
}

std::string LeaderLease::last_error() const { return error_; }

namespace {
std::string trimmed(const char* m) {
  std::string s = m ? m : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

bool LeaderLease::renew() {
  if (!postgres_) return true;
  if (conn_ && PQstatus(conn_->pg) != CONNECTION_OK) release();
  if (!conn_) {
    // A dead peer or network must not hang the check: bounded connect and TCP timeouts.
    const char* keys[] = {"dbname", "connect_timeout", "tcp_user_timeout", "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "application_name", nullptr};
    const char* values[] = {location_.c_str(), "3", "3000", "2", "1", "2", "segue-leader", nullptr};
    auto c = std::make_unique<Conn>();
    c->pg = PQconnectdbParams(keys, values, 1);
    if (PQstatus(c->pg) != CONNECTION_OK) {
      error_ = "cannot reach PostgreSQL: " + trimmed(PQerrorMessage(c->pg));
      held_ = false;
      return false;
    }
    PQsetNoticeProcessor(c->pg, [](void*, const char*) {}, nullptr);
    conn_ = std::move(c);
  }
  // Holding: one round trip proves the session (and so the lock) is alive. Not holding: try.
  const std::string sql = held_ ? "SELECT 1" : "SELECT pg_try_advisory_lock(" + std::to_string(key_) + ")";
  PGresult* r = PQexec(conn_->pg, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
  const bool got = ok && (held_ || std::string(PQgetvalue(r, 0, 0)) == "t");
  if (!ok) error_ = "leader lock: " + trimmed(PQerrorMessage(conn_->pg));
  else error_.clear();
  PQclear(r);
  if (!ok) {
    release();
    return false;
  }
  held_ = got;
  return got;
}

}  // namespace segue::store
