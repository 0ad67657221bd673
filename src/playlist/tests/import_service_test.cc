// Playlist import as one call over a real catalog (the demo library scanned into SQLite) and the
// real playlist service on the same database.
#include "playlist/import_service.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "catalog/demo_library.h"
#include "catalog/scanner.h"

namespace segue::playlist {
namespace {

namespace fs = std::filesystem;

class ImportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("segue-import-" + std::to_string(::getpid()) + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    lib_ = (dir_ / "library").string();
    ASSERT_TRUE(catalog::write_demo_library(lib_, catalog::DemoOptions{1.0}).ok());
    db_ = store::testing::open((dir_ / "segue.db").string()).value();
    ASSERT_TRUE(db_->migrate("playlist", playlist_migrations()).ok());
    catalog_ = std::make_unique<catalog::Catalog>(*db_);
    catalog::Scanner scanner(*db_, catalog_.get());
    ASSERT_TRUE(scanner.scan({lib_}, false).ok());
    svc_ = std::make_unique<PlaylistService>(*db_);
    importer_ = std::make_unique<PlaylistImporter>(*svc_, *catalog_, std::vector<std::string>{lib_});
    auto snap = catalog_->snapshot();
    ASSERT_GE(snap->files().size(), 2u);
    a_ = snap->files()[0];
    b_ = snap->files()[1];
  }
  void TearDown() override {
    importer_.reset();
    svc_.reset();
    catalog_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  std::size_t playlists_of_owner() { return svc_->list_for(owner_, owner_).value().size(); }

  fs::path dir_;
  std::string lib_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<PlaylistService> svc_;
  std::unique_ptr<PlaylistImporter> importer_;
  catalog::AudioFile a_, b_;
  const UserId owner_{"oooooooooooooooooooooo"};
};

TEST_F(ImportServiceTest, DetectsParsesMatchesCreatesAndAddsInOneCall) {
  const std::string m3u = "#EXTM3U\n#PLAYLIST:Road Trip\n" + a_.relative_path + "\nnowhere/missing.mp3\n" +
                          b_.path + "\n" + a_.relative_path + "\n";
  ImportRequest req;
  req.owner = owner_;
  req.bytes = m3u;
  auto r = importer_->import(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->format, Format::kM3u8);  // told from the bytes
  EXPECT_EQ(r->parsed.entries.size(), 4u);
  EXPECT_EQ(r->matched.matched_in_order,
            (std::vector<TrackId>{a_.track_id, b_.track_id, a_.track_id}));  // order and duplicates kept
  ASSERT_EQ(r->matched.unmatched.size(), 1u);
  EXPECT_EQ(r->matched.unmatched[0].entry.location, "nowhere/missing.mp3");
  EXPECT_EQ(r->playlist.name, "Road Trip");
  EXPECT_EQ(r->playlist.owner, owner_);
  EXPECT_FALSE(r->playlist.is_public);
  EXPECT_EQ(r->playlist.track_count, 3);
  auto items = svc_->items(r->playlist.id, owner_);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 3u);
  EXPECT_NE((*items)[1].uri.find(b_.track_id.str()), std::string::npos);
}

TEST_F(ImportServiceTest, TheNameAndFormatTheCallerGivesWinAndAnEmptyNameHasADefault) {
  const std::string json = R"({"tracks": [{"path": ")" + a_.relative_path + R"("}]})";
  ImportRequest req;
  req.owner = owner_;
  req.bytes = json;
  req.filename = "x.json";
  req.is_public = true;
  auto unnamed = importer_->import(req);
  ASSERT_TRUE(unnamed.ok()) << unnamed.error().message;
  EXPECT_EQ(unnamed->format, Format::kJson);
  EXPECT_EQ(unnamed->playlist.name, "Imported playlist");
  EXPECT_TRUE(unnamed->playlist.is_public);
  EXPECT_EQ(unnamed->playlist.track_count, 1);
  req.name = "Mine";
  auto named = importer_->import(req);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->playlist.name, "Mine");
}

TEST_F(ImportServiceTest, AFileThatCannotBeToldOrParsedCreatesNothing) {
  ImportRequest req;
  req.owner = owner_;
  req.bytes = "just some words";
  auto unknown = importer_->import(req);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("format"), std::string::npos);
  req.filename = "x.xspf";
  req.bytes = "<playlist><trackList><track>";
  auto broken = importer_->import(req);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(playlists_of_owner(), 0u);
}

TEST_F(ImportServiceTest, AFileOverTheEntryLimitIsExhaustedAndCreatesNothing) {
  std::string m3u = "#EXTM3U\n";
  for (int i = 0; i < 10001; ++i) m3u += "x" + std::to_string(i) + ".mp3\n";
  ImportRequest req;
  req.owner = owner_;
  req.bytes = m3u;
  auto r = importer_->import(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(playlists_of_owner(), 0u);
}

}  // namespace
}  // namespace segue::playlist
