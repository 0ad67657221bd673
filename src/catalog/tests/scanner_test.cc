#include "catalog/scanner.h"
#include "store/testing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <atomic>
#include <map>
#include <thread>

#include "bus/local_bus.h"
#include "catalog/catalog.h"
#include "catalog/catalog_store.h"
#include "catalog/scan_loop.h"
#include "catalog/demo_library.h"
#include "catalog/tests/test_util.h"
#include "common/strings.h"

namespace segue::catalog {
namespace {

namespace fs = std::filesystem;
using audio::Format;
using testing::make_tagged_file;
using testing::TempDir;

// A library folder, a database and a Catalog the scanner reloads.
class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = tmp_.path() / "library";
    fs::create_directories(lib_);
    open_db();
  }
  void open_db(const std::string& name = "segue.db") {
    scanner_.reset();
    catalog_.reset();
    db_.reset();
    auto db = store::testing::open((tmp_.path() / name).string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    catalog_ = std::make_unique<Catalog>(*db_, &bus_);
    scanner_ = std::make_unique<Scanner>(*db_, catalog_.get());
  }
  ScanReport scan(bool full = false) {
    auto r = scanner_->scan({lib_.string()}, full);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : ScanReport{};
  }
  void write_demo() {
    ASSERT_TRUE(write_demo_library(lib_.string(), DemoOptions{1.0}).ok());
  }
  std::shared_ptr<const Snapshot> snap() const { return catalog_->snapshot(); }
  const Album* album_named(const std::string& name) const {
    for (const auto& a : snap()->albums())
      if (a.name == name) return &a;
    return nullptr;
  }
  std::map<std::string, TrackId> ids_by_title() const {
    std::map<std::string, TrackId> out;
    for (const auto& t : snap()->tracks()) out[t.title] = t.id;
    return out;
  }
  std::string reason_for(const ScanReport& r, const std::string& needle) const {
    for (const auto& f : r.failed)
      if (f.path.find(needle) != std::string::npos) return f.reason;
    return "<not reported>";
  }

  TempDir tmp_;
  fs::path lib_;
  std::unique_ptr<store::Database> db_;
  bus::LocalBus bus_;  // before the catalog that publishes to it
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Scanner> scanner_;
};

TEST_F(ScannerTest, DemoLibraryScansIntoExactArtistsAlbumsAndTracks) {
  write_demo();
  std::vector<std::pair<std::size_t, std::size_t>> progress;
  auto r = scanner_->scan({lib_.string()}, false,
                          [&](std::size_t done, std::size_t total) { progress.emplace_back(done, total); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->added, 13u);
  EXPECT_EQ(r->files_seen, 13u);
  EXPECT_TRUE(r->failed.empty()) << r->failed.front().path << ": " << r->failed.front().reason;
  ASSERT_EQ(progress.size(), 13u);
  EXPECT_EQ(progress.back(), std::make_pair(std::size_t{13}, std::size_t{13}));

  const Stats s = catalog_->stats();
  EXPECT_EQ(s.tracks, 13u);
  EXPECT_EQ(s.albums, 4u);
  EXPECT_EQ(s.artists, 4u);  // the three artists and "Various Artists"
  EXPECT_EQ(s.images, 4u);

  const Album* comp = album_named("Side Streets: A Collection");
  ASSERT_NE(comp, nullptr);
  EXPECT_TRUE(comp->is_compilation);
  EXPECT_EQ(snap()->album_tracks(comp->id).size(), 3u);
  ASSERT_EQ(comp->artist_ids.size(), 1u);
  EXPECT_EQ(snap()->artist(comp->artist_ids[0])->name, "Various Artists");
  EXPECT_EQ(comp->release_date, "2024-03");
  EXPECT_EQ(comp->release_date_precision, "month");

  const Album* night = album_named("Night Cartography");
  ASSERT_NE(night, nullptr);
  EXPECT_EQ(night->total_discs, 2);
  EXPECT_EQ(night->year, 2021);
  EXPECT_EQ(night->release_date_precision, "day");
  auto tracks = snap()->album_tracks(night->id);
  ASSERT_EQ(tracks.size(), 4u);
  EXPECT_EQ(tracks[0]->title, "Compass Rose");
  EXPECT_EQ(tracks[2]->disc_number, 2);
  EXPECT_EQ(tracks[2]->title, "Northbound Static");
  ASSERT_TRUE(night->image_id.has_value());
  EXPECT_EQ(snap()->image(*night->image_id)->source, ImageSource::kEmbedded);
  const Album* harbor = album_named("Harbor Lights");
  ASSERT_NE(harbor, nullptr);
  ASSERT_TRUE(harbor->image_id.has_value());
  EXPECT_EQ(snap()->image(*harbor->image_id)->source, ImageSource::kCoverFile);

  // The two-artist track lists both, in order; Nadia appears on the compilation.
  const Track* duet = nullptr;
  for (const auto& t : snap()->tracks())
    if (t.title == "Evening Exchange") duet = &t;
  ASSERT_NE(duet, nullptr);
  ASSERT_EQ(duet->artist_ids.size(), 2u);
  EXPECT_EQ(snap()->artist(duet->artist_ids[0])->name, "Marlow Vance");
  EXPECT_EQ(snap()->artist(duet->artist_ids[1])->name, "Nadia Oré");
  auto nadia_albums = snap()->artist_albums(artist_id_for("Nadia Oré"));
  ASSERT_EQ(nadia_albums.size(), 2u);
  EXPECT_EQ(nadia_albums[0].album->name, "Glass Orchard");
  EXPECT_EQ(nadia_albums[0].group, AlbumGroup::kAlbum);
  EXPECT_EQ(nadia_albums[1].group, AlbumGroup::kAppearsOn);

  // Every format the demo uses is served with its MIME type.
  std::map<std::string, std::string> mime_by_codec;
  for (const auto& f : snap()->files()) mime_by_codec[f.codec] = f.mime_type;
  EXPECT_EQ(mime_by_codec["vorbis"], "audio/ogg");
  EXPECT_EQ(mime_by_codec["mp3"], "audio/mpeg");
  EXPECT_EQ(mime_by_codec["flac"], "audio/flac");
  EXPECT_EQ(mime_by_codec["opus"], "audio/ogg; codecs=opus");
  EXPECT_EQ(mime_by_codec["aac"], "audio/mp4");
  EXPECT_EQ(mime_by_codec["wav"], "audio/wav");
}

TEST_F(ScannerTest, RescanWithNothingChangedKeepsEverything) {
  write_demo();
  scan();
  const auto before = ids_by_title();
  const auto albums_before = snap()->albums();
  ScanReport r = scan();
  EXPECT_EQ(r.added, 0u);
  EXPECT_EQ(r.updated, 0u);
  EXPECT_EQ(r.removed, 0u);
  EXPECT_EQ(r.unchanged, 13u);
  EXPECT_EQ(ids_by_title(), before);
  ASSERT_EQ(snap()->albums().size(), albums_before.size());
  for (const auto& a : albums_before) {
    ASSERT_NE(snap()->album(a.id), nullptr);
    EXPECT_EQ(snap()->album(a.id)->added_at_ms, a.added_at_ms);
  }
  ScanReport full = scan(/*full=*/true);
  EXPECT_EQ(full.added + full.updated + full.removed, 0u);
  EXPECT_EQ(ids_by_title(), before);
}

// Issue 14: a periodic rescan of an unchanged library used to rewrite every artist, album and
// image row and publish a new snapshot (search, analysis and encode-ahead then re-diffed the
// whole catalog), and the server's memory grew with every rescan. Now it costs no write and
// no reload.
TEST_F(ScannerTest, RescanWithNothingChangedWritesNothingAndKeepsTheSnapshot) {
  write_demo();
  ScanReport first = scan();
  EXPECT_GT(first.rows_written, 0u);
  EXPECT_TRUE(first.catalog_reloaded);
  // A second connection sees PRAGMA data_version change whenever another connection commits.
  // PostgreSQL has no such counter: there the row versions (xmin) of the catalog's tables
  // change whenever a row is written.
  store::Options one;
  one.readers = 1;
  auto watcher = store::testing::open((tmp_.path() / "segue.db").string(), one);
  ASSERT_TRUE(watcher.ok()) << watcher.error().message;
  auto data_version = [&] {
    int64_t v = -1;
    EXPECT_TRUE((*watcher)->read([&](store::Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(auto x, c.query_int(
          store::testing::on_postgres()
              ? "SELECT COALESCE(SUM(xmin::text::bigint), 0) + COUNT(*) FROM (SELECT xmin FROM tracks "
                "UNION ALL SELECT xmin FROM audio_files UNION ALL SELECT xmin FROM albums UNION ALL SELECT xmin "
                "FROM artists UNION ALL SELECT xmin FROM images UNION ALL SELECT xmin FROM track_artists "
                "UNION ALL SELECT xmin FROM album_artists) AS rows"
              : "PRAGMA data_version"));
      v = x.value_or(-1);
      return {};
    }).ok());
    return v;
  };
  const int64_t version_before = data_version();
  const auto published = snap();
  std::size_t published_count = 0;
  auto counting = bus_.subscribe("test", bus::only<bus::CatalogSnapshotPublished>(
                                             [&](const bus::CatalogSnapshotPublished&) { ++published_count; }));

  for (bool full : {false, true}) {
    ScanReport r = scan(full);
    EXPECT_EQ(r.unchanged, 13u);
    EXPECT_EQ(r.rows_written, 0u) << (full ? "full rescan" : "rescan");
    EXPECT_FALSE(r.catalog_reloaded);
    EXPECT_EQ(snap(), published) << "an unchanged rescan published a new snapshot";
  }
  EXPECT_EQ(published_count, 0u);
  EXPECT_EQ(data_version(), version_before) << "an unchanged rescan committed a change";

  // A change outside the audio files (a cover file removed) is still seen and published.
  fs::remove(lib_ / "Marlow Vance" / "Harbor Lights" / "cover.jpg");
  ScanReport r = scan();
  EXPECT_GT(r.rows_written, 0u);
  EXPECT_TRUE(r.catalog_reloaded);
  EXPECT_EQ(published_count, 1u);
  ASSERT_NE(album_named("Harbor Lights"), nullptr);
  EXPECT_FALSE(album_named("Harbor Lights")->image_id.has_value());
  EXPECT_NE(data_version(), version_before);
}

TEST_F(ScannerTest, ChangedTagsUpdateOnlyThatFileAndKeepItsId) {
  write_demo();
  scan();
  const auto before = ids_by_title();
  const fs::path file = lib_ / "Marlow Vance" / "Harbor Lights" / "02 - Lanterns on the Pier.ogg";
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  TagWrite w;
  w.properties = {{"TITLE", {"Lanterns on the Pier (Live)"}},
                  {"ARTIST", {"Marlow Vance"}},
                  {"ALBUM", {"Harbor Lights"}},
                  {"ALBUMARTIST", {"Marlow Vance"}},
                  {"TRACKNUMBER", {"2/3"}}};
  ASSERT_TRUE(write_tags(file.string(), w).ok());
  ScanReport r = scan();
  EXPECT_EQ(r.updated, 1u);
  EXPECT_TRUE(r.catalog_reloaded);
  EXPECT_EQ(r.unchanged, 12u);
  EXPECT_EQ(r.added + r.removed, 0u);
  auto after = ids_by_title();
  EXPECT_EQ(after["Lanterns on the Pier (Live)"], before.at("Lanterns on the Pier"));
  EXPECT_EQ(after.size(), 13u);
}

TEST_F(ScannerTest, MovedFileKeepsItsTrackId) {
  write_demo();
  scan();
  const auto before = ids_by_title();
  fs::create_directories(lib_ / "Elsewhere");
  fs::rename(lib_ / "Nadia Oré" / "Glass Orchard" / "02 - Quiet Voltage.m4a",
             lib_ / "Elsewhere" / "voltage.m4a");
  ScanReport r = scan();
  EXPECT_EQ(r.moved, 1u);
  EXPECT_EQ(r.added, 0u);
  EXPECT_EQ(r.removed, 0u);
  EXPECT_EQ(ids_by_title(), before);
  auto files = snap()->files_for_track(before.at("Quiet Voltage"));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0]->relative_path, "Elsewhere/voltage.m4a");
}

TEST_F(ScannerTest, DeletedFileIsRemovedAndEmptyAlbumsWithIt) {
  write_demo();
  scan();
  for (const char* f : {"01 - Prism Bloom.flac", "02 - Quiet Voltage.m4a", "03 - Orchard at 3 AM.flac"})
    fs::remove(lib_ / "Nadia Oré" / "Glass Orchard" / f);
  ScanReport r = scan();
  EXPECT_EQ(r.removed, 3u);
  EXPECT_EQ(catalog_->stats().tracks, 10u);
  EXPECT_EQ(catalog_->stats().albums, 3u);
  EXPECT_EQ(album_named("Glass Orchard"), nullptr);
  // Nadia still appears on the compilation, so she stays.
  EXPECT_NE(snap()->artist(artist_id_for("Nadia Oré")), nullptr);
}

TEST_F(ScannerTest, AnotherNodesCatalogFollowsAScanThatChangedSomething) {
  // Two nodes on one database, only one scanning (the leader): the other reloads when the
  // catalog's version moved, and only then.
  auto db2 = store::testing::open((tmp_.path() / "segue.db").string());
  ASSERT_TRUE(db2.ok()) << db2.error().message;
  Catalog other(**db2);
  ASSERT_TRUE(other.reload().ok());
  EXPECT_EQ(other.snapshot()->tracks().size(), 0u);
  write_demo();
  scan();
  const std::size_t tracks = snap()->tracks().size();
  ASSERT_GT(tracks, 0u);
  EXPECT_EQ(catalog_->loaded_version(), other.loaded_version() + 1);
  auto followed = other.follow();
  ASSERT_TRUE(followed.ok()) << followed.error().message;
  EXPECT_TRUE(*followed);
  EXPECT_EQ(other.snapshot()->tracks().size(), tracks);
  EXPECT_EQ(other.loaded_version(), catalog_->loaded_version());
  // Nothing changed: no reload, on either node.
  scan();
  auto again = other.follow();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto own = catalog_->follow();
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(*own);  // the scanning node read the version its own scan wrote
  // A deleted file: the other node follows again.
  std::string victim;
  for (const auto& f : snap()->files()) { victim = f.path; break; }
  ASSERT_FALSE(victim.empty());
  fs::remove(victim);
  scan();
  auto third = other.follow();
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(*third);
  EXPECT_EQ(other.snapshot()->tracks().size(), snap()->tracks().size());
  EXPECT_LT(other.snapshot()->tracks().size(), tracks);
}

TEST_F(ScannerTest, IdsAreStableAcrossAFreshDatabase) {
  write_demo();
  scan();
  const auto tracks = ids_by_title();
  std::vector<std::string> albums, artists, files;
  for (const auto& a : snap()->albums()) albums.push_back(a.id.str());
  for (const auto& a : snap()->artists()) artists.push_back(a.id.str());
  for (const auto& f : snap()->files()) files.push_back(f.id.str());
  open_db("fresh.db");
  scan();
  EXPECT_EQ(ids_by_title(), tracks);
  std::vector<std::string> albums2, artists2, files2;
  for (const auto& a : snap()->albums()) albums2.push_back(a.id.str());
  for (const auto& a : snap()->artists()) artists2.push_back(a.id.str());
  for (const auto& f : snap()->files()) files2.push_back(f.id.str());
  std::sort(albums.begin(), albums.end());
  std::sort(albums2.begin(), albums2.end());
  std::sort(artists.begin(), artists.end());
  std::sort(artists2.begin(), artists2.end());
  std::sort(files.begin(), files.end());
  std::sort(files2.begin(), files2.end());
  EXPECT_EQ(albums, albums2);
  EXPECT_EQ(artists, artists2);
  EXPECT_EQ(files, files2);
}

TEST_F(ScannerTest, SameAlbumNameByTwoAlbumArtistsStaysTwoAlbums) {
  for (const char* artist : {"Ada Brisk", "Colm Dunmore"}) {
    TagWrite w;
    w.properties = {{"TITLE", {"Opening"}}, {"ARTIST", {artist}}, {"ALBUM", {"Greatest Hits"}},
                    {"ALBUMARTIST", {artist}}, {"TRACKNUMBER", {"1"}}};
    make_tagged_file(lib_ / artist / "Greatest Hits" / "01.mp3", Format::kMp3, w, 0.5);
  }
  scan();
  EXPECT_EQ(catalog_->stats().albums, 2u);
  EXPECT_EQ(catalog_->stats().artists, 2u);
}

TEST_F(ScannerTest, CompilationTracksByManyArtistsFormOneAlbum) {
  const char* artists[] = {"Ada Brisk", "Colm Dunmore", "Esme Fairweather"};
  for (int i = 0; i < 3; ++i) {
    TagWrite w;
    w.properties = {{"TITLE", {std::string("Song ") + std::to_string(i)}},
                    {"ARTIST", {artists[i]}},
                    {"ALBUM", {"Summer Mix"}},
                    {"TRACKNUMBER", {std::to_string(i + 1)}},
                    {"COMPILATION", {"1"}}};
    make_tagged_file(lib_ / "Summer Mix" / (std::to_string(i + 1) + ".flac"), Format::kFlac, w, 0.5);
  }
  scan();
  ASSERT_EQ(snap()->albums().size(), 1u);
  EXPECT_TRUE(snap()->albums()[0].is_compilation);
  EXPECT_EQ(snap()->album_tracks(snap()->albums()[0].id).size(), 3u);
  auto appears = snap()->artist_albums(artist_id_for("Colm Dunmore"));
  ASSERT_EQ(appears.size(), 1u);
  EXPECT_EQ(appears[0].group, AlbumGroup::kAppearsOn);
  auto various = snap()->artist_albums(artist_id_for("Various Artists"));
  ASSERT_EQ(various.size(), 1u);
  EXPECT_EQ(various[0].group, AlbumGroup::kCompilation);
}

TEST_F(ScannerTest, HostileFilesAreReportedAndSkipped) {
  make_tagged_file(lib_ / "good" / "01 - Good.ogg", Format::kOgg, {}, 0.5);
  std::ifstream in(lib_ / "good" / "01 - Good.ogg", std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), {});
  std::string random;
  uint32_t s = 7;
  for (int i = 0; i < 20000; ++i) {
    s = s * 1664525 + 1013904223;
    random.push_back(static_cast<char>(s >> 24));
  }
  auto put = [&](const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
  };
  put(lib_ / "bad" / "truncated.ogg", good.substr(0, 60));
  put(lib_ / "bad" / "random.mp3", random);
  put(lib_ / "bad" / "random.flac", random);
  put(lib_ / "bad" / "random.ogg", random);
  put(lib_ / "bad" / "empty.mp3", "");
  put(lib_ / "bad" / "notes.txt", "not audio, ignored silently");
  put(tmp_.path() / "outside" / "secret.mp3", good);
  fs::create_symlink(tmp_.path() / "outside" / "secret.mp3", lib_ / "bad" / "escape.mp3");
  fs::create_symlink(lib_ / "bad" / "loop-b.mp3", lib_ / "bad" / "loop-a.mp3");
  fs::create_symlink(lib_ / "bad" / "loop-a.mp3", lib_ / "bad" / "loop-b.mp3");
  fs::create_symlink(lib_, lib_ / "bad" / "self");  // a folder loop
  put(lib_ / "bad" / std::string("bad\xff\xfename.ogg"), good);
  put(lib_ / "bad" / "locked.ogg", good);
  fs::permissions(lib_ / "bad" / "locked.ogg", fs::perms::none);
  const bool root = ::geteuid() == 0;  // root reads chmod 000 files anyway

  ScanReport r = scan();
  EXPECT_EQ(r.added, root ? 2u : 1u);
  EXPECT_EQ(reason_for(r, "empty.mp3"), "empty file");
  EXPECT_NE(reason_for(r, "truncated.ogg"), "<not reported>");
  for (const char* name : {"random.mp3", "random.flac", "random.ogg"})
    EXPECT_NE(reason_for(r, name), "<not reported>") << name;
  EXPECT_EQ(reason_for(r, "escape.mp3"), "symlink points outside the library");
  EXPECT_EQ(reason_for(r, "loop-a.mp3"), "symlink loop");
  EXPECT_EQ(reason_for(r, "bad/self"), "symlink loop");
  EXPECT_EQ(reason_for(r, "bad\xEF\xBF\xBD\xEF\xBF\xBDname.ogg"), "file name is not valid UTF-8");
  EXPECT_EQ(reason_for(r, "notes.txt"), "<not reported>");
  if (!root) {
    EXPECT_EQ(reason_for(r, "locked.ogg"), "permission denied");
  }
  for (const auto& f : r.failed) EXPECT_TRUE(strings::is_valid_utf8(f.path)) << f.path;
}

TEST_F(ScannerTest, MissingRootIsAnErrorAndRemovesNothing) {
  write_demo();
  scan();
  auto r = scanner_->scan({(tmp_.path() / "unmounted").string()}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(catalog_->stats().tracks, 13u);
}

TEST_F(ScannerTest, ReadersSeeConsistentSnapshotsDuringAScan) {
  write_demo();
  // store::Database::migrate is not safe to run from two threads at once: migrate first.
  ASSERT_TRUE(db_->migrate("catalog", catalog_migrations()).ok());
  std::atomic<bool> done{false};
  std::atomic<int> reloads{0};
  std::thread reader([&] {
    Catalog other(*db_);
    while (!done) {
      if (other.reload().ok()) {
        auto s = other.snapshot();
        for (const auto& t : s->tracks()) EXPECT_NE(s->album(t.album_id), nullptr);
        ++reloads;
      }
    }
  });
  scan();
  done = true;
  reader.join();
  EXPECT_GT(reloads.load(), 0);
}

}  // namespace
}  // namespace segue::catalog

namespace segue::catalog {
namespace {

TEST_F(ScannerTest, ScanLoopScansAtStartRegistersItsMetricsAndStopsWithoutWaitingForTheNextScan) {
  write_demo();
  MetricsRegistry metrics;
  std::atomic<int> published{0};
  auto sub = bus_.subscribe("test", bus::only<bus::CatalogSnapshotPublished>(
                                        [&](const bus::CatalogSnapshotPublished&) { ++published; }));
  ScanLoop loop(*scanner_, {lib_.string()}, std::chrono::hours(1), metrics);
  EXPECT_NE(metrics.render().find("segue_scans_total 0"), std::string::npos);
  loop.start();
  for (int i = 0; i < 3000 && published.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(published.load(), 1);
  EXPECT_GT(catalog_->stats().tracks, 0u);
  for (int i = 0; i < 3000 && metrics.render().find("segue_scans_total 1") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NE(metrics.render().find("segue_scan_running 0"), std::string::npos);
  const auto start = std::chrono::steady_clock::now();
  loop.stop();  // the next scan is an hour away: stop() does not wait for it
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(metrics.render().find("segue_scans_total 1"), std::string::npos);
}

TEST_F(ScannerTest, ScanLoopWithoutLibrariesRunsNothing) {
  MetricsRegistry metrics;
  ScanLoop loop(*scanner_, {}, std::chrono::seconds(0), metrics);
  loop.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  loop.stop();
  EXPECT_NE(metrics.render().find("segue_scans_total 0"), std::string::npos);
}

}  // namespace
}  // namespace segue::catalog
