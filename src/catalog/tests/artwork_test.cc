#include "catalog/artwork.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <fstream>

#include "audio/image.h"
#include "catalog/demo_library.h"
#include "catalog/scanner.h"
#include "catalog/tests/test_util.h"

namespace segue::catalog {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class ArtworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = tmp_.path() / "library";
    ASSERT_TRUE(write_demo_library(lib_.string(), DemoOptions{0.5}).ok());
    auto db = store::testing::open((tmp_.path() / "segue.db").string());
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    catalog_ = std::make_unique<Catalog>(*db_);
    scanner_ = std::make_unique<Scanner>(*db_, catalog_.get());
    ASSERT_TRUE(scanner_->scan({lib_.string()}, false).ok());
    artwork_ = std::make_unique<Artwork>(*catalog_, (tmp_.path() / "data").string());
  }
  ImageId image_of(const std::string& album) const {
    for (const auto& a : catalog_->snapshot()->albums())
      if (a.name == album && a.image_id) return *a.image_id;
    return ImageId();
  }

  TempDir tmp_;
  fs::path lib_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Scanner> scanner_;
  std::unique_ptr<Artwork> artwork_;
};

TEST_F(ArtworkTest, EmbeddedAndFolderArtResizeToEachSizeWithoutUpscaling) {
  for (const char* album : {"Night Cartography", "Harbor Lights"}) {
    const ImageId id = image_of(album);
    ASSERT_FALSE(id.empty()) << album;
    for (int size : {64, 300, 640}) {
      auto jpeg = artwork_->image_jpeg(id, size);
      ASSERT_TRUE(jpeg.ok()) << album << " " << size << ": " << jpeg.error().message;
      auto info = audio::probe_image(*jpeg);
      ASSERT_TRUE(info.ok());
      EXPECT_EQ(info->width, std::min(size, 300));  // the demo covers are 300 px
      EXPECT_TRUE(fs::exists(artwork_->cache_path(id, size)));
    }
  }
}

TEST_F(ArtworkTest, SecondRequestIsServedFromTheCache) {
  const ImageId id = image_of("Harbor Lights");
  auto first = artwork_->image_jpeg(id, 64);
  ASSERT_TRUE(first.ok());
  // Replace the cached bytes: a cache hit returns them unchanged.
  std::ofstream(artwork_->cache_path(id, 64), std::ios::binary | std::ios::trunc) << "cached";
  auto second = artwork_->image_jpeg(id, 64);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, "cached");
}

TEST_F(ArtworkTest, UnknownIdsAndSizesAreRejected) {
  auto unknown = artwork_->image_jpeg(ImageId("0000000000000000000000"), 64);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto traversal = artwork_->image_jpeg(ImageId("../../etc/passwd"), 64);
  ASSERT_FALSE(traversal.ok());
  EXPECT_EQ(traversal.error().code, ErrorCode::kNotFound);
  auto size = artwork_->image_jpeg(image_of("Harbor Lights"), 100);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ArtworkTest, UndecodableCoverFileIsInvalid) {
  const ImageId id = image_of("Harbor Lights");
  std::ofstream(lib_ / "Marlow Vance" / "Harbor Lights" / "cover.jpg", std::ios::trunc)
      << "\xFF\xD8\xFF not really a jpeg";
  auto r = artwork_->image_jpeg(id, 300);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace segue::catalog
