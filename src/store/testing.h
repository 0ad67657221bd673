// Databases for tests, on the engine the test run asks for: SQLite in the test's directory by
// default, or a fresh PostgreSQL database when SEGUE_TEST_POSTGRES names a server
// (`postgresql:///postgres?host=/socket/dir`, set by scripts/pg-test-cluster.sh).
#pragma once

#include <memory>
#include <string>

#include "store/database.h"

namespace segue::store::testing {

// True when this run's tests use PostgreSQL.
bool on_postgres();

// A new, empty database. `sqlite_path` is the file used on SQLite; on PostgreSQL a database
// named after the process and a counter is created instead. Calling reopen() with the returned
// location opens the same database again (a restart).
struct TestDatabase {
  std::string location;
  std::unique_ptr<Database> db;
};
Result<TestDatabase> create(const std::string& sqlite_path, const Options& options = {});
Result<std::unique_ptr<Database>> reopen(const std::string& location, const Options& options = {});

// The run's database for the SQLite file `sqlite_path`: that file on SQLite; on PostgreSQL a
// database named after a hash of the path, created on first use, so opening the same path again
// (a restart, a second process, a forked child) opens the same database.
Result<std::string> location_for(const std::string& sqlite_path);
Result<std::unique_ptr<Database>> open(const std::string& sqlite_path, const Options& options = {});

// The location create() would use for `sqlite_path`, without opening it (for tests that pass a
// location to code that opens it itself). Each call on PostgreSQL names a new database.
Result<std::string> fresh_location(const std::string& sqlite_path);

}  // namespace segue::store::testing
