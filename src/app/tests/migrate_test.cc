// segue migrate's copy rules on real databases: the event consumers' split files win over the
// main file, seeded rows are replaced, every value type round-trips, an interrupted history
// deletion and a non-empty target are refused with nothing written. Needs PostgreSQL (the
// target); skipped on SQLite runs.
#include "app/migrate.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "events/log.h"
#include "store/testing.h"

namespace segue::app {
namespace {

namespace fs = std::filesystem;

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store::testing::on_postgres())
      GTEST_SKIP() << "the target is PostgreSQL: SEGUE_TEST_POSTGRES runs only";
    dir_ = fs::temp_directory_path() /
           ("segue-migrate-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "events-derived");
    auto main = store::Database::open_sqlite((dir_ / "segue.db").string());
    ASSERT_TRUE(main.ok());
    main_ = std::move(*main);
    for (const auto& [module, migrations] : all_migrations())
      ASSERT_TRUE(main_->migrate(module, migrations).ok()) << module;
    auto history = store::Database::open_sqlite((dir_ / "events-derived" / "history.db").string());
    ASSERT_TRUE(history.ok());
    history_ = std::move(*history);
    ASSERT_TRUE(history_->migrate("events_derived", events::derived_migrations()).ok());
    auto target = store::testing::create((dir_ / "target.db").string());
    ASSERT_TRUE(target.ok());
    target_url_ = target->location;
    target_ = std::move(target->db);
  }
  void TearDown() override {
    main_.reset();
    history_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void exec(store::Database& db, const std::string& sql,
            const std::vector<store::Value>& params = {}) {
    ASSERT_TRUE(db.write([&](store::Connection& c) -> Status {
                    SEGUE_TRY(c.exec(sql, params));
                    return {};
                  }).ok())
        << sql;
  }
  std::vector<std::string> rows(const std::string& sql) {
    std::vector<std::string> out;
    EXPECT_TRUE(target_
                    ->read([&](store::Connection& c) -> Status {
                      return c.query(sql, {}, [&](const store::Row& r) {
                        out.push_back(r.is_null(0) ? "NULL" : r.text(0));
                      });
                    })
                    .ok())
        << sql;
    return out;
  }

  fs::path dir_;
  std::unique_ptr<store::Database> main_, history_, target_;
  std::string target_url_;
};

TEST_F(MigrateTest, DerivedFilesWinAndSeedsAreReplaced) {
  // The main file holds stale derived state from before the split; the consumer's own file wins.
  exec(*main_,
       "INSERT INTO event_consumers (name, committed, updated_at) VALUES ('history', 5, 1), "
       "('custom', 3, 1)");
  exec(*main_,
       "INSERT INTO event_history (seq, user_id, track_id, played_at, context_uri) VALUES (1, 'u', "
       "'stale', 10, '')");
  exec(*history_,
       "INSERT INTO event_consumers (name, committed, updated_at) VALUES ('history', 9, 2)");
  exec(*history_,
       "INSERT INTO event_history (user_id, played_at, seq, track_id, context_uri) VALUES ('u', "
       "20, 2, 'fresh', '')");
  exec(*main_, "UPDATE auth_revision SET revision = 7 WHERE id = 1");
  exec(*main_, "UPDATE event_log_meta SET next_seq = 42 WHERE id = 1");
  // Every value type: integers, reals, text, NULL and bytes that are not text.
  exec(*history_,
       "INSERT INTO event_item_stats (kind, id, plays, score, last_played) VALUES (1, 't', 3, 2.5, "
       "99)");
  exec(*main_,
       "INSERT INTO event_log (seq, user_id, type, v, client_ts, received_at, private, track_id) "
       "VALUES (41, 'u', 'track_end', 1, 5, 6, 0, NULL)");

  auto r = migrate_to_postgres(dir_.string(), target_url_, nullptr, 2);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(rows("SELECT name || '=' || committed FROM event_consumers ORDER BY name"),
            (std::vector<std::string>{"custom=3", "history=9"}));
  // Only the derived file's rows (the stale row came from the main file).
  EXPECT_EQ(rows("SELECT track_id FROM event_history"), std::vector<std::string>{"fresh"});
  EXPECT_EQ(rows("SELECT revision FROM auth_revision"), std::vector<std::string>{"7"});
  EXPECT_EQ(rows("SELECT next_seq FROM event_log_meta"), std::vector<std::string>{"42"});
  EXPECT_EQ(rows("SELECT score FROM event_item_stats"), std::vector<std::string>{"2.5"});
  EXPECT_EQ(rows("SELECT track_id FROM event_log"), std::vector<std::string>{"NULL"});
  EXPECT_GE(r->rows, 8);

  // A second run finds the tables and writes nothing.
  auto again = migrate_to_postgres(dir_.string(), target_url_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_NE(again.error().message.find("not empty"), std::string::npos) << again.error().message;
  EXPECT_EQ(rows("SELECT COUNT(*) FROM event_consumers"), std::vector<std::string>{"2"});
}

TEST_F(MigrateTest, BlobsRoundTrip) {
  std::string bytes("\x00\xff\x01zz\x80", 6);
  // Any BLOB column of the schema will do: find one on the target after a first copy of nothing.
  std::string table, column;
  ASSERT_TRUE(main_
                  ->read([&](store::Connection& c) -> Status {
                    return c.query(
                        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                        "WHERE m.type = 'table' AND p.type = 'BLOB' AND p.pk = 0 AND p.\"notnull\" "
                        "= 0 LIMIT 1",
                        {}, [&](const store::Row& r) {
                          table = r.text(0);
                          column = r.text(1);
                        });
                  })
                  .ok());
  if (table.empty()) GTEST_SKIP() << "no nullable BLOB column in the schema";
  // Fill the table's NOT NULL columns with zeros or text by their declared type.
  std::vector<std::string> cols;
  std::vector<store::Value> values;
  ASSERT_TRUE(main_
                  ->read([&](store::Connection& c) -> Status {
                    return c.query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)",
                                   {table}, [&](const store::Row& r) {
                                     const std::string name = r.text(0), type = r.text(1);
                                     if (name == column) {
                                       cols.push_back(name);
                                       values.emplace_back(store::Blob{bytes});
                                     } else if (r.i64(2) || r.i64(3)) {
                                       cols.push_back(name);
                                       if (type == "INTEGER")
                                         values.emplace_back(int64_t{1});
                                       else if (type == "REAL")
                                         values.emplace_back(1.0);
                                       else if (type == "BLOB")
                                         values.emplace_back(store::Blob{"x"});
                                       else
                                         values.emplace_back(std::string("x"));
                                     }
                                   });
                  })
                  .ok());
  std::string list, marks;
  for (const auto& c : cols) {
    list += (list.empty() ? "" : ", ") + c;
    marks += marks.empty() ? "?" : ", ?";
  }
  exec(*main_, "INSERT INTO " + table + " (" + list + ") VALUES (" + marks + ")", values);
  auto r = migrate_to_postgres(dir_.string(), target_url_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::string got;
  ASSERT_TRUE(target_
                  ->read([&](store::Connection& c) -> Status {
                    return c.query("SELECT " + column + " FROM " + table, {},
                                   [&](const store::Row& row) { got = row.blob(0); });
                  })
                  .ok());
  EXPECT_EQ(got, bytes) << table << "." << column;
}

TEST_F(MigrateTest, RefusesAPendingHistoryDeletionWritingNothing) {
  exec(*history_, "INSERT INTO event_forget (user_id, consumer, up_to) VALUES ('u', 'history', 4)");
  auto r = migrate_to_postgres(dir_.string(), target_url_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().message.find("segue events --data"), std::string::npos) << r.error().message;
  EXPECT_TRUE(
      rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
          .empty());
}

TEST_F(MigrateTest, RefusesATargetWithAnyTable) {
  exec(*target_, "CREATE TABLE notes (body TEXT)");
  auto r = migrate_to_postgres(dir_.string(), target_url_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(
      rows(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"),
      std::vector<std::string>{"notes"});
}

TEST_F(MigrateTest, RefusesADataDirWithoutADatabase) {
  auto r = migrate_to_postgres((dir_ / "nowhere").string(), target_url_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace segue::app
