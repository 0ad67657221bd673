#include "store/database.h"

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
  std::filesystem::path dir_;
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
  auto db = Database::open_sqlite(path());
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
  auto db = Database::open_sqlite(path());
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
  auto db = Database::open_sqlite(path());
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
    auto db = Database::open_sqlite(path());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->migrate("test", kV1).ok());
  }
  auto db = Database::open_sqlite(path());
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
    auto db = Database::open_sqlite(path());
    ASSERT_TRUE(db.ok());
    std::vector<Migration> v2 = kV1;
    v2.push_back({2, "CREATE TABLE u (x INTEGER)"});
    ASSERT_TRUE((*db)->migrate("test", v2).ok());
  }
  auto db = Database::open_sqlite(path());
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
  auto db = Database::open_sqlite(path());
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

}  // namespace
}  // namespace segue::store
