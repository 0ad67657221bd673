// `segue migrate`: copies a household's state from the embedded SQLite layout under a data
// directory (segue.db and the event consumers' events-derived/*.db) into an empty PostgreSQL
// database, so the same data directory can then be served with `--database URL`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "store/database.h"

namespace segue::app {

// Every module's migrations of the relational state, by module name, in the order a server
// applies them. Both sides of a copy are brought to these versions first, so they have the same
// tables and columns.
std::vector<std::pair<std::string, std::vector<store::Migration>>> all_migrations();

struct MigrateReport {
  std::size_t tables = 0;  // tables copied (a table fed by several files counts once)
  int64_t rows = 0;
  double seconds = 0;
  std::vector<std::string> skipped;  // source tables the target's schema does not have
};

using MigrateProgressFn = std::function<void(std::size_t done, std::size_t total)>;

// Copies `<data_dir>/segue.db` (and `<data_dir>/events-derived/*.db`) into the PostgreSQL
// database `target_url`. Refuses (Error::conflict, nothing written) when the target has any
// table in its current schema, and (Error::conflict) when an interrupted delete_history is
// still pending in the derived files. `rows_per_transaction` rows go in one transaction.
Result<MigrateReport> migrate_to_postgres(const std::string& data_dir,
                                          const std::string& target_url,
                                          const MigrateProgressFn& progress = nullptr,
                                          int rows_per_transaction = 5000);

}  // namespace segue::app
