#include "store/database.h"

#include <algorithm>

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
    SEGUE_TRY(c.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT "
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
    s = write([&](Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(int64_t current, current_version(c));
      if (m.version <= current) return {};
      SEGUE_TRY(c.exec_script(m.sql));
      SEGUE_TRY(c.exec("INSERT INTO schema_migrations (module, version, applied_at) VALUES (?, ?, "
                       "CAST(strftime('%s','now') AS INTEGER))",
                       {mod, static_cast<int64_t>(m.version)}));
      return {};
    });
    if (!s)
      return Error{s.error().code, "migration " + mod + " v" + std::to_string(m.version) +
                                       " failed: " + s.error().message};
  }
  return {};
}

}  // namespace segue::store
