// The PostgreSQL driver behind store::Database (libpq).
//
// Statements arrive in the portable form the modules write (`?` placeholders); each is
// rewritten once per connection to `$1, $2 ...` and prepared under a generated name. Values go
// as text except blobs (binary, bytea); results come back as text and are decoded per column
// type, so Row behaves as the SQLite driver's does (bytea decoded from its hex form, booleans as
// 0/1, NULL as 0 / "").
//
// Writes run on a pool of writer connections at SERIALIZABLE isolation: whatever the modules
// wrote assuming SQLite's single writer still holds, because PostgreSQL refuses a transaction
// that would not be equivalent to running them one after another (SQLSTATE 40001) or that
// deadlocked (40P01), and write() then runs the callback again on a fresh transaction, up to
// kMaxAttempts times. After kSharedAttempts lost attempts a transaction runs alone among this
// process's writers (WriteGate), so writers that all touch the same rows (one user's library
// saved from many devices at once) cannot keep making each other lose: it can then only lose to
// another process. Reads run at REPEATABLE READ READ ONLY (one snapshot per read(), as WAL
// gives the SQLite driver's readers).
//
// A connection that breaks (server restarted, stopped with `pg_ctl -m immediate`, network) is
// reset before its next use; while the server is away every call fails fast with
// Error::unavailable (the API answers 503 with Retry-After) and the next call after it returns
// reconnects. A write whose COMMIT got no answer is reported as unavailable: the client is not
// told it succeeded.
#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "common/log.h"
#include "store/database.h"

namespace segue::store {
namespace {

constexpr int kMaxAttempts = 12;
constexpr int kSharedAttempts = 3;  // attempts run side by side; later ones run alone
constexpr unsigned kByteaOid = 17;
constexpr unsigned kBoolOid = 16;

// `?` -> `$n`, leaving quoted strings, quoted identifiers and comments alone.
std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char ch = sql[i];
    if (ch == '\'' || ch == '"') {
      const std::size_t end = sql.find(ch, i + 1);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (ch == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (ch == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += ch;
    }
  }
  return out;
}

bool retryable(const std::string& sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

// SQLSTATE classes: 08 connection, 57P0x shutdown/crash, 53 resources, 58 system I/O.
bool connection_lost(const std::string& sqlstate) {
  return sqlstate.empty() || sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P0", 0) == 0 ||
         sqlstate.rfind("53", 0) == 0 || sqlstate.rfind("58", 0) == 0;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

class PgRow final : public Row {
 public:
  explicit PgRow(const PGresult* r) : r_(r) {}
  void at(int row) { row_ = row; }
  bool is_null(int c) const override { return PQgetisnull(r_, row_, c) != 0; }
  int64_t i64(int c) const override {
    if (is_null(c)) return 0;
    const char* v = PQgetvalue(r_, row_, c);
    if (PQftype(r_, c) == kBoolOid) return v[0] == 't' ? 1 : 0;
    char* end = nullptr;
    const long long x = std::strtoll(v, &end, 10);
    if (end && (*end == '.' || *end == 'e' || *end == 'E')) return static_cast<int64_t>(std::strtod(v, nullptr));
    return x;
  }
  double f64(int c) const override {
    if (is_null(c)) return 0;
    return std::strtod(PQgetvalue(r_, row_, c), nullptr);
  }
  std::string text(int c) const override {
    if (is_null(c)) return {};
    if (PQftype(r_, c) == kByteaOid) return blob(c);
    return std::string(PQgetvalue(r_, row_, c), static_cast<std::size_t>(PQgetlength(r_, row_, c)));
  }
  std::string blob(int c) const override {
    if (is_null(c)) return {};
    const char* v = PQgetvalue(r_, row_, c);
    const auto len = static_cast<std::size_t>(PQgetlength(r_, row_, c));
    if (PQftype(r_, c) != kByteaOid) return std::string(v, len);
    // bytea_output = hex: "\x" then two hex digits per byte.
    std::string out;
    if (len < 2 || v[0] != '\\' || v[1] != 'x') return out;
    out.resize((len - 2) / 2);
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<char>(hex_value(v[2 + 2 * i]) << 4 | hex_value(v[3 + 2 * i]));
    return out;
  }

 private:
  const PGresult* r_;
  int row_ = 0;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class PgConnection final : public Connection {
 public:
  std::string_view engine() const override { return "postgres"; }
  PgConnection(std::string url, bool readonly) : url_(std::move(url)), readonly_(readonly) {}
  ~PgConnection() override {
    if (conn_) PQfinish(conn_);
  }

  // Connects, or reconnects a broken connection. Prepared statements die with the session.
  Status ensure_open() {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) return {};
    if (conn_) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
    prepared_.clear();
    conn_ = PQconnectdb(url_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      last_sqlstate_ = "08006";
      return Error::unavailable("the PostgreSQL server is unavailable: " + msg);
    }
    // Quiet NOTICEs (IF NOT EXISTS, ...) rather than libpq printing them on stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    if (ResultPtr r{PQexec(conn_, "SET client_min_messages = warning; SET bytea_output = hex")};
        PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return fail(r.get(), "session setup");
    return {};
  }

  const std::string& last_sqlstate() const { return last_sqlstate_; }
  void clear_sqlstate() { last_sqlstate_.clear(); }
  bool broken() const { return !conn_ || PQstatus(conn_) != CONNECTION_OK; }

  Result<int64_t> exec(std::string_view sql, const std::vector<Value>& params) override {
    SEGUE_ASSIGN_OR_RETURN(ResultPtr r, run(sql, params));
    const char* n = PQcmdTuples(r.get());
    return n && *n ? static_cast<int64_t>(std::strtoll(n, nullptr, 10)) : int64_t{0};
  }

  Status query(std::string_view sql, const std::vector<Value>& params, const RowFn& on_row) override {
    SEGUE_ASSIGN_OR_RETURN(ResultPtr r, run(sql, params));
    PgRow row(r.get());
    const int rows = PQntuples(r.get());
    for (int i = 0; i < rows; ++i) {
      row.at(i);
      on_row(row);
    }
    return {};
  }

  Status exec_script(std::string_view sql) override {
    if (!conn_) return Error::unavailable("the PostgreSQL connection is closed");
    ResultPtr r{PQexec(conn_, std::string(sql).c_str())};
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail(r.get(), "script");
    return {};
  }

 private:
  Result<ResultPtr> run(std::string_view sql, const std::vector<Value>& params) {
    if (!conn_) return Error::unavailable("the PostgreSQL connection is closed");
    std::string key(sql);
    auto it = prepared_.find(key);
    if (it == prepared_.end()) {
      std::string name = "s" + std::to_string(prepared_.size() + 1);
      const std::string text = number_placeholders(sql);
      ResultPtr p{PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr)};
      if (PQresultStatus(p.get()) != PGRES_COMMAND_OK) return fail(p.get(), "prepare");
      it = prepared_.emplace(std::move(key), std::move(name)).first;
    }
    // Text values (integers and reals printed exactly), blobs binary.
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              values[i] = nullptr;
            } else if constexpr (std::is_same_v<T, int64_t>) {
              texts[i] = std::to_string(v);
              values[i] = texts[i].c_str();
            } else if constexpr (std::is_same_v<T, double>) {
              char buf[32];
              std::snprintf(buf, sizeof buf, "%.17g", v);
              texts[i] = buf;
              values[i] = texts[i].c_str();
            } else if constexpr (std::is_same_v<T, std::string>) {
              // Text may not hold NUL bytes in PostgreSQL; callers store such values as blobs.
              values[i] = v.c_str();
            } else {
              values[i] = v.bytes.data();
              lengths[i] = static_cast<int>(v.bytes.size());
              formats[i] = 1;
            }
          },
          params[i]);
    }
    ResultPtr r{PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()), values.data(),
                               lengths.data(), formats.data(), 0)};
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail(r.get(), "statement");
    return r;
  }

  Error fail(const PGresult* r, std::string_view what) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    last_sqlstate_ = state ? state : "";
    std::string msg = r ? PQresultErrorMessage(r) : "";
    if (msg.empty() && conn_) msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    msg = std::string(what) + ": " + msg;
    if (broken() || (state == nullptr && conn_ && PQstatus(conn_) != CONNECTION_OK)) {
      if (last_sqlstate_.empty()) last_sqlstate_ = "08006";
      return Error::unavailable("lost the connection to PostgreSQL: " + msg);
    }
    // Integrity violations, and objects another transaction created first (42P07 duplicate
    // table, 42710 duplicate object).
    if (last_sqlstate_.rfind("23", 0) == 0 || last_sqlstate_ == "42P07" || last_sqlstate_ == "42710")
      return Error::conflict(msg);
    if (retryable(last_sqlstate_)) return Error::unavailable(msg);
    if (connection_lost(last_sqlstate_)) return Error::unavailable("PostgreSQL is unavailable: " + msg);
    if (last_sqlstate_ == "XX001" || last_sqlstate_ == "XX002") return Error::corruption(msg);
    return Error::internal(msg);
  }

  std::string url_;
  bool readonly_;
  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;
  std::string last_sqlstate_;
};

// A fixed set of connections handed out one caller at a time.
class Pool {
 public:
  Pool(const std::string& url, bool readonly, int size) {
    for (int i = 0; i < std::max(1, size); ++i) {
      all_.push_back(std::make_unique<PgConnection>(url, readonly));
      idle_.push_back(all_.back().get());
    }
  }
  PgConnection* take() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty(); });
    PgConnection* c = idle_.back();
    idle_.pop_back();
    return c;
  }
  void give(PgConnection* c) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(c);
    }
    cv_.notify_one();
  }
  PgConnection& first() { return *all_.front(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> all_;
  std::vector<PgConnection*> idle_;
};

// Writers enter shared, side by side; a writer that has lost too often enters alone, once the
// writers inside have left. A waiting lone writer keeps new ones out, so it cannot starve.
class WriteGate {
 public:
  void enter(bool alone) {
    std::unique_lock l(mu_);
    if (alone) {
      ++waiting_alone_;
      cv_.wait(l, [&] { return !alone_ && inside_ == 0; });
      --waiting_alone_;
      alone_ = true;
    } else {
      cv_.wait(l, [&] { return !alone_ && waiting_alone_ == 0; });
      ++inside_;
    }
  }
  void leave(bool alone) {
    std::lock_guard l(mu_);
    if (alone) alone_ = false;
    else --inside_;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int inside_ = 0;         // writers running side by side
  int waiting_alone_ = 0;  // writers waiting to run alone
  bool alone_ = false;     // a writer runs alone
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(const std::string& url, const Options& o)
      : writers_(url, false, o.writers), readers_(url, true, o.readers) {}

  Status open() {
    // One connection now, so a wrong URL or a server that is not there fails at start-up.
    PgConnection* c = writers_.take();
    Status s = c->ensure_open();
    writers_.give(c);
    return s;
  }

  Status write(const std::function<Status(Connection&)>& fn) override {
    PgConnection* c = writers_.take();
    Status out;
    for (int attempt = 1;; ++attempt) {
      const bool alone = attempt > kSharedAttempts;
      gate_.enter(alone);
      out = attempt_write(*c, fn);
      gate_.leave(alone);
      // A unique violation may be a race the SQL was written not to have on SQLite's single
      // writer (check, then insert): run again, until an attempt that ran alone says it is real.
      const bool again = retryable(c->last_sqlstate()) || (c->last_sqlstate() == "23505" && attempt <= kSharedAttempts);
      if (out.ok() || !again || attempt == kMaxAttempts) break;
      // Another transaction won: back off a little (randomised) and run the callback again.
      thread_local std::minstd_rand rng{std::random_device{}()};
      const int cap_us = std::min(20000, 200 << std::min(attempt, 7));
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % static_cast<unsigned>(cap_us)));
      retries_.fetch_add(1, std::memory_order_relaxed);
    }
    report(*c, out);
    writers_.give(c);
    return out;
  }

  Status read(const std::function<Status(Connection&)>& fn) override {
    PgConnection* c = readers_.take();
    Status out = c->ensure_open();
    if (out.ok()) {
      out = c->exec_script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      if (out.ok()) {
        out = fn(*c);
        Status end = c->exec_script(out.ok() ? "COMMIT" : "ROLLBACK");
        if (out.ok() && !end.ok()) out = end;
      }
    }
    report(*c, out);
    readers_.give(c);
    return out;
  }

  std::string_view engine() const override { return "postgres"; }

 private:
  Status attempt_write(PgConnection& c, const std::function<Status(Connection&)>& fn) {
    c.clear_sqlstate();
    SEGUE_TRY(c.ensure_open());
    SEGUE_TRY(c.exec_script("BEGIN ISOLATION LEVEL SERIALIZABLE"));
    Status s = fn(c);
    if (!s.ok()) {
      (void)c.exec_script("ROLLBACK");
      return s;
    }
    Status commit = c.exec_script("COMMIT");
    if (!commit.ok()) {
      (void)c.exec_script("ROLLBACK");
      return commit;
    }
    return {};
  }

  // One log line when the server goes away and one when it is back, not one per request.
  void report(PgConnection& c, const Status& s) {
    const bool lost = !s.ok() && s.error().code == ErrorCode::kUnavailable && !retryable(c.last_sqlstate());
    if (lost && !down_.exchange(true))
      log::error("PostgreSQL is unavailable; answering 503 until it is back", {{"error", s.error().message}});
    else if (s.ok() && down_.exchange(false))
      log::info("PostgreSQL is back; reconnected");
  }

  Pool writers_;
  Pool readers_;
  WriteGate gate_;
  std::atomic<bool> down_{false};
  std::atomic<uint64_t> retries_{0};
};

}  // namespace

Result<std::unique_ptr<Database>> Database::open_postgres(const std::string& url, const Options& options) {
  auto db = std::make_unique<PostgresDatabase>(url, options);
  SEGUE_TRY(db->open());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace segue::store

namespace segue::store {

std::string postgres_url_with_database(const std::string& url, const std::string& database) {
  // postgresql://[userinfo@][host][:port][/dbname][?params]
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t path = url.find('/', scheme + 3);
  const std::size_t query = url.find('?', scheme + 3);
  const std::string head = url.substr(0, path != std::string::npos && (query == std::string::npos || path < query)
                                                ? path
                                                : (query == std::string::npos ? url.size() : query));
  const std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + database + tail;
}

Status create_postgres_database(const std::string& admin_url, const std::string& name) {
  for (char ch : name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'))
      return Error::invalid("database names are letters, digits and _: " + name);
  PGconn* c = PQconnectdb(admin_url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    return Error::unavailable("cannot reach PostgreSQL at " + admin_url + ": " + msg);
  }
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const bool exists = state && (std::string(state) == "42P04" || std::string(state) == "23505");
  std::string msg = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok && !exists) return Error::unavailable("CREATE DATABASE " + name + ": " + msg);
  return {};
}

}  // namespace segue::store
