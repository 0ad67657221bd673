// LeaderLease on the run's engine: on PostgreSQL two leases (two nodes) compete for one advisory
// lock on their own connections; on SQLite each lease leads (one process per database).
#include "store/leader_lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/testing.h"

namespace segue::store {
namespace {

using namespace std::chrono_literals;

class LeaderLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("segue-leader-" + std::to_string(::getpid()) + "-" +
                                                         ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                                                         ".db"))
                .string();
    auto db = testing::create(path_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    location_ = db->location;
    db_ = std::move(db->db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove(path_);
  }
  // Renews `b` every 100 ms until it leads, for at most `limit`.
  static bool until_leads(LeaderLease& b, std::chrono::milliseconds limit) {
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < limit) {
      if (b.renew()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  std::string path_;
  std::string location_;
  std::unique_ptr<Database> db_;
};

constexpr int64_t kKey = 4242;

TEST_F(LeaderLeaseTest, ExactlyOneOfTwoLeadsAndTheOtherTakesOverWhenItsConnectionCloses) {
  LeaderLease a(location_, kKey), b(location_, kKey);
  if (!testing::on_postgres()) {
    // One process per SQLite database: every lease leads.
    EXPECT_TRUE(a.renew());
    EXPECT_TRUE(b.renew());
    return;
  }
  ASSERT_TRUE(a.renew()) << a.last_error();
  EXPECT_FALSE(b.renew()) << "two leaders";
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(a.renew());
    EXPECT_FALSE(b.renew());
  }
  EXPECT_TRUE(a.held());
  EXPECT_FALSE(b.held());
  a.release();  // the leader's connection closes (its process ended)
  EXPECT_FALSE(a.held());
  EXPECT_TRUE(until_leads(b, 2000ms)) << "no takeover within 2 s: " << b.last_error();
  EXPECT_FALSE(a.renew()) << "two leaders";  // the old leader comes back as a follower
  EXPECT_TRUE(b.renew());
}

TEST_F(LeaderLeaseTest, ALeaderWhoseSessionIsKilledStopsLeadingAndTheOtherLeadsWithinTwoSeconds) {
  if (!testing::on_postgres()) GTEST_SKIP() << "PostgreSQL only (SQLite has one process)";
  LeaderLease a(location_, kKey), b(location_, kKey);
  ASSERT_TRUE(a.renew()) << a.last_error();
  ASSERT_FALSE(b.renew());
  // The server ends the leader's session, as when its node dies or its network goes.
  int64_t killed = 0;
  ASSERT_TRUE(db_->write([&](Connection& c) -> Status {
                   SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int(
                       "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' "
                       "AND objid = ? AND granted AND database = (SELECT oid FROM pg_database WHERE datname = "
                       "current_database())",
                       {kKey}));
                   killed = v.value_or(0);
                   return {};
                 }).ok());
  ASSERT_EQ(killed, 1);
  const auto t0 = std::chrono::steady_clock::now();
  // The leader notices at its next check, at once.
  EXPECT_FALSE(a.renew());
  EXPECT_FALSE(a.held());
  bool b_leads = false;
  while (!b_leads && std::chrono::steady_clock::now() - t0 < 2s) {
    b_leads = b.renew();
    if (!b_leads) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(b_leads) << "no takeover within 2 s";
  EXPECT_FALSE(a.renew()) << "two leaders";
}

TEST_F(LeaderLeaseTest, AnUnreachableServerIsNoLeadership) {
  if (!testing::on_postgres()) GTEST_SKIP() << "PostgreSQL only";
  LeaderLease a("postgresql://127.0.0.1:1/nothing", kKey);
  EXPECT_FALSE(a.renew());
  EXPECT_FALSE(a.held());
  EXPECT_NE(a.last_error().find("cannot reach PostgreSQL"), std::string::npos) << a.last_error();
}

}  // namespace
}  // namespace segue::store
