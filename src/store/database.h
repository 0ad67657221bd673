// Storage access for every module. Modules talk to a `Database` through portable SQL
// (`?` placeholders, INTEGER/REAL/TEXT/BLOB, `INSERT ... ON CONFLICT`, no engine-specific
// functions) and two engines run the same statements: SQLite (embedded, the default) and
// PostgreSQL (`postgresql://...`). Schema text is written in SQLite's form; `migrate()` runs it
// translated for PostgreSQL (`postgres_schema()`), or a migration's own `postgres` text where
// more than the types differ.
//
// Threads: any thread may call read() and write(); they block on disk or the network, so call
// them from a worker pool, never from a network thread. On SQLite writes are serialised on one
// connection; on PostgreSQL several writer connections run at SERIALIZABLE isolation and a
// transaction that lost a conflict runs its callback again (so a write callback must only touch
// the database, or state it resets itself). Reads run concurrently on a pool of read-only
// connections, each read() one consistent snapshot.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace segue::store {

class Database;

struct Blob {
  std::string bytes;
};
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

// Helpers that turn optionals into NULLs.
inline Value opt(const std::optional<std::string>& s) {
  return s ? Value(*s) : Value(nullptr);
}
inline Value opt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(nullptr); }

// One result row. Columns are 0-based; accessors on NULL give 0 / "".
class Row {
 public:
  virtual ~Row() = default;
  virtual bool is_null(int col) const = 0;
  virtual int64_t i64(int col) const = 0;
  virtual double f64(int col) const = 0;
  virtual std::string text(int col) const = 0;
  virtual std::string blob(int col) const = 0;
  std::optional<int64_t> opt_i64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<int64_t>(i64(col));
  }
  std::optional<std::string> opt_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
  }
};

using RowFn = std::function<void(const Row&)>;

// A connection inside read() or write(). Not thread-safe; do not keep it past the callback.
class Connection {
 public:
  virtual ~Connection() = default;
  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs a query and calls `on_row` for each row.
  virtual Status query(std::string_view sql, const std::vector<Value>& params,
                       const RowFn& on_row) = 0;
  // Convenience: the first column of the first row as an integer, or nullopt for no rows.
  Result<std::optional<int64_t>> query_int(std::string_view sql,
                                           const std::vector<Value>& params = {});
  // Runs several statements separated by ';' without parameters (migrations).
  virtual Status exec_script(std::string_view sql) = 0;
  // The engine's name ("sqlite", "postgres"), for the few statements that must differ (row
  // locks that only PostgreSQL has and needs: SQLite has a single writer).
  virtual std::string_view engine() const = 0;
};

struct Migration {
  int version;         // 1, 2, 3 ... within its module
  std::string sql;     // one or more statements, SQLite's dialect
  // PostgreSQL's text where more than postgres_schema()'s translation differs (SQLite-only
  // functions in a data migration, table rebuilds); empty: postgres_schema(sql).
  std::string postgres = {};
};

// SQLite schema text as PostgreSQL's: INTEGER -> BIGINT (SQLite integers are 64-bit), REAL ->
// DOUBLE PRECISION, BLOB -> BYTEA, `WITHOUT ROWID` dropped (every PostgreSQL table is a heap
// with its primary key as an index). Keywords must be written in upper case, as the modules do.
std::string postgres_schema(std::string_view sqlite_sql);


struct Options {
  int readers = 4;                // read-only connections
  bool check_integrity = true;    // run a quick integrity check when opening
  int writers = 4;                // writer connections (PostgreSQL; SQLite has one)
  // Page cache per connection in KiB (PRAGMA cache_size = -N); 0 keeps SQLite's default (2 MiB).
  int cache_size_kib = 0;
  // true: synchronous=FULL, every commit is fsynced (survives power loss). false:
  // synchronous=NORMAL: a commit survives kill -9 and stays atomic, but the newest commits may
  // roll back after a power loss (for state that can be rebuilt, e.g. from a log).
  bool full_sync = true;
};

class Database {
 public:
  virtual ~Database() = default;

  // Opens (creating if needed) an SQLite database in WAL mode with synchronous=FULL (unless
  // options.full_sync is false), so a committed write survives power loss and kill -9. A file that is not a database, or fails
  // the integrity check, gives Error::corruption.
  static Result<std::unique_ptr<Database>> open_sqlite(const std::string& path,
                                                       const Options& options = {});

  // Connects to PostgreSQL (a libpq URL: postgresql://user@host/db, or with ?host=/socket/dir).
  // The server must be reachable; later outages give Error::unavailable per call and the
  // connections come back by themselves.
  static Result<std::unique_ptr<Database>> open_postgres(const std::string& url, const Options& options = {});
  // open_postgres for a PostgreSQL URL, else open_sqlite on the path.
  static Result<std::unique_ptr<Database>> open(const std::string& location, const Options& options = {});

  // Runs `fn` in a transaction on a writer connection. Commits if `fn` succeeds and
  // rolls back otherwise. On success the data is durable when write() returns.
  virtual Status write(const std::function<Status(Connection&)>& fn) = 0;
  // Runs `fn` on a read-only connection inside a read transaction (a consistent snapshot).
  virtual Status read(const std::function<Status(Connection&)>& fn) = 0;

  // Brings `module`'s schema to the newest of `migrations`, each in its own transaction.
  // Refuses with Error::conflict if the database holds a newer version of the module's schema
  // than this binary knows (written by a newer Segue).
  Status migrate(std::string_view module, const std::vector<Migration>& migrations);

  // The engine's name, for logs and for SQL that must differ ("sqlite", "postgres").
  virtual std::string_view engine() const = 0;
};

// `url` naming database `database` instead of its own.
std::string postgres_url_with_database(const std::string& url, const std::string& database);
// CREATE DATABASE `name` (letters, digits, _) through `admin_url`; an existing one is kept.
Status create_postgres_database(const std::string& admin_url, const std::string& name);

// Hands out databases by name: what a module that keeps several databases (the event
// consumers' derived state) is given by the composition root instead of opening files itself.
using DatabaseFactory = std::function<Result<std::unique_ptr<Database>>(const std::string& name)>;
// A factory of SQLite files `<dir>/<name>.db` (the directory is created on first use).
DatabaseFactory sqlite_files(const std::string& dir, const Options& options = {});

// True for a PostgreSQL connection URL (postgresql:// or postgres://).
bool is_postgres_url(std::string_view location);

}  // namespace segue::store
