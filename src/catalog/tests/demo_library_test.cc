#include "catalog/demo_library.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "catalog/scanner.h"
#include "catalog/tag_reader.h"
#include "catalog/tests/test_util.h"

namespace segue::catalog {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<std::string> audio_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string ext = e.path().extension().string();
    if (!ext.empty() && is_audio_extension(ext.substr(1))) out.push_back(e.path().string());
  }
  return out;
}

TEST(DemoLibraryTest, FullLengthTracksAreTwentyToFortySecondsInSixFormats) {
  TempDir tmp;
  ASSERT_TRUE(write_demo_library(tmp.str()).ok());
  auto files = audio_files(tmp.path());
  ASSERT_EQ(files.size(), 13u);
  std::set<std::string> codecs;
  for (const auto& f : files) {
    auto t = read_tags(f);
    ASSERT_TRUE(t.ok()) << f << ": " << t.error().message;
    EXPECT_GE(t->duration_ms, 19500) << f;
    EXPECT_LE(t->duration_ms, 40500) << f;
    EXPECT_FALSE(t->title_from_filename) << f;
    EXPECT_GT(t->track_total, 0) << f;
    codecs.insert(t->codec);
  }
  EXPECT_EQ(codecs, (std::set<std::string>{"vorbis", "mp3", "flac", "opus", "aac", "wav"}));
  EXPECT_TRUE(fs::exists(tmp.path() / "Marlow Vance" / "Harbor Lights" / "cover.jpg"));
}

TEST(DemoLibraryTest, SecondRunWithMarkerWritesNothing) {
  TempDir tmp;
  ASSERT_TRUE(write_demo_library(tmp.str(), DemoOptions{0.3}).ok());
  const fs::path one = tmp.path() / "Nadia Oré" / "Glass Orchard" / "01 - Prism Bloom.flac";
  ASSERT_TRUE(fs::exists(one));
  const auto mtime = fs::last_write_time(one);
  fs::remove(tmp.path() / "Marlow Vance" / "Harbor Lights" / "cover.jpg");
  ASSERT_TRUE(write_demo_library(tmp.str(), DemoOptions{0.3}).ok());
  EXPECT_EQ(fs::last_write_time(one), mtime);
  EXPECT_FALSE(fs::exists(tmp.path() / "Marlow Vance" / "Harbor Lights" / "cover.jpg"));
}

TEST(DemoLibraryTest, CatalogLibraryWritesOneTaggedFilePerCsvRow) {
  TempDir tmp;
  const fs::path csv = tmp.path() / "rows.csv";
  std::ofstream(csv) << "year,title,artist,album,genre\n"
                        "2001,First Light,Ada Brisk,Dawn,Ambient\n"
                        "2001,\"Second, Light\",Ada Brisk,Dawn,Ambient\n"
                        "1999,Lone Song,Colm Dunmore,,Folk\n"
                        ",,Nobody,,\n";
  std::vector<std::size_t> done;
  ASSERT_TRUE(write_catalog_library((tmp.path() / "lib").string(), csv.string(),
                                    [&](std::size_t d, std::size_t) { done.push_back(d); })
                  .ok());
  auto files = audio_files(tmp.path() / "lib");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(done.back(), 4u);
  auto t = read_tags((tmp.path() / "lib" / "Ada Brisk" / "Dawn" / "2 - Second, Light.ogg").string());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->title, "Second, Light");
  EXPECT_EQ(t->album, "Dawn");
  EXPECT_EQ(t->date, "2001");
  EXPECT_EQ(t->genres, std::vector<std::string>{"Ambient"});
  EXPECT_EQ(t->track_number, 2);
}

TEST(DemoLibraryTest, CsvWithoutTitleColumnIsInvalid) {
  TempDir tmp;
  const fs::path csv = tmp.path() / "rows.csv";
  std::ofstream(csv) << "name,artist\nx,y\n";
  Status s = write_catalog_library((tmp.path() / "lib").string(), csv.string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace segue::catalog
