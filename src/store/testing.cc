#include "store/testing.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include <random>

namespace segue::store::testing {

namespace {
const char* postgres_base() {
  const char* v = std::getenv("SEGUE_TEST_POSTGRES");
  return v && *v ? v : nullptr;
}
}  // namespace

bool on_postgres() { return postgres_base() != nullptr; }

Result<std::string> fresh_location(const std::string& sqlite_path) {
  const char* base = postgres_base();
  if (!base) return sqlite_path;
  static std::atomic<int> counter{0};
  const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                           std::to_string(std::random_device{}() % 1000000);
  SEGUE_TRY(create_postgres_database(base, name));
  return postgres_url_with_database(base, name);
}

Result<std::string> location_for(const std::string& sqlite_path) {
  const char* base = postgres_base();
  if (!base) return sqlite_path;
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char ch : sqlite_path) h = (h ^ ch) * 1099511628211ull;
  char name[24];
  std::snprintf(name, sizeof name, "p%016llx", static_cast<unsigned long long>(h));
  SEGUE_TRY(create_postgres_database(base, name));
  return postgres_url_with_database(base, name);
}

Result<std::unique_ptr<Database>> open(const std::string& sqlite_path, const Options& options) {
  SEGUE_ASSIGN_OR_RETURN(std::string location, location_for(sqlite_path));
  return Database::open(location, options);
}

Result<TestDatabase> create(const std::string& sqlite_path, const Options& options) {
  SEGUE_ASSIGN_OR_RETURN(std::string location, fresh_location(sqlite_path));
  SEGUE_ASSIGN_OR_RETURN(auto db, Database::open(location, options));
  return TestDatabase{location, std::move(db)};
}

Result<std::unique_ptr<Database>> reopen(const std::string& location, const Options& options) {
  return Database::open(location, options);
}

}  // namespace segue::store::testing
