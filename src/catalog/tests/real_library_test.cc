// Scans a real, third-party library when it is installed: the 41 Ogg Vorbis tracks of
// Debian's wesnoth-1.16-music package. Expected grouping follows their tags:
//   37 tracks: ALBUM "The Battle for Wesnoth OST", ALBUMARTIST "Wesnoth Project";
//   victory.ogg / victory2.ogg: same ALBUM, no ALBUMARTIST -> album artist = track artist
//     (Timothy Pinkham, Ryan Reilly): two more albums of that name;
//   return_to_wesnoth.ogg: ARTIST and TITLE only -> album from the folder ("music");
//   silence.ogg: no tags -> title "silence", album "music", artist "core" (folder names).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "catalog/catalog.h"
#include "store/testing.h"
#include "catalog/scanner.h"
#include "catalog/tests/test_util.h"

extern "C" {
#include <libavformat/avformat.h>
}

namespace segue::catalog {
namespace {

namespace fs = std::filesystem;
constexpr const char* kWesnoth = "/usr/share/games/wesnoth/1.16/data/core/music";

// Duration by libavformat, independent of TagLib.
int64_t ffmpeg_duration_ms(const std::string& path) {
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, path.c_str(), nullptr, nullptr) < 0) return -1;
  int64_t ms = -1;
  if (avformat_find_stream_info(ctx, nullptr) >= 0 && ctx->duration > 0)
    ms = ctx->duration / (AV_TIME_BASE / 1000);
  avformat_close_input(&ctx);
  return ms;
}

TEST(RealLibraryTest, WesnothSoundtrackScansCompletelyWithTagGrouping) {
  if (!fs::is_directory(kWesnoth)) GTEST_SKIP() << "wesnoth-1.16-music is not installed";
  testing::TempDir tmp;
  auto db = store::testing::open((tmp.path() / "segue.db").string());
  ASSERT_TRUE(db.ok());
  Catalog catalog(**db);
  Scanner scanner(**db, &catalog);
  auto r = scanner.scan({kWesnoth}, false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->files_seen, 41u);
  EXPECT_EQ(r->added, 41u);
  EXPECT_TRUE(r->failed.empty());

  auto s = catalog.snapshot();
  ASSERT_EQ(s->tracks().size(), 41u);
  for (const AudioFile& f : s->files()) {
    const Track* t = s->track(f.track_id);
    ASSERT_NE(t, nullptr);
    EXPECT_GT(t->duration_ms, 0) << f.path;
    EXPECT_NEAR(static_cast<double>(t->duration_ms),
                static_cast<double>(ffmpeg_duration_ms(f.path)), 500.0)
        << f.path;
    EXPECT_EQ(f.codec, "vorbis");
    EXPECT_EQ(f.mime_type, "audio/ogg");
  }

  std::map<std::string, std::size_t> tracks_per_album;  // "album|album artist" -> tracks
  for (const Album& a : s->albums()) {
    ASSERT_EQ(a.artist_ids.size(), 1u);
    tracks_per_album[a.name + "|" + s->artist(a.artist_ids[0])->name] =
        s->album_tracks(a.id).size();
  }
  EXPECT_EQ(tracks_per_album, (std::map<std::string, std::size_t>{
                                  {"The Battle for Wesnoth OST|Wesnoth Project", 37},
                                  {"The Battle for Wesnoth OST|Timothy Pinkham", 1},
                                  {"The Battle for Wesnoth OST|Ryan Reilly", 1},
                                  {"music|Mattias Westlund", 1},
                                  {"music|core", 1}}));
  // 10 composers, the "Wesnoth Project" album artist and "core" from the untagged file.
  EXPECT_EQ(s->artists().size(), 12u);
  const Album* ost = nullptr;
  for (const Album& a : s->albums())
    if (s->album_tracks(a.id).size() == 37) ost = &a;
  ASSERT_NE(ost, nullptr);
  EXPECT_EQ(ost->total_discs, 2);
  // Album genres: the union in album order (frantic-old.ogg alone says "Game").
  EXPECT_EQ(ost->genres, (std::vector<std::string>{"Romantic Classical", "Game"}));
  auto ordered = s->album_tracks(ost->id);
  EXPECT_EQ(ordered.front()->title, "Defeat");  // tracks without disc/number sort first
  // Rescanning the installed files changes nothing.
  auto again = scanner.scan({kWesnoth}, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 41u);
}

}  // namespace
}  // namespace segue::catalog
