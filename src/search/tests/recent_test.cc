#include "search/recent.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <filesystem>


namespace segue::search {
namespace {

class RecentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("segue-recent-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path_);
    db_ = store::testing::open(path_.string()).value();
    ASSERT_TRUE(db_->migrate("search", recent_migrations()).ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove(path_);
    std::filesystem::remove(path_.string() + "-wal");
    std::filesystem::remove(path_.string() + "-shm");
  }
  std::vector<std::string> queries(const UserId& u) {
    auto l = RecentSearches(*db_).list(u, 50);
    EXPECT_TRUE(l.ok());
    std::vector<std::string> out;
    if (l.ok())
      for (const auto& r : *l) out.push_back(r.query);
    return out;
  }
  std::filesystem::path path_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(RecentTest, NewestFirstDeduplicatedAndBounded) {
  RecentSearches recent(*db_);
  UserId a("alice"), b("bob");
  ASSERT_TRUE(recent.add(a, "queen", 1).ok());
  ASSERT_TRUE(recent.add(a, "  beyonce ", 2).ok());
  ASSERT_TRUE(recent.add(a, "queen", 3).ok());  // again: moves to the top
  ASSERT_TRUE(recent.add(b, "abba", 4).ok());
  EXPECT_EQ(queries(a), (std::vector<std::string>{"queen", "beyonce"}));
  EXPECT_EQ(queries(b), (std::vector<std::string>{"abba"}));
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(recent.add(a, "q" + std::to_string(i), 10 + i).ok());
  auto q = queries(a);
  ASSERT_EQ(q.size(), kMaxRecent);
  EXPECT_EQ(q.front(), "q29");
  EXPECT_EQ(q.back(), "q10");
}

TEST_F(RecentTest, RemoveOneOrAllAndRejectBadInput) {
  RecentSearches recent(*db_);
  UserId a("alice");
  ASSERT_TRUE(recent.add(a, "queen", 1).ok());
  ASSERT_TRUE(recent.add(a, "abba", 2).ok());
  EXPECT_FALSE(recent.add(a, "   ", 3).ok());
  EXPECT_FALSE(recent.add(a, std::string(501, 'x'), 3).ok());
  ASSERT_TRUE(recent.remove(a, "queen").ok());
  EXPECT_EQ(queries(a), (std::vector<std::string>{"abba"}));
  ASSERT_TRUE(recent.clear(a).ok());
  EXPECT_TRUE(queries(a).empty());
}

}  // namespace
}  // namespace segue::search
