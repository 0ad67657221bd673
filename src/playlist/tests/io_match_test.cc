// Matching imported entries to a small scanned catalog, and export/import round trips.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "catalog/catalog.h"
#include "store/testing.h"
#include "catalog/scanner.h"
#include "catalog/tests/test_util.h"
#include "playlist/io.h"

namespace segue::playlist {
namespace {

namespace fs = std::filesystem;
using catalog::TagWrite;

struct Song {
  std::string rel;  // under the library root
  std::vector<std::string> artists;
  std::string title, album;
  double seconds;
};

// Two "Echo"s and two "Tide"s by the same artist on different albums (durations or albums
// tell them apart), non-ASCII, quotes, ampersands, commas, '#' and '%' in names and paths.
const std::vector<Song> kSongs = {
    {"Marlow Vance/Harbor Lights/01 Tide.flac", {"Marlow Vance"}, "Tide", "Harbor Lights", 1},
    {"Marlow Vance/Harbor Lights/02 Echo.flac", {"Marlow Vance"}, "Echo", "Harbor Lights", 1},
    {"Marlow Vance/Live at Dusk/01 Echo.flac", {"Marlow Vance"}, "Echo", "Live at Dusk", 7},
    {"Marlow Vance/Live at Dusk/02 Tide.flac", {"Marlow Vance"}, "Tide", "Live at Dusk", 1},
    {"Nadia Oré/Été/02 Café & Crème, \"Live\".flac", {"Nadia Oré"}, "Café & Crème, \"Live\"", "Été", 1},
    {"The Copper Lanterns/Lanterns/01 Ember.flac", {"The Copper Lanterns"}, "Ember (feat. Nadia Oré)", "Lanterns", 2},
    {"Various/Mix #1/100% Pure.flac", {"DJ Ünïcode"}, "100% Pure", "Mix #1", 1},
    {"Various/Mix #1/03 Duet.flac", {"Marlow Vance", "Nadia Oré"}, "Duet", "Mix #1", 3},
};

class PlaylistIoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new catalog::testing::TempDir();
    lib_ = tmp_->path() / "library";
    for (const auto& s : kSongs) {
      TagWrite w;
      w.properties = {{"TITLE", {s.title}}, {"ARTIST", s.artists}, {"ALBUM", {s.album}}};
      catalog::testing::make_tagged_file(lib_ / s.rel, audio::Format::kFlac, w, s.seconds);
    }
    auto db = store::testing::open((tmp_->path() / "segue.db").string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value().release();
    catalog_ = new catalog::Catalog(*db_);
    catalog::Scanner scanner(*db_, catalog_);
    auto report = scanner.scan({lib_.string()}, false);
    ASSERT_TRUE(report.ok());
    ASSERT_EQ(catalog_->stats().tracks, kSongs.size());
  }
  static void TearDownTestSuite() {
    delete catalog_;
    delete db_;
    delete tmp_;
  }

  std::shared_ptr<const catalog::Snapshot> snap() const { return catalog_->snapshot(); }

  TrackId id_of(const std::string& rel) const {
    for (const auto& f : snap()->files())
      if (f.relative_path == rel) return f.track_id;
    ADD_FAILURE() << "no file " << rel;
    return {};
  }

  MatchResult import(Format f, const std::string& bytes, const std::string& playlist_dir = "",
                     bool keep_uris = true, bool keep_paths = true) const {
    auto parsed = parse_playlist(f, bytes);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message << "\n" << bytes;
    if (!parsed.ok()) return {};
    for (auto& e : parsed->entries) {
      if (!keep_uris) e.uri.clear();
      if (!keep_paths) e.location.clear();
    }
    return match_entries(*snap(), {lib_.string()}, playlist_dir, parsed->entries);
  }

  ImportEntry entry(std::string artist, std::string title, std::optional<int64_t> ms = std::nullopt,
                    std::string album = "") const {
    ImportEntry e;
    e.artist = std::move(artist);
    e.title = std::move(title);
    e.duration_ms = ms;
    e.album = std::move(album);
    return e;
  }

  MatchResult match(const std::vector<ImportEntry>& es, const std::string& dir = "") const {
    return match_entries(*snap(), {lib_.string()}, dir, es);
  }

  // Every track once, shuffled, with one repeated.
  ExportPlaylist all_tracks() const {
    ExportPlaylist p;
    p.name = "Caf\xC3\xA9 & \"Friends\", <vol. 1>";
    p.description = "Late night\nmix & more";
    for (const auto& s : {6, 4, 0, 3, 7, 1, 2, 5, 4}) p.tracks.push_back(id_of(kSongs[s].rel));
    return p;
  }

  static catalog::testing::TempDir* tmp_;
  static fs::path lib_;
  static store::Database* db_;
  static catalog::Catalog* catalog_;
};

catalog::testing::TempDir* PlaylistIoTest::tmp_ = nullptr;
fs::path PlaylistIoTest::lib_;
store::Database* PlaylistIoTest::db_ = nullptr;
catalog::Catalog* PlaylistIoTest::catalog_ = nullptr;

std::string unmatched_report(const MatchResult& r) {
  std::string s;
  for (const auto& u : r.unmatched)
    s += std::to_string(u.index) + ": " + u.entry.location + " | " + u.entry.artist + " - " +
         u.entry.title + " -> " + u.reason + "\n";
  return s;
}

TEST_F(PlaylistIoTest, RoundTripEveryFormatAndPathStyle) {
  auto p = all_tracks();
  std::string base = (tmp_->path() / "playlists" / "sub").string();
  struct Style {
    ExportOptions opt;
    std::string playlist_dir;
  };
  std::vector<Style> styles = {
      {{ExportOptions::Paths::kAbsolute, ""}, ""},
      {{ExportOptions::Paths::kRelative, ""}, ""},      // relative to the library root
      {{ExportOptions::Paths::kRelative, base}, base},  // "../../library/..."
  };
  for (Format f : {Format::kM3u8, Format::kXspf, Format::kJson}) {
    for (std::size_t si = 0; si < styles.size(); ++si) {
      std::string bytes = export_playlist(f, *snap(), p, styles[si].opt);
      SCOPED_TRACE(std::string(format_name(f)) + " style " + std::to_string(si) + "\n" + bytes);
      auto parsed = parse_playlist(f, bytes);
      ASSERT_TRUE(parsed.ok()) << parsed.error().message;
      EXPECT_EQ(parsed->name, "Caf\xC3\xA9 & \"Friends\", <vol. 1>");
      EXPECT_EQ(parsed->description,
                f == Format::kM3u8 ? "Late night mix & more" : "Late night\nmix & more");
      EXPECT_EQ(detect_format("", "", bytes), f);
      // With everything the file says, with paths only, and with artist/title/album/duration
      // only: the same tracks in the same order every time.
      for (int mode = 0; mode < 3; ++mode) {
        SCOPED_TRACE("mode " + std::to_string(mode));
        bool paths = mode != 2;
        auto r = import(f, bytes, styles[si].playlist_dir, mode == 0, paths);
        EXPECT_EQ(r.matched_in_order, p.tracks) << unmatched_report(r);
        EXPECT_TRUE(r.unmatched.empty()) << unmatched_report(r);
        EXPECT_EQ(r.matched_how.size(), mode == 2 ? p.tracks.size() : 0u);
      }
    }
  }
}

TEST_F(PlaylistIoTest, ExportShapes) {
  ExportPlaylist p;
  p.name = "N";
  p.tracks = {id_of(kSongs[4].rel)};
  std::string m3u = export_m3u8(*snap(), p, {ExportOptions::Paths::kAbsolute, ""});
  EXPECT_EQ(m3u, "#EXTM3U\n#PLAYLIST:N\n#EXTINF:1,Nadia Oré - Café & Crème, \"Live\"\n#EXTALB:Été\n" +
                     (lib_ / kSongs[4].rel).string() + "\n");
  std::string xspf = export_xspf(*snap(), p, {ExportOptions::Paths::kRelative, ""});
  EXPECT_NE(xspf.find("<location>Nadia%20Or%C3%A9/%C3%89t%C3%A9/02%20Caf%C3%A9%20%26%20Cr%C3%A8me%2C%20%22Live%22.flac</location>"),
            std::string::npos) << xspf;
  EXPECT_NE(xspf.find("<title>Café &amp; Crème, &quot;Live&quot;</title>"), std::string::npos);
  EXPECT_NE(xspf.find("<identifier>segue:track:" + p.tracks[0].str() + "</identifier>"), std::string::npos);
  std::string json = export_json(*snap(), p);
  EXPECT_NE(json.find("\"format\":\"segue.playlist\""), std::string::npos);
  EXPECT_NE(json.find("\"artists\":[\"Nadia Oré\"]"), std::string::npos);
}

// What the server sends (the default options) never shows where the library lives on the
// server, and still imports back by path alone.
TEST_F(PlaylistIoTest, ExportByDefaultShowsNoServerPath) {
  auto p = all_tracks();
  for (Format f : {Format::kM3u8, Format::kXspf, Format::kJson}) {
    {
      std::string bytes = export_playlist(f, *snap(), p);
      EXPECT_EQ(bytes.find(lib_.string()), std::string::npos) << bytes;
      EXPECT_EQ(bytes.find("file://"), std::string::npos) << bytes;
      auto r = import(f, bytes, "", false, true);
      EXPECT_EQ(r.matched_in_order, p.tracks) << unmatched_report(r);
    }
  }
}

TEST_F(PlaylistIoTest, DeletedTrackIsExportedByUriAndReportedOnImport) {
  ExportPlaylist p;
  p.tracks = {id_of(kSongs[0].rel), TrackId("0000000000000000000001"), id_of(kSongs[1].rel)};
  for (Format f : {Format::kM3u8, Format::kXspf, Format::kJson}) {
    std::string bytes = export_playlist(f, *snap(), p);
    auto r = import(f, bytes);
    EXPECT_EQ(r.matched_in_order, (std::vector<TrackId>{p.tracks[0], p.tracks[2]})) << bytes;
    ASSERT_EQ(r.unmatched.size(), 1u);
    EXPECT_EQ(r.unmatched[0].index, 1u);
    EXPECT_EQ(r.unmatched[0].entry.uri, "segue:track:0000000000000000000001");
    EXPECT_EQ(r.unmatched[0].reason, "no track with this path or artist and title");
  }
}

TEST_F(PlaylistIoTest, ArtistTitleFoldingDurationAndAlbumTieBreaks) {
  auto r = match({
      entry("nadia ore", "CAFE AND CREME (live)"),                   // 0 folded
      entry("Copper Lanterns", "Ember"),                             // 1 "The", feat.
      entry("The Copper Lanterns feat. Nadia Oré", "Ember (feat. Nadia Oré)"),  // 2
      entry("Marlow Vance", "Echo", 7400),                           // 3 duration → Live at Dusk
      entry("Marlow Vance", "Echo", 1000),                           // 4 → Harbor Lights
      entry("Marlow Vance", "Echo"),                                 // 5 ambiguous
      entry("Marlow Vance", "Tide", 1000),                           // 6 same durations: ambiguous
      entry("Marlow Vance", "Tide", 1000, "live at dusk"),           // 7 album decides
      entry("Nadia Oré", "Duet"),                                    // 8 second artist
      entry("Nadia Oré & Marlow Vance", "Duet"),                     // 9 both, other order
      entry("", "Duet", 3100),                                       // 10 title + duration
      entry("", "Duet"),                                             // 11 title alone: no
      entry("The Copper Lanterns", "Ember", 60000),                  // 12 unique, duration off
      entry("Somebody Else", "Tide"),                                // 13 no such artist
      ImportEntry{},                                                 // 14 empty
  });
  auto id = [&](int i) { return id_of(kSongs[i].rel); };
  EXPECT_EQ(r.matched_in_order,
            (std::vector<TrackId>{id(4), id(5), id(5), id(2), id(1), id(3), id(7), id(7), id(7), id(5)}))
      << unmatched_report(r);
  ASSERT_EQ(r.unmatched.size(), 5u) << unmatched_report(r);
  EXPECT_EQ(r.unmatched[0].index, 5u);
  EXPECT_EQ(r.unmatched[0].reason.rfind("several tracks match: \"Echo\" by Marlow Vance on \"", 0), 0u)
      << r.unmatched[0].reason;
  EXPECT_NE(r.unmatched[0].reason.find("segue:track:" + id(1).str()), std::string::npos);
  EXPECT_NE(r.unmatched[0].reason.find("segue:track:" + id(2).str()), std::string::npos);
  EXPECT_EQ(r.unmatched[1].index, 6u);
  EXPECT_EQ(r.unmatched[1].reason.rfind("several tracks match: ", 0), 0u);
  EXPECT_EQ(r.unmatched[2].index, 11u);
  EXPECT_EQ(r.unmatched[2].reason, "no track with this path or artist and title");
  EXPECT_EQ(r.unmatched[3].index, 13u);
  EXPECT_EQ(r.unmatched[4].index, 14u);
  EXPECT_EQ(r.unmatched[4].reason, "the entry has no path, URI or title");
  ASSERT_EQ(r.matched_how.size(), 10u);
  EXPECT_EQ(r.matched_how[0].how, "artist and title");
  EXPECT_EQ(r.matched_how[3].how, "artist, title and duration");
  EXPECT_EQ(r.matched_how[4].how, "artist, title and duration");
  EXPECT_EQ(r.matched_how[5].how, "artist, title and duration and album");
  EXPECT_EQ(r.matched_how[8].how, "title and duration");
  EXPECT_EQ(r.matched_how[9].how, "artist and title (duration differs by 58 s)");
}

TEST_F(PlaylistIoTest, PathsResolveOnlyToCatalogFiles) {
  auto abs = [&](int i) { return (lib_ / kSongs[i].rel).string(); };
  auto loc = [](std::string l) {
    ImportEntry e;
    e.location = std::move(l);
    return e;
  };
  // A real file outside the library, named like a library file.
  fs::create_directories(tmp_->path() / "outside" / "Marlow Vance" / "Harbor Lights");
  std::ofstream(tmp_->path() / "outside" / "secret.flac") << "x";
  std::string dir = (tmp_->path() / "playlists").string();
  auto r = match(
      {
          loc(abs(0)),                                                            // 0 absolute
          loc("../library/Marlow Vance/./Harbor Lights/02 Echo.flac"),            // 1 playlist dir
          loc("Marlow Vance\\Live at Dusk\\01 Echo.flac"),                        // 2 root, '\'
          loc("file://" + lib_.string() + "/Various/Mix%20%231/100%25%20Pure.flac"),  // 3
          loc("C:\\Users\\me\\Music\\marlow vance\\live at dusk\\02 tide.flac"),  // 4 suffix
          loc("../../../../../../etc/passwd"),                                     // 5
          loc("/etc/passwd"),                                                      // 6
          loc("../outside/secret.flac"),                                           // 7 exists
          loc((tmp_->path() / "segue.db").string()),                               // 8 exists
          loc(lib_.string() + "/../outside/secret.flac"),                          // 9
          loc("file://nas/music/Marlow Vance/Harbor Lights/01 Tide.flac"),         // 10 host
          loc("segue:track:" + id_of(kSongs[6].rel).str()),                        // 11 URI
          loc("https://example.com/Marlow Vance/Harbor Lights/01 Tide.flac"),      // 12
      },
      dir);
  auto id = [&](int i) { return id_of(kSongs[i].rel); };
  EXPECT_EQ(r.matched_in_order, (std::vector<TrackId>{id(0), id(1), id(2), id(6), id(3), id(6)}))
      << unmatched_report(r);
  std::vector<std::size_t> unmatched;
  for (const auto& u : r.unmatched) unmatched.push_back(u.index);
  EXPECT_EQ(unmatched, (std::vector<std::size_t>{5, 6, 7, 8, 9, 10, 12}));
  ASSERT_EQ(r.matched_how.size(), 1u);
  EXPECT_EQ(r.matched_how[0].index, 4u);
  EXPECT_EQ(r.matched_how[0].how, "path ending \"marlow vance/live at dusk/02 tide.flac\"");
}

TEST_F(PlaylistIoTest, PathSuffixMustBeAWholeCatalogRelativePath) {
  ImportEntry e = entry("Marlow Vance", "Echo", 7000);
  e.location = "D:\\elsewhere\\02 Tide.flac";  // a file name of another song: not a path match
  ImportEntry only_name;
  only_name.location = "/elsewhere/100% Pure.flac";
  auto r = match({e, only_name});
  EXPECT_EQ(r.matched_in_order, (std::vector<TrackId>{id_of(kSongs[2].rel)})) << unmatched_report(r);
  ASSERT_EQ(r.unmatched.size(), 1u);
  EXPECT_EQ(r.unmatched[0].index, 1u);
}

TEST_F(PlaylistIoTest, SpotifyExportMatchesByArtistTitleAndDuration) {
  auto r = import(Format::kJson, R"J({"name":"From Spotify","tracks":{"items":[
      {"track":{"uri":"spotify:track:6rqhFgbbKwnb9MLmUQDhG6","name":"Echo","artists":[{"name":"Marlow Vance"}],
                "album":{"name":"Live at Dusk (Deluxe)"},"duration_ms":7100}},
      {"track":null},
      {"track":{"uri":"spotify:track:1111111111111111111111","name":"Unknown","artists":[{"name":"Nobody"}]}}]}})J");
  EXPECT_EQ(r.matched_in_order, (std::vector<TrackId>{id_of(kSongs[2].rel)}));
  ASSERT_EQ(r.unmatched.size(), 2u);
  EXPECT_EQ(r.unmatched[0].reason, "the entry has no path, URI or title");
  EXPECT_EQ(r.unmatched[1].entry.title, "Unknown");
}

// 10,000 entries (Spotify's limit) per format: parse and match times, by path and by artist
// and title. Printed for the record; the bound only catches pathologies (ASan builds too).
TEST_F(PlaylistIoTest, TenThousandEntriesParseAndMatchQuickly) {
  ExportPlaylist p;
  for (std::size_t i = 0; i < 10000; ++i) p.tracks.push_back(id_of(kSongs[i % kSongs.size()].rel));
  for (Format f : {Format::kM3u8, Format::kXspf, Format::kJson}) {
    std::string bytes = export_playlist(f, *snap(), p);
    auto t0 = std::chrono::steady_clock::now();
    auto parsed = parse_playlist(f, bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    auto t1 = std::chrono::steady_clock::now();
    for (auto& e : parsed->entries) e.uri.clear();
    auto by_path = match_entries(*snap(), {lib_.string()}, "", parsed->entries);
    auto t2 = std::chrono::steady_clock::now();
    for (auto& e : parsed->entries) e.location.clear();
    auto by_meta = match_entries(*snap(), {lib_.string()}, "", parsed->entries);
    auto t3 = std::chrono::steady_clock::now();
    EXPECT_EQ(by_path.matched_in_order, p.tracks);
    EXPECT_EQ(by_meta.matched_in_order, p.tracks);
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    std::printf("%-5s %8zu bytes: parse %.1f ms, match by path %.1f ms, by artist/title %.1f ms\n",
                std::string(format_name(f)).c_str(), bytes.size(), ms(t0, t1), ms(t1, t2), ms(t2, t3));
    EXPECT_LT(ms(t0, t3), 30000.0);  // quadratic behaviour would take minutes
  }
}

}  // namespace
}  // namespace segue::playlist
