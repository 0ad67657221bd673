#include "api/web/static_site.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace segue::api::web {
namespace {
namespace fs = std::filesystem;

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("segue-site-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "site" / "assets");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
};

TEST_F(StaticSiteTest, IndexesFilesWithTypesAndCaching) {
  write(root_ / "site" / "index.html", "<!doctype html>");
  write(root_ / "site" / "assets" / "index-abc.js", "console.log(1)");
  write(root_ / "site" / "favicon.svg", "<svg/>");
  auto site = StaticSite::load((root_ / "site").string());
  ASSERT_TRUE(site.ok()) << site.error().message;
  EXPECT_EQ(site->size(), 3u);
  const Asset* js = site->find("/assets/index-abc.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(js->immutable);
  EXPECT_EQ(js->size, 14u);
  const Asset* svg = site->find("/favicon.svg");
  ASSERT_NE(svg, nullptr);
  EXPECT_FALSE(svg->immutable);
  EXPECT_EQ(svg->content_type, "image/svg+xml");
  EXPECT_EQ(site->index().content_type, "text/html; charset=utf-8");
  EXPECT_NE(js->etag, svg->etag);
}

TEST_F(StaticSiteTest, NothingOutsideTheIndexIsReachable) {
  write(root_ / "site" / "index.html", "x");
  write(root_ / "secret.txt", "do not serve");
  fs::create_symlink(root_ / "secret.txt", root_ / "site" / "link.txt");
  fs::create_directory_symlink(root_, root_ / "site" / "up");
  auto site = StaticSite::load((root_ / "site").string());
  ASSERT_TRUE(site.ok());
  EXPECT_EQ(site->find("/../secret.txt"), nullptr);
  EXPECT_EQ(site->find("/link.txt"), nullptr);  // symbolic links are skipped
  EXPECT_EQ(site->find("/up/secret.txt"), nullptr);
  EXPECT_EQ(site->find("/%2e%2e/secret.txt"), nullptr);
  EXPECT_EQ(site->size(), 1u);
}

TEST_F(StaticSiteTest, RefusesADirectoryWithoutIndexOrWithTooManyFiles) {
  auto missing = StaticSite::load((root_ / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto no_index = StaticSite::load((root_ / "site").string());
  ASSERT_FALSE(no_index.ok());
  EXPECT_NE(no_index.error().message.find("index.html"), std::string::npos);
  write(root_ / "site" / "index.html", "x");
  for (int i = 0; i < 5; ++i) write(root_ / "site" / ("f" + std::to_string(i) + ".js"), "x");
  auto too_many = StaticSite::load((root_ / "site").string(), 3);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, ErrorCode::kInvalidArgument);
}

TEST(StaticPaths, ApiAndFilePathsAreNotTheApp) {
  EXPECT_TRUE(is_api_or_file_path("/v1/nothing"));
  EXPECT_TRUE(is_api_or_file_path("/api/x"));
  EXPECT_TRUE(is_api_or_file_path("/audio/abc"));
  EXPECT_TRUE(is_api_or_file_path("/images"));
  EXPECT_TRUE(is_api_or_file_path("/assets/missing-123.js"));
  EXPECT_TRUE(is_api_or_file_path("/robots.txt"));
  EXPECT_FALSE(is_api_or_file_path("/album/0123456789abcdefABCDEF"));
  EXPECT_FALSE(is_api_or_file_path("/library"));
  EXPECT_FALSE(is_api_or_file_path("/callback"));
  EXPECT_TRUE(is_api_or_file_path("/v1"));
  EXPECT_EQ(content_type_for("a.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace segue::api::web
