#include <fcntl.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include "common/log.h"
#include "store/database.h"

namespace segue::store {
namespace {

Error sqlite_error(sqlite3* db, std::string_view what) {
  int code = db ? sqlite3_errcode(db) : SQLITE_ERROR;
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "sqlite error");
  int primary = code & 0xFF;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Error::corruption(msg);
  if (primary == SQLITE_CONSTRAINT) return Error::conflict(msg);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Error::unavailable(msg);
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN ||
      primary == SQLITE_READONLY || primary == SQLITE_PERM)
    return Error::unavailable(msg);
  return Error::internal(msg);
}

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  bool is_null(int c) const override { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  int64_t i64(int c) const override { return sqlite3_column_int64(s_, c); }
  double f64(int c) const override { return sqlite3_column_double(s_, c); }
  std::string text(int c) const override {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string();
  }
  std::string blob(int c) const override {
    auto* p = static_cast<const char*>(sqlite3_column_blob(s_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string();
  }

 private:
  sqlite3_stmt* s_;
};

class SqliteConnection final : public Connection {
 public:
  std::string_view engine() const override { return "sqlite"; }
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  sqlite3* raw() { return db_; }

  Result<int64_t> exec(std::string_view sql, const std::vector<Value>& params) override {
    SEGUE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return sqlite_error(db_, "exec");
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  Status query(std::string_view sql, const std::vector<Value>& params,
               const RowFn& on_row) override {
    SEGUE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, prepare(sql, params));
    SqliteRow row(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) on_row(row);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return sqlite_error(db_, "query");
    return {};
  }

  Status exec_script(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      return Error::internal("script: " + msg);
    }
    return {};
  }

 private:
  Result<sqlite3_stmt*> prepare(std::string_view sql, const std::vector<Value>& params) {
    std::string key(sql);
    sqlite3_stmt* stmt;
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      stmt = it->second;
    } else {
      if (sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()),
                             SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
        return sqlite_error(db_, "prepare");
      cache_.emplace(std::move(key), stmt);
    }
    sqlite3_clear_bindings(stmt);
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt))
      return Error::internal("parameter count mismatch for: " + std::string(sql));
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) return sqlite3_bind_null(stmt, idx);
            else if constexpr (std::is_same_v<T, int64_t>) return sqlite3_bind_int64(stmt, idx, v);
            else if constexpr (std::is_same_v<T, double>) return sqlite3_bind_double(stmt, idx, v);
            else if constexpr (std::is_same_v<T, std::string>)
              return sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
            else
              return sqlite3_bind_blob64(stmt, idx, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
          },
          params[i]);
      if (rc != SQLITE_OK) return sqlite_error(db_, "bind");
    }
    return stmt;
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

Result<std::unique_ptr<SqliteConnection>> open_connection(const std::string& path, bool readonly,
                                                          const Options& options) {
  sqlite3* db = nullptr;
  int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error e = sqlite_error(db, "open " + path);
    sqlite3_close_v2(db);
    return e;
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_extended_result_codes(db, 1);
  // journal_mode touches the file header: a non-database file fails here with SQLITE_NOTADB.
  std::string pragmas = readonly ? "PRAGMA query_only=1; PRAGMA foreign_keys=ON;"
                                 : options.full_sync
                                       ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                                       : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
  if (options.cache_size_kib > 0) pragmas += " PRAGMA cache_size=-" + std::to_string(options.cache_size_kib) + ";";
  char* err = nullptr;
  // Switching a new database to WAL takes an exclusive lock for which SQLite does not always
  // call the busy handler: two processes opening a new data directory at once (the CLI next to
  // a starting server) retry here rather than fail with "database is locked".
  int rc = SQLITE_OK;
  for (int attempt = 0;; ++attempt) {
    rc = sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, &err);
    const int primary = sqlite3_errcode(db) & 0xFF;
    if (rc == SQLITE_OK || (primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || attempt >= 400) break;
    sqlite3_free(err);
    err = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    int primary = sqlite3_errcode(db) & 0xFF;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
      return Error::corruption(path + " is not a valid Segue database (" + msg + ")");
    return Error::unavailable("cannot open " + path + ": " + msg);
  }
  return conn;
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::unique_ptr<SqliteConnection> writer,
                 std::vector<std::unique_ptr<SqliteConnection>> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {
    for (auto& r : readers_) idle_.push_back(r.get());
  }

  Status write(const std::function<Status(Connection&)>& fn) override {
    std::lock_guard lock(write_mu_);
    if (auto s = writer_->exec_script("BEGIN IMMEDIATE"); !s) return s;
    Status s = fn(*writer_);
    if (!s) {
      (void)writer_->exec_script("ROLLBACK");
      return s;
    }
    if (auto c = writer_->exec_script("COMMIT"); !c) {
      (void)writer_->exec_script("ROLLBACK");
      return c;
    }
    return {};
  }

  Status read(const std::function<Status(Connection&)>& fn) override {
    SqliteConnection* conn;
    {
      std::unique_lock lock(read_mu_);
      read_cv_.wait(lock, [&] { return !idle_.empty(); });
      conn = idle_.back();
      idle_.pop_back();
    }
    Status s = conn->exec_script("BEGIN");
    if (s) {
      s = fn(*conn);
      (void)conn->exec_script("COMMIT");
    }
    {
      std::lock_guard lock(read_mu_);
      idle_.push_back(conn);
    }
    read_cv_.notify_one();
    return s;
  }

  std::string_view engine() const override { return "sqlite"; }

 private:
  std::mutex write_mu_;
  std::unique_ptr<SqliteConnection> writer_;
  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;
  std::vector<SqliteConnection*> idle_;
};

}  // namespace

namespace {

// The database and its -wal and -shm files are the owner's only (issue 14): the file is created
// 0600 before SQLite opens it (SQLite gives -wal and -shm the database file's mode), and files
// an older version left readable by others are narrowed.
void restrict_to_owner(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return;
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string p = path + suffix;
    struct stat st{};
    if (::stat(p.c_str(), &st) != 0 || (st.st_mode & 077) == 0) continue;
    if (::chmod(p.c_str(), st.st_mode & 0700) == 0 && *suffix == '\0')
      log::info("database file was readable by others; made it the owner's only", {{"path", p}});
  }
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open_sqlite(const std::string& path,
                                                        const Options& options) {
  restrict_to_owner(path);
  SEGUE_ASSIGN_OR_RETURN(auto writer, open_connection(path, false, options));
  if (options.check_integrity) {
    std::string verdict;
    Status s = writer->query("PRAGMA quick_check", {}, [&](const Row& r) {
      if (verdict.empty()) verdict = r.text(0);
    });
    if (!s) return Error::corruption(path + " failed the integrity check: " + s.error().message);
    if (verdict != "ok")
      return Error::corruption(path + " failed the integrity check: " + verdict);
  }
  std::vector<std::unique_ptr<SqliteConnection>> readers;
  for (int i = 0; i < std::max(1, options.readers); ++i) {
    SEGUE_ASSIGN_OR_RETURN(auto r, open_connection(path, true, options));
    readers.push_back(std::move(r));
  }
  return std::unique_ptr<Database>(new SqliteDatabase(std::move(writer), std::move(readers)));
}

}  // namespace segue::store
