#include "user/library.h"
#include "store/testing.h"

#include "bus/local_bus.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace segue::user {
namespace {

class LibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-lib-" + std::to_string(::getpid()) + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    db_ = store::testing::open((dir_ / "db").string()).value();
    ASSERT_TRUE(db_->migrate("user", library_migrations()).ok());
    lib_ = std::make_unique<Library>(*db_, &bus_);
  }
  void TearDown() override {
    lib_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  bus::LocalBus bus_;
  std::unique_ptr<Library> lib_;
  UserId alice_{"aaaaaaaaaaaaaaaaaaaaaa"}, bob_{"bbbbbbbbbbbbbbbbbbbbbb"};
};

TEST_F(LibraryTest, SaveIsIdempotentAndKeepsFirstAddedAt) {
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"t1", "t2"}, 1000).ok());
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"t1"}, 5000).ok());
  auto page = lib_->list(alice_, ItemKind::kTrack, 50, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 2);
  for (const auto& it : page->items) EXPECT_EQ(it.added_at_ms, 1000);
}

TEST_F(LibraryTest, CommittedChangesAreAnnouncedOnTheBus) {
  std::vector<bus::LibraryChanged> heard;
  auto sub = bus_.subscribe("test", bus::only<bus::LibraryChanged>([&](const bus::LibraryChanged& e) { heard.push_back(e); }));
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"t1", "t2"}, 1000).ok());
  ASSERT_TRUE(lib_->remove(bob_, ItemKind::kAlbum, {"a1"}).ok());
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kAlbum, {}, 1000).ok());  // nothing to announce
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[0], (bus::LibraryChanged{alice_, bus::LibraryChanged::Kind::kTracks, {"t1", "t2"}, true}));
  EXPECT_EQ(heard[1], (bus::LibraryChanged{bob_, bus::LibraryChanged::Kind::kAlbums, {"a1"}, false}));
}

TEST_F(LibraryTest, ListsNewestFirstWithPaging) {
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"t1"}, 1000).ok());
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"t2"}, 2000).ok());
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"t3"}, 3000).ok());
  auto page = lib_->list(alice_, ItemKind::kTrack, 2, 1);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id, "t2");
  EXPECT_EQ(page->items[1].id, "t1");
  EXPECT_EQ(page->total, 3);
}

TEST_F(LibraryTest, ItemsSavedAtTheSameTimeListInSaveOrderAndASecondSaveKeepsThePlace) {
  // One request saving three tracks in the same millisecond, then another saving one of them
  // again among new ones: the numbering per user orders what the clock cannot.
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"a", "b", "c"}, 1000).ok());
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kAlbum, {"x"}, 1000).ok());  // same counter, other kind
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"d", "a", "e"}, 1000).ok());
  ASSERT_TRUE(lib_->save(bob_, ItemKind::kTrack, {"z"}, 1000).ok());
  auto page = lib_->list(alice_, ItemKind::kTrack, 50, 0);
  ASSERT_TRUE(page.ok());
  std::vector<std::string> ids;
  for (const auto& it : page->items) ids.push_back(it.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"e", "d", "c", "b", "a"}));
}

TEST_F(LibraryTest, ContainsAndRemoveArePerUserAndKind) {
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, {"x"}, 1).ok());
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kAlbum, {"y"}, 1).ok());
  EXPECT_EQ(*lib_->contains(alice_, ItemKind::kTrack, {"x", "y"}), (std::vector<bool>{true, false}));
  EXPECT_EQ(*lib_->contains(bob_, ItemKind::kTrack, {"x"}), (std::vector<bool>{false}));
  ASSERT_TRUE(lib_->remove(alice_, ItemKind::kTrack, {"x", "missing"}).ok());
  EXPECT_EQ(*lib_->contains(alice_, ItemKind::kTrack, {"x"}), (std::vector<bool>{false}));
  EXPECT_EQ(*lib_->contains(alice_, ItemKind::kAlbum, {"y"}), (std::vector<bool>{true}));
}

// Search asks about every candidate of a keystroke at once: answers keep the order of the ids
// asked for, repeats included, across the chunks of one query each.
TEST_F(LibraryTest, ContainsAnswersLongListsInOrder) {
  std::vector<std::string> saved, asked;
  for (int i = 0; i < 450; ++i) {
    std::string id = "t" + std::to_string(i);
    if (i % 3 == 0) saved.push_back(id);
    asked.push_back(id);
  }
  asked.push_back("t0");
  asked.push_back("t1");
  ASSERT_TRUE(lib_->save(alice_, ItemKind::kTrack, saved, 1).ok());
  auto got = lib_->contains(alice_, ItemKind::kTrack, asked);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), asked.size());
  for (std::size_t i = 0; i < 450; ++i) EXPECT_EQ((*got)[i], i % 3 == 0) << asked[i];
  EXPECT_TRUE((*got)[450]);
  EXPECT_FALSE((*got)[451]);
  EXPECT_TRUE(lib_->contains(alice_, ItemKind::kTrack, {})->empty());
}

}  // namespace
}  // namespace segue::user
