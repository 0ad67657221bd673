#include "user/preferences.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace segue::user {
namespace {

TEST(PreferencesTest, DefaultsPerUserAndPersistAcrossReopen) {
  auto dir = std::filesystem::temp_directory_path() / ("segue-prefs-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  UserId alice("aaaaaaaaaaaaaaaaaaaaaa"), bob("bbbbbbbbbbbbbbbbbbbbbb");
  {
    auto db = store::testing::open((dir / "db").string()).value();
    ASSERT_TRUE(db->migrate("user_preferences", preferences_migrations()).ok());
    Preferences prefs(*db);
    EXPECT_FALSE(prefs.get(alice)->private_session);
    ASSERT_TRUE(prefs.set(alice, {true}).ok());
    EXPECT_TRUE(prefs.get(alice)->private_session);
    EXPECT_FALSE(prefs.get(bob)->private_session);  // one user's setting is not another's
  }
  {
    auto db = store::testing::open((dir / "db").string()).value();
    ASSERT_TRUE(db->migrate("user_preferences", preferences_migrations()).ok());
    Preferences prefs(*db);
    EXPECT_TRUE(prefs.get(alice)->private_session);  // kept across a reopen
    ASSERT_TRUE(prefs.set(alice, {false}).ok());
    EXPECT_FALSE(prefs.get(alice)->private_session);
  }
  std::filesystem::remove_all(dir);
}

TEST(PreferencesTest, TimeZoneDefaultsToUtcAndRefusesUnknownZones) {
  auto dir = std::filesystem::temp_directory_path() / ("segue-prefs-tz-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  UserId alice("aaaaaaaaaaaaaaaaaaaaaa");
  auto db = store::testing::open((dir / "db").string()).value();
  ASSERT_TRUE(db->migrate("user_preferences", preferences_migrations()).ok());
  Preferences prefs(*db);
  EXPECT_EQ(prefs.get(alice)->time_zone, "UTC");
  ASSERT_TRUE(prefs.set(alice, {true, "Europe/Berlin"}).ok());
  EXPECT_EQ(prefs.get(alice)->time_zone, "Europe/Berlin");
  EXPECT_TRUE(prefs.get(alice)->private_session);
  // An unknown zone is refused and changes nothing.
  auto bad = prefs.set(alice, {false, "Europe/Atlantis"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(prefs.get(alice)->time_zone, "Europe/Berlin");
  EXPECT_TRUE(prefs.get(alice)->private_session);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace segue::user
