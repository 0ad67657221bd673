// Saving to Your Library as one call: a real catalog (the demo library scanned into SQLite), the
// real event pipeline and preferences on the same database.
#include "user/library_service.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <filesystem>
#include <thread>

#include "bus/local_bus.h"
#include "catalog/demo_library.h"
#include "catalog/scanner.h"
#include "events/log.h"

namespace segue::user {
namespace {

namespace fs = std::filesystem;

class LibraryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("segue-libsvc-" + std::to_string(::getpid()) + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(catalog::write_demo_library((dir_ / "library").string(), catalog::DemoOptions{1.0}).ok());
    db_ = store::testing::open((dir_ / "segue.db").string()).value();
    ASSERT_TRUE(db_->migrate("user", library_migrations()).ok());
    ASSERT_TRUE(db_->migrate("user_preferences", preferences_migrations()).ok());
    ASSERT_TRUE(db_->migrate("events", events::event_migrations()).ok());
    catalog_ = std::make_unique<catalog::Catalog>(*db_);
    catalog::Scanner scanner(*db_, catalog_.get());
    ASSERT_TRUE(scanner.scan({(dir_ / "library").string()}, false).ok());
    auto snap = catalog_->snapshot();
    ASSERT_GE(snap->tracks().size(), 2u);
    t1_ = snap->tracks()[0].id.str();
    t2_ = snap->tracks()[1].id.str();
    album_ = snap->albums()[0].id.str();
    library_ = std::make_unique<Library>(*db_, &bus_);
    prefs_ = std::make_unique<Preferences>(*db_);
    events_ = std::make_unique<events::EventLog>(*db_);
    service_ = std::make_unique<LibraryService>(*library_, *catalog_, *events_, prefs_.get());
    heard_sub_ = bus_.subscribe("test", bus::only<bus::LibraryChanged>([this](const bus::LibraryChanged& c) { heard_.push_back(c); }));
  }
  void TearDown() override {
    service_.reset();
    events_.reset();
    catalog_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  std::vector<events::Event> library_events() {
    auto all = events_->export_user(alice_);
    EXPECT_TRUE(all.ok());
    std::vector<events::Event> out;
    for (auto& e : *all)
      if (e.type == events::EventType::kLibrarySave) out.push_back(e);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<store::Database> db_;
  bus::LocalBus bus_;  // where the library announces its changes
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<Library> library_;
  std::unique_ptr<Preferences> prefs_;
  std::unique_ptr<events::EventLog> events_;
  std::unique_ptr<LibraryService> service_;
  std::vector<bus::LibraryChanged> heard_;
  bus::Subscription heard_sub_;
  std::string t1_, t2_, album_;
  const UserId alice_{"aaaaaaaaaaaaaaaaaaaaaa"};
};

// One user saving and removing the same tracks from several devices at once (the store bench's
// library load): on PostgreSQL the writers run side by side and race on the same rows; every
// call must still succeed (a race the SQL does not expect is run again, never a 409).
TEST_F(LibraryServiceTest, ConcurrentSavesAndRemovalsOfTheSameTracksAllSucceed) {
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const std::string& id = i % 2 ? t1_ : t2_;
        Status s = (i + t) % 3 ? service_->save(alice_, ItemKind::kTrack, {id}, 1'700'000'000'000 + i)
                               : service_->remove(alice_, ItemKind::kTrack, {id}, 1'700'000'000'000 + i);
        if (!s.ok()) {
          std::lock_guard l(mu);
          if (failures++ == 0) first_error = s.error().message;
        }
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
}

TEST_F(LibraryServiceTest, SavingStoresRecordsTheEventsAndTellsTheOtherDevices) {
  ASSERT_TRUE(service_->save(alice_, ItemKind::kTrack, {t1_, t2_}, 1'700'000'000'000).ok());
  auto in = library_->contains(alice_, ItemKind::kTrack, {t1_, t2_});
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in, (std::vector<bool>{true, true}));
  auto evs = library_events();
  ASSERT_EQ(evs.size(), 2u);
  const auto& first = std::get<events::LibrarySave>(evs[0].payload);
  EXPECT_EQ(first.item_uri, "segue:track:" + t1_);
  EXPECT_TRUE(first.saved);
  EXPECT_FALSE(evs[0].private_session);
  EXPECT_EQ(evs[0].timestamp_ms, 1'700'000'000'000);
  ASSERT_EQ(heard_.size(), 1u);
  EXPECT_EQ(heard_[0].user, alice_);
  EXPECT_EQ(heard_[0].ids, (std::vector<std::string>{t1_, t2_}));
  EXPECT_TRUE(heard_[0].saved);
  EXPECT_EQ(heard_[0].kind, bus::LibraryChanged::Kind::kTracks);
}

TEST_F(LibraryServiceTest, AnUnknownIdSavesNothingRecordsNothingAndTellsNoOne) {
  auto s = service_->save(alice_, ItemKind::kTrack, {t1_, "0000000000000000000000"}, 1000);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message, "Non existing id: 'segue:track:0000000000000000000000'");
  EXPECT_EQ(*library_->contains(alice_, ItemKind::kTrack, {t1_}), std::vector<bool>{false});
  EXPECT_TRUE(library_events().empty());
  EXPECT_TRUE(heard_.empty());
  // A track id is not an album id.
  auto wrong_kind = service_->save(alice_, ItemKind::kAlbum, {t1_}, 1000);
  ASSERT_FALSE(wrong_kind.ok());
  EXPECT_EQ(wrong_kind.error().message, "Non existing id: 'segue:album:" + t1_ + "'");
}

TEST_F(LibraryServiceTest, RemovingRecordsUnsavedEventsAndAPrivateSessionMarksThemPrivate) {
  ASSERT_TRUE(service_->save(alice_, ItemKind::kAlbum, {album_}, 1'700'000'000'000).ok());
  ASSERT_TRUE(prefs_->set(alice_, Prefs{true}).ok());
  ASSERT_TRUE(service_->remove(alice_, ItemKind::kAlbum, {album_}, 1'700'000'001'000).ok());
  EXPECT_EQ(*library_->contains(alice_, ItemKind::kAlbum, {album_}), std::vector<bool>{false});
  auto evs = library_events();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(std::get<events::LibrarySave>(evs[1].payload).item_uri, "segue:album:" + album_);
  EXPECT_FALSE(std::get<events::LibrarySave>(evs[1].payload).saved);
  EXPECT_FALSE(evs[0].private_session);
  EXPECT_TRUE(evs[1].private_session);
  ASSERT_EQ(heard_.size(), 2u);
  EXPECT_FALSE(heard_[1].saved);
  EXPECT_EQ(heard_[1].kind, bus::LibraryChanged::Kind::kAlbums);
}

}  // namespace
}  // namespace segue::user
