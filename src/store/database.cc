#include "store/database.h"
#include "store/health.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>

namespace segue::store {

Result<std::optional<int64_t>> Connection::query_int(std::string_view sql,
                                                     const std::vector<Value>& params) {
  std::optional<int64_t> out;
  Status s = query(sql, params, [&](const Row& r) {
    if (!out) out = r.i64(0);
  });
  if (!s) return s.error();
  return out;
}

std::string postgres_schema(std::string_view sqlite_sql) {
  static const std::regex kRules[] = {std::regex(R"(\bWITHOUT ROWID\b)"), std::regex(R"(\bINTEGER\b)"),
                                      std::regex(R"(\bREAL\b)"), std::regex(R"(\bBLOB\b)")};
  static const char* kWith[] = {"", "BIGINT", "DOUBLE PRECISION", "BYTEA"};
  std::string out(sqlite_sql);
  for (std::size_t i = 0; i < std::size(kRules); ++i) out = std::regex_replace(out, kRules[i], kWith[i]);
  return out;
}

DatabaseFactory sqlite_files(const std::string& dir, const Options& options) {
  return [dir, options](const std::string& name) -> Result<std::unique_ptr<Database>> {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error::unavailable("cannot create " + dir + ": " + ec.message());
    return Database::open_sqlite(dir + "/" + name + ".db", options);
  };
}

bool is_postgres_url(std::string_view location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Database>> Database::open(const std::string& location, const Options& options) {
  if (is_postgres_url(location)) return open_postgres(location, options);
  return open_sqlite(location, options);
}

Status Database::migrate(std::string_view module, const std::vector<Migration>& migrations) {
  const std::string mod(module);
  int known = 0;
  for (const auto& m : migrations) known = std::max(known, m.version);
  std::vector<Migration> todo = migrations;
  std::sort(todo.begin(), todo.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  // Each step re-reads the version inside its own write transaction, so concurrent callers
  // (two modules opening at once, or two processes) apply every migration exactly once.
  auto current_version = [&](Connection& c) -> Result<int64_t> {
    // PostgreSQL: migrations of every process on the database run one at a time (concurrent
    // CREATE TABLE IF NOT EXISTS collide in the catalog otherwise); the lock ends with the
    // transaction.
    if (engine() == "postgres") SEGUE_TRY(c.exec("SELECT pg_advisory_xact_lock(7361426)"));
    SEGUE_TRY(c.exec(
        engine() == "postgres"
            ? "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version BIGINT NOT "
              "NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (module, version))"
            : "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT "
              "NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (module, version))"));
    SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int(
        "SELECT MAX(version) FROM schema_migrations WHERE module = ?", {mod}));
    return v.value_or(0);
  };
  Status s = write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(int64_t current, current_version(c));
    if (current > known)
      return Error::conflict("the database holds version " + std::to_string(current) + " of the " +
                             mod + " schema, newer than this Segue knows (" +
                             std::to_string(known) + "); upgrade Segue or use another --data");
    return {};
  });
  if (!s) return s;
  for (const auto& m : todo) {
    // PostgreSQL: a step that waited for another process's migration lock read with a snapshot
    // from before that migration committed, and collides with what it created (a duplicate
    // table is a conflict, a duplicate column another error); run it again, with a fresh
    // snapshot it sees the step done. A step that is wrong in itself fails the same way again.
    for (int attempt = 0; attempt < 5; ++attempt) {
    s = write([&](Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(int64_t current, current_version(c));
      if (m.version <= current) return {};
      if (engine() == "postgres")
        SEGUE_TRY(c.exec_script(m.postgres.empty() ? postgres_schema(m.sql) : m.postgres));
      else
        SEGUE_TRY(c.exec_script(m.sql));
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      SEGUE_TRY(c.exec("INSERT INTO schema_migrations (module, version, applied_at) VALUES (?, ?, ?)",
                       {mod, static_cast<int64_t>(m.version), static_cast<int64_t>(now)}));
      return {};
    });
      if (s.ok() || engine() != "postgres") break;
    }
    if (!s)
      return Error{s.error().code, "migration " + mod + " v" + std::to_string(m.version) +
                                       " failed: " + s.error().message};
  }
  return {};
}

}  // namespace segue::store

namespace segue::store {

Status ping(Database& db) {
  return db.read([](Connection& c) -> Status {
    SEGUE_TRY(c.query_int("SELECT 1"));
    return {};
  });
}

}  // namespace segue::store
