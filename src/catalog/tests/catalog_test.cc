#include "catalog/catalog.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <thread>

#include "catalog/demo_library.h"
#include "catalog/scanner.h"
#include "catalog/tests/test_util.h"

namespace segue::catalog {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = tmp_.path() / "library";
    ASSERT_TRUE(write_demo_library(lib_.string(), DemoOptions{1.0}).ok());
    auto db = store::testing::open((tmp_.path() / "segue.db").string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    catalog_ = std::make_unique<Catalog>(*db_);
    scanner_ = std::make_unique<Scanner>(*db_, catalog_.get());
    ASSERT_TRUE(scanner_->scan({lib_.string()}, false).ok());
  }
  const Album* album_named(const std::string& name) const {
    for (const auto& a : catalog_->snapshot()->albums())
      if (a.name == name) return &a;
    return nullptr;
  }

  TempDir tmp_;
  fs::path lib_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Scanner> scanner_;
};

TEST(CatalogEmptyTest, SnapshotBeforeReloadIsEmptyAndLookupsReturnNull) {
  TempDir tmp;
  auto db = store::testing::open((tmp.path() / "segue.db").string());
  ASSERT_TRUE(db.ok());
  Catalog catalog(**db);
  auto s = catalog.snapshot();
  EXPECT_EQ(s->stats().tracks, 0u);
  EXPECT_EQ(s->track(TrackId("0000000000000000000000")), nullptr);
  EXPECT_TRUE(s->album_tracks(AlbumId("x")).empty());
  ASSERT_TRUE(catalog.reload().ok());
  EXPECT_EQ(catalog.stats().albums, 0u);
}

TEST_F(CatalogTest, RecentlyAddedOrderByAddedThenReleaseDate) {
  auto s = catalog_->snapshot();
  auto albums = s->recently_added();
  ASSERT_EQ(albums.size(), 4u);
  EXPECT_EQ(albums[0]->name, "Side Streets: A Collection");
  EXPECT_EQ(albums[1]->name, "Glass Orchard");
  EXPECT_EQ(albums[2]->name, "Night Cartography");
  EXPECT_EQ(albums[3]->name, "Harbor Lights");
  EXPECT_EQ(s->recently_added(2).size(), 2u);
  EXPECT_EQ(s->new_releases(), albums);  // one scan: release date decides both orders

  // An album added by a later scan comes first, whatever its release date...
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  TagWrite w;
  w.properties = {{"TITLE", {"Old Song"}}, {"ARTIST", {"Ada Brisk"}}, {"ALBUM", {"Archive"}},
                  {"DATE", {"1970"}}};
  testing::make_tagged_file(lib_ / "Ada Brisk" / "Archive" / "01.ogg", audio::Format::kOgg, w, 0.5);
  auto rescan = scanner_->scan({lib_.string()}, false);
  ASSERT_TRUE(rescan.ok());
  ASSERT_TRUE(rescan->failed.empty()) << rescan->failed[0].path << ": " << rescan->failed[0].reason;
  EXPECT_EQ(catalog_->snapshot()->recently_added(1)[0]->name, "Archive");
  // ...but it is the oldest release.
  auto releases = catalog_->snapshot()->new_releases();
  ASSERT_EQ(releases.size(), 5u);
  EXPECT_EQ(releases[0]->name, "Side Streets: A Collection");
  EXPECT_EQ(releases[4]->name, "Archive");
}

TEST_F(CatalogTest, TopTracksFollowReleaseDateThenTrackNumber) {
  auto s = catalog_->snapshot();
  auto top = s->artist_top_tracks(artist_id_for("Marlow Vance"), 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0]->title, "Corner Café Serenade");
  EXPECT_EQ(top[1]->title, "Evening Exchange");
  EXPECT_EQ(top[2]->title, "Low Tide Letters");
  EXPECT_EQ(s->artist_top_tracks(artist_id_for("Marlow Vance"), 10).size(), 5u);
}

TEST_F(CatalogTest, FilesAndAlbumsResolveFromTracks) {
  auto s = catalog_->snapshot();
  for (const Track& t : s->tracks()) {
    ASSERT_NE(s->album(t.album_id), nullptr) << t.title;
    auto files = s->files_for_track(t.id);
    ASSERT_EQ(files.size(), 1u) << t.title;
    EXPECT_EQ(files[0]->track_id, t.id);
    EXPECT_EQ(s->file(files[0]->id), files[0]);
    EXPECT_TRUE(fs::path(files[0]->path).is_absolute());
    EXPECT_GT(files[0]->size, 0);
    EXPECT_GT(t.duration_ms, 500);
    EXPECT_TRUE(is_base62_id(t.id.str()));
    for (const ArtistId& a : t.artist_ids) EXPECT_NE(s->artist(a), nullptr);
  }
  const Album* harbor = album_named("Harbor Lights");
  ASSERT_NE(harbor, nullptr);
  EXPECT_EQ(harbor->genres, std::vector<std::string>{"Folk"});
  EXPECT_EQ(harbor->total_tracks, 3);
  EXPECT_EQ(s->artist(harbor->artist_ids.at(0))->sort_name, "Marlow Vance");
  EXPECT_EQ(s->artist(artist_id_for("The Copper Lanterns"))->sort_name, "Copper Lanterns");
}

TEST_F(CatalogTest, OldSnapshotsStayValidAfterReload) {
  auto before = catalog_->snapshot();
  const Track* t = &before->tracks().front();
  const std::string title = t->title;
  fs::remove_all(lib_ / "Marlow Vance");
  ASSERT_TRUE(scanner_->scan({lib_.string()}, false).ok());
  EXPECT_EQ(t->title, title);  // still owned by `before`
  EXPECT_EQ(catalog_->stats().tracks, 10u);
  EXPECT_EQ(before->stats().tracks, 13u);
}

}  // namespace
}  // namespace segue::catalog
