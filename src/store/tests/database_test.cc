#include "store/database.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <atomic>
#include <fstream>
#include <thread>

#include <sys/stat.h>

namespace segue::store {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "segue.db").string(); }
  // The test's database on the run's engine (SQLite file, or a fresh PostgreSQL database):
  // the first call creates it, later calls open the same one again.
  Result<std::unique_ptr<Database>> open_db(const Options& o = {}) {
    if (location_.empty()) {
      auto l = testing::fresh_location(path());
      if (!l.ok()) return l.error();
      location_ = *l;
    }
    return Database::open(location_, o);
  }
  std::filesystem::path dir_;
  std::string location_;
};

const std::vector<Migration> kV1 = {{1, "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"}};

mode_t mode_of(const std::string& p) {
  struct stat st{};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST_F(DatabaseTest, FilesAreTheOwnersOnlyEvenUnderAPermissiveUmask) {
  const mode_t old = ::umask(022);
  {
    auto db = Database::open_sqlite(path());
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE((*db)->migrate("test", kV1).ok());
    EXPECT_EQ(mode_of(path()), 0600u);
    EXPECT_EQ(mode_of(path() + "-wal"), 0600u);
    EXPECT_EQ(mode_of(path() + "-shm"), 0600u);
  }
  // A database an older version left readable by others is narrowed when it is opened.
  ASSERT_EQ(::chmod(path().c_str(), 0644), 0);
  {
    auto db = Database::open_sqlite(path());
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ(mode_of(path()), 0600u);
  }
  ::umask(old);
}

TEST_F(DatabaseTest, WritesAreVisibleToReadersAfterCommit) {
  auto db = open_db();
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE((*db)->migrate("test", kV1).ok());
  ASSERT_TRUE((*db)->write([](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO t (k, v) VALUES (?, ?)", {std::string("a"), int64_t{7}}));
    return {};
  }).ok());
  int64_t v = 0;
  ASSERT_TRUE((*db)->read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto r, c.query_int("SELECT v FROM t WHERE k = ?", {std::string("a")}));
    v = r.value_or(-1);
    return {};
  }).ok());
  EXPECT_EQ(v, 7);
}

TEST_F(DatabaseTest, FailedWriteRollsBack) {
  auto db = open_db();
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate("test", kV1).ok());
  Status s = (*db)->write([](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO t (k, v) VALUES ('x', 1)"));
    return Error::invalid("stop");
  });
  EXPECT_FALSE(s.ok());
  std::optional<int64_t> n;
  ASSERT_TRUE((*db)->read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(n, c.query_int("SELECT COUNT(*) FROM t"));
    return {};
  }).ok());
  EXPECT_EQ(n, 0);
}

TEST_F(DatabaseTest, ConstraintViolationIsConflict) {
  auto db = open_db();
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate("test", kV1).ok());
  auto insert = [](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO t (k, v) VALUES ('x', 1)"));
    return {};
  };
  ASSERT_TRUE((*db)->write(insert).ok());
  Status s = (*db)->write(insert);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kConflict);
}

TEST_F(DatabaseTest, MigrationsApplyOnceAndInOrder) {
  std::vector<Migration> v2 = kV1;
  v2.push_back({2, "ALTER TABLE t ADD COLUMN w TEXT; CREATE INDEX t_w ON t (w)"});
  {
    auto db = open_db();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->migrate("test", kV1).ok());
  }
  auto db = open_db();
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate("test", v2).ok());
  ASSERT_TRUE((*db)->migrate("test", v2).ok());  // idempotent
  ASSERT_TRUE((*db)->write([](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO t (k, v, w) VALUES ('a', 1, 'z')"));
    return {};
  }).ok());
}

TEST_F(DatabaseTest, RefusesSchemaFromANewerVersion) {
  {
    auto db = open_db();
    ASSERT_TRUE(db.ok());
    std::vector<Migration> v2 = kV1;
    v2.push_back({2, "CREATE TABLE u (x INTEGER)"});
    ASSERT_TRUE((*db)->migrate("test", v2).ok());
  }
  auto db = open_db();
  ASSERT_TRUE(db.ok());
  Status s = (*db)->migrate("test", kV1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kConflict);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

TEST_F(DatabaseTest, NonDatabaseFileIsReportedAsCorruption) {
  {
    std::ofstream f(path(), std::ios::binary);
    f << std::string(8192, 'x');
  }
  auto db = Database::open_sqlite(path());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kCorruption);
}

TEST_F(DatabaseTest, DamagedPagesAreReportedAsCorruption) {
  {
    auto db = Database::open_sqlite(path());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->migrate("test", kV1).ok());
    ASSERT_TRUE((*db)->write([](Connection& c) -> Status {
      for (int i = 0; i < 2000; ++i)
        SEGUE_TRY(c.exec("INSERT INTO t (k, v) VALUES (?, ?)",
                         {std::string("key-") + std::to_string(i), int64_t{i}}));
      return {};
    }).ok());
  }  // closing the last connection checkpoints the WAL into the main file
  {
    // Overwrite pages 2-4 (past the header page) with garbage.
    std::fstream f(path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    f << std::string(4096 * 3, '\x5a');
  }
  auto db = Database::open_sqlite(path());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kCorruption) << db.error().message;
}

}  // namespace
}  // namespace segue::store

namespace segue::store {
namespace {
TEST_F(DatabaseTest, ConcurrentMigrationsApplyOnce) {
  auto db = open_db();
  ASSERT_TRUE(db.ok());
  std::vector<Migration> two = {{1, "CREATE TABLE a (x INTEGER)"}, {2, "CREATE TABLE b (y INTEGER)"}};
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      if (!(*db)->migrate("race", two).ok()) ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(DatabaseTest, CacheSizeAndSyncModeFollowTheOptions) {
  auto pragma = [](Database& db, const char* name, bool on_writer) {
    int64_t v = -999;
    auto fn = [&](Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(auto r, c.query_int(std::string("PRAGMA ") + name));
      v = r.value_or(-998);
      return {};
    };
    EXPECT_TRUE((on_writer ? db.write(fn) : db.read(fn)).ok());
    return v;
  };
  {
    auto db = Database::open_sqlite(path());  // defaults: FULL, SQLite's cache
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(pragma(**db, "synchronous", true), 2);
    EXPECT_EQ(pragma(**db, "cache_size", true), -2000);
  }
  Options o;
  o.cache_size_kib = 65536;
  o.full_sync = false;
  auto db = Database::open_sqlite(path(), o);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(pragma(**db, "synchronous", true), 1);
  EXPECT_EQ(pragma(**db, "cache_size", true), -65536);
  EXPECT_EQ(pragma(**db, "cache_size", false), -65536);
  ASSERT_TRUE((*db)->migrate("test", kV1).ok());
  ASSERT_TRUE((*db)->write([](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO t (k, v) VALUES ('a', 1)"));
    return {};
  }).ok());
}

// --- PostgreSQL only (the run's SEGUE_TEST_POSTGRES; scripts/test.sh sets it) ---------------

TEST_F(DatabaseTest, PostgresValuesRoundTripAsOnSqlite) {
  if (!testing::on_postgres()) GTEST_SKIP() << "SQLite run";
  auto db = open_db();
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE((*db)->migrate("test", {{1, "CREATE TABLE v (k TEXT PRIMARY KEY, i INTEGER, r REAL, b BLOB, t TEXT) WITHOUT ROWID"}}).ok());
  const std::string bytes("\0\x01\xff'?\\x", 7);
  ASSERT_TRUE((*db)->write([&](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO v (k, i, r, b, t) VALUES (?, ?, ?, ?, ?)",
                     {std::string("a"), int64_t{9007199254740993}, 0.1, Blob{bytes}, std::string("it's ? here")}));
    SEGUE_TRY(c.exec("INSERT INTO v (k, i, r, b, t) VALUES ('?', ?, ?, ?, ?)", {nullptr, nullptr, nullptr, nullptr}));
    return {};
  }).ok());
  int rows = 0;
  ASSERT_TRUE((*db)->read([&](Connection& c) -> Status {
    return c.query("SELECT k, i, r, b, t, i > 5 FROM v ORDER BY k", {}, [&](const Row& r) {
      ++rows;
      if (r.text(0) == "a") {
        EXPECT_EQ(r.i64(1), 9007199254740993);  // 64-bit: INTEGER became BIGINT
        EXPECT_EQ(r.f64(2), 0.1);               // doubles exactly
        EXPECT_EQ(r.blob(3), bytes);            // bytea, NUL and all
        EXPECT_EQ(r.text(4), "it's ? here");
        EXPECT_EQ(r.i64(5), 1);                 // booleans as 0/1
      } else {
        EXPECT_EQ(r.text(0), "?");  // a ? inside a literal is not a parameter
        EXPECT_TRUE(r.is_null(1));
        EXPECT_EQ(r.opt_i64(1), std::nullopt);
        EXPECT_EQ(r.blob(3), "");
      }
    });
  }).ok());
  EXPECT_EQ(rows, 2);
}

TEST_F(DatabaseTest, PostgresConcurrentWritersRetryConflictsAndLoseNothing) {
  if (!testing::on_postgres()) GTEST_SKIP() << "SQLite run";
  Options o;
  o.writers = 6;
  auto db = open_db(o);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE((*db)->migrate("test", kV1).ok());
  ASSERT_TRUE((*db)->write([](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO t (k, v) VALUES ('n', 0)"));
    return {};
  }).ok());
  // Read-modify-write, as code written for SQLite's single writer does: at SERIALIZABLE the
  // losers of each race are retried, so every increment lands exactly once.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        Status s = (*db)->write([](Connection& c) -> Status {
          SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT v FROM t WHERE k = 'n'"));
          SEGUE_TRY(c.exec("UPDATE t SET v = ? WHERE k = 'n'", {*v + 1}));
          return {};
        });
        if (!s.ok()) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::optional<int64_t> n;
  ASSERT_TRUE((*db)->read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(n, c.query_int("SELECT v FROM t WHERE k = 'n'"));
    return {};
  }).ok());
  EXPECT_EQ(n, 300);
}

TEST_F(DatabaseTest, PostgresUnreachableServerIsUnavailable) {
  auto db = Database::open("postgresql:///segue?host=" + dir_.string() + "&connect_timeout=2");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
}

TEST(PostgresSchema, TranslatesSqliteTypesAndDropsWithoutRowid) {
  EXPECT_EQ(postgres_schema("CREATE TABLE x (a INTEGER PRIMARY KEY, b REAL, c BLOB, d TEXT) WITHOUT ROWID;"),
            "CREATE TABLE x (a BIGINT PRIMARY KEY, b DOUBLE PRECISION, c BYTEA, d TEXT) ;");
  EXPECT_EQ(postgres_url_with_database("postgresql:///postgres?host=/tmp/x", "t1"), "postgresql:///t1?host=/tmp/x");
  EXPECT_EQ(postgres_url_with_database("postgresql://u@h:5432/db", "t2"), "postgresql://u@h:5432/t2");
  EXPECT_TRUE(is_postgres_url("postgres://h/db"));
  EXPECT_FALSE(is_postgres_url("/var/lib/segue/segue.db"));
}

}  // namespace
}  // namespace segue::store
