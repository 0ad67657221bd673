#include "search/indexer.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "bus/local_bus.h"
#include "catalog/catalog_store.h"
#include "playlist/service.h"
#include "search/searcher.h"

namespace segue::search {
namespace {

namespace fs = std::filesystem;

class IndexerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("segue-idx-" + std::to_string(::getpid()) + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = store::testing::open((dir_ / "db").string()).value();
    ASSERT_TRUE(db_->migrate("playlist", playlist::playlist_migrations()).ok());
    catalog_ = std::make_unique<catalog::Catalog>(*db_, &bus_);
    ASSERT_TRUE(catalog_->reload().ok());
    playlists_ = std::make_unique<playlist::PlaylistService>(*db_, &bus_);
    open_index();
  }
  void open_index() {
    indexer_.reset();
    index_.reset();
    index_ = SearchIndex::open((dir_ / "search").string()).value();
    indexer_ = std::make_unique<Indexer>(*index_, *catalog_, playlists_.get(), bus_);
  }
  void TearDown() override {
    indexer_.reset();
    index_.reset();
    playlists_.reset();
    catalog_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  void put_track(const std::string& track_id, const std::string& title, const std::string& artist_id,
                 const std::string& artist, const std::string& album_id, const std::string& album) {
    ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                  catalog::Artist a;
                  a.id = ArtistId(artist_id);
                  a.name = artist;
                  a.sort_name = artist;
                  SEGUE_TRY(catalog::upsert_artist(c, a));
                  catalog::Album al;
                  al.id = AlbumId(album_id);
                  al.name = album;
                  al.artist_ids = {a.id};
                  al.year = 1975;
                  al.release_date = "1975";
                  al.release_date_precision = "year";
                  SEGUE_TRY(catalog::upsert_album(c, al));
                  catalog::Track t;
                  t.id = TrackId(track_id);
                  t.title = title;
                  t.artist_ids = {a.id};
                  t.album_id = al.id;
                  t.duration_ms = 354000;
                  return catalog::upsert_track(c, t);
                }).ok());
    ASSERT_TRUE(catalog_->reload().ok());
  }

  std::vector<std::string> find(const std::string& q, Kind kind, const std::string& viewer = "") {
    SearchRequest req;
    req.q = q;
    req.kinds = {kind};
    req.viewer = viewer;
    auto r = Searcher(*index_).search(req);
    EXPECT_TRUE(r.ok());
    std::vector<std::string> out;
    if (r.ok())
      for (const auto& h : r->pages[static_cast<std::size_t>(kind)].items) out.push_back(h.id);
    return out;
  }

  static std::string id(char c) { return std::string(22, c); }
  static std::string idn(char c, int n) {
    std::string num = std::to_string(n);
    return c + std::string(21 - num.size(), '0') + num;
  }
  // `n` tracks, each with its own album and artist (3 documents each), in one transaction.
  void put_tracks(int from, int n) {
    ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                  for (int i = from; i < from + n; ++i) {
                    catalog::Artist a;
                    a.id = ArtistId(idn('r', i));
                    a.name = "Artist " + std::to_string(i);
                    a.sort_name = a.name;
                    SEGUE_TRY(catalog::upsert_artist(c, a));
                    catalog::Album al;
                    al.id = AlbumId(idn('l', i));
                    al.name = "Album " + std::to_string(i);
                    al.artist_ids = {a.id};
                    SEGUE_TRY(catalog::upsert_album(c, al));
                    catalog::Track t;
                    t.id = TrackId(idn('t', i));
                    t.title = "Song number " + std::to_string(i);
                    t.artist_ids = {a.id};
                    t.album_id = al.id;
                    t.duration_ms = 200000;
                    SEGUE_TRY(catalog::upsert_track(c, t));
                  }
                  return Status{};
                }).ok());
    ASSERT_TRUE(catalog_->reload().ok());
  }
  // Polls stats() until `pred` holds (or 10 s pass); the last stats seen.
  template <typename Pred>
  Indexer::Stats wait_for(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    Indexer::Stats st = indexer_->stats();
    while (!pred(st) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      st = indexer_->stats();
    }
    return st;
  }

  fs::path dir_;
  std::unique_ptr<store::Database> db_;
  bus::LocalBus bus_;  // outlives everything that publishes or subscribes
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<playlist::PlaylistService> playlists_;
  std::unique_ptr<SearchIndex> index_;
  std::unique_ptr<Indexer> indexer_;
};

TEST_F(IndexerTest, FollowsCatalogSnapshots) {
  put_track(id('t'), "Bohemian Rhapsody", id('r'), "Queen", id('l'), "A Night at the Opera");
  indexer_->start();
  indexer_->flush();
  EXPECT_EQ(find("bohemian", Kind::kTrack), (std::vector<std::string>{id('t')}));
  EXPECT_EQ(find("queen", Kind::kArtist), (std::vector<std::string>{id('r')}));
  EXPECT_EQ(find("opera", Kind::kAlbum), (std::vector<std::string>{id('l')}));
  EXPECT_TRUE(indexer_->stats().ready);

  // A rescan that renames the track: announced by the catalog, not told by anyone.
  put_track(id('t'), "Love of My Life", id('r'), "Queen", id('l'), "A Night at the Opera");
  indexer_->flush();
  EXPECT_TRUE(find("bohemian", Kind::kTrack).empty());
  EXPECT_EQ(find("love of my", Kind::kTrack), (std::vector<std::string>{id('t')}));
  // Only the changed document was indexed again.
  EXPECT_EQ(indexer_->stats().put, 4u);
}

TEST_F(IndexerTest, RemovesWhatLeftTheCatalog) {
  put_track(id('t'), "Bohemian Rhapsody", id('r'), "Queen", id('l'), "A Night at the Opera");
  indexer_->start();
  indexer_->flush();
  ASSERT_EQ(find("bohemian", Kind::kTrack).size(), 1u);
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
                SEGUE_TRY(c.exec("DELETE FROM track_artists", {}));
                SEGUE_TRY(c.exec("DELETE FROM tracks", {}));
                return {};
              }).ok());
  ASSERT_TRUE(catalog_->reload().ok());
  indexer_->flush();
  EXPECT_TRUE(find("bohemian", Kind::kTrack).empty());
  EXPECT_EQ(index_->size(), 2u);  // the album and the artist remain
}

TEST_F(IndexerTest, RestartReindexesOnlyWhatChanged) {
  put_track(id('t'), "Bohemian Rhapsody", id('r'), "Queen", id('l'), "A Night at the Opera");
  indexer_->start();
  indexer_->flush();
  EXPECT_EQ(indexer_->stats().put, 3u);
  // Restart with an unchanged catalog: nothing to write.
  open_index();
  indexer_->start();
  indexer_->flush();
  EXPECT_EQ(indexer_->stats().put, 0u);
  EXPECT_EQ(find("rhapsody", Kind::kTrack).size(), 1u);
  // A change made while the indexer was down is picked up at the next start.
  indexer_.reset();
  put_track(id('u'), "Killer Queen", id('r'), "Queen", id('l'), "A Night at the Opera");
  open_index();
  indexer_->start();
  indexer_->flush();
  EXPECT_EQ(indexer_->stats().put, 1u);
  EXPECT_EQ(find("killer", Kind::kTrack), (std::vector<std::string>{id('u')}));
}

TEST_F(IndexerTest, PlaylistsVisibleToTheirMembersOrEveryoneIfPublic) {
  indexer_->start();
  UserId alice("alice"), bob("bob");
  auto pl = playlists_->create(alice, "Road Trip Anthems", "", /*is_public=*/false, false);
  ASSERT_TRUE(pl.ok());
  indexer_->flush();
  EXPECT_EQ(find("road trip", Kind::kPlaylist, "alice"), (std::vector<std::string>{pl->id.str()}));
  EXPECT_TRUE(find("road trip", Kind::kPlaylist, "bob").empty());
  ASSERT_TRUE(playlists_->update_details(pl->id, alice, std::string("Summer Anthems"), std::nullopt, true,
                                         std::nullopt).ok());
  indexer_->flush();
  EXPECT_EQ(find("summer", Kind::kPlaylist, "bob"), (std::vector<std::string>{pl->id.str()}));
  EXPECT_TRUE(find("road trip", Kind::kPlaylist, "alice").empty());
  // Made collaborative with bob: private again, but bob is a member.
  ASSERT_TRUE(playlists_->add_collaborator(pl->id, alice, bob).ok());
  indexer_->flush();
  EXPECT_EQ(find("summer", Kind::kPlaylist, "bob"), (std::vector<std::string>{pl->id.str()}));
  EXPECT_TRUE(find("summer", Kind::kPlaylist, "carol").empty());
}

TEST_F(IndexerTest, InitialBuildReportsProgressThenReadiness) {
  put_tracks(0, 40);  // 120 documents, an empty index: an initial build
  indexer_->set_throttle(10, std::chrono::milliseconds(20));
  auto before = indexer_->stats();
  EXPECT_FALSE(before.synced);
  EXPECT_FALSE(before.ready);
  EXPECT_EQ(before.indexed, 0u);
  indexer_->start();
  // From the start, whether the thread has taken the snapshot, is diffing it or writing: every
  // document is either written or pending.
  auto first = indexer_->stats();
  EXPECT_TRUE(first.building);
  EXPECT_EQ(first.pending + first.put, 120u);
  // Mid-build: some documents written, the rest pending, nothing visible yet, not ready.
  auto mid = wait_for([](const Indexer::Stats& s) { return s.put >= 30; });
  ASSERT_GE(mid.put, 30u);
  ASSERT_LT(mid.put, 120u) << "the throttle should have left the build running";
  EXPECT_TRUE(mid.building);
  EXPECT_FALSE(mid.ready);
  EXPECT_FALSE(mid.synced);
  EXPECT_EQ(mid.indexed, 0u);
  EXPECT_EQ(mid.pending, 120u - mid.put);
  EXPECT_GT(mid.docs_per_second, 0.0);
  EXPECT_GE(mid.retry_after_seconds(), 1);
  EXPECT_LE(mid.retry_after_seconds(), 30);
  indexer_->flush();
  auto done = indexer_->stats();
  EXPECT_TRUE(done.synced);
  EXPECT_FALSE(done.building);
  EXPECT_TRUE(done.ready);
  EXPECT_EQ(done.indexed, 120u);
  EXPECT_EQ(done.pending, 0u);
  EXPECT_EQ(done.put, 120u);
  EXPECT_EQ(done.batches, 1u);
  EXPECT_GE(done.last_batch_ms, 11 * 20);  // 12 pauses of 20 ms (one per 10 documents)
  EXPECT_EQ(find("number 17", Kind::kTrack), (std::vector<std::string>{idn('t', 17)}));
}

TEST_F(IndexerTest, ARescanIsNotABuildAndLeavesTheIndexReady) {
  put_tracks(0, 10);
  indexer_->set_throttle(1, std::chrono::milliseconds(30));
  indexer_->start();
  indexer_->flush();
  ASSERT_TRUE(indexer_->stats().ready);
  // Three new tracks (9 documents) against 30 indexed: written in the background while
  // searches keep answering from the last commit.
  put_tracks(10, 3);
  auto mid = wait_for([](const Indexer::Stats& s) { return s.put > 31; });
  ASSERT_LT(mid.put, 39u);
  EXPECT_FALSE(mid.building);
  EXPECT_TRUE(mid.ready);
  EXPECT_EQ(mid.indexed, 30u);
  EXPECT_EQ(mid.pending, 39u - mid.put);
  EXPECT_EQ(find("number 7", Kind::kTrack), (std::vector<std::string>{idn('t', 7)}));
  indexer_->flush();
  EXPECT_EQ(indexer_->stats().indexed, 39u);
  EXPECT_EQ(indexer_->stats().pending, 0u);
}

TEST_F(IndexerTest, ALargeCatalogAtStartIsABuildButARestartIsNot) {
  put_tracks(0, 20);
  indexer_->set_throttle(5, std::chrono::milliseconds(50));
  indexer_->start();
  // Building from the first moment (before the thread has diffed anything).
  EXPECT_TRUE(indexer_->stats().building);
  EXPECT_EQ(indexer_->stats().pending, 60u);
  indexer_->flush();
  // A restart over a complete index: searches answer at once, ready after the first sync.
  open_index();
  indexer_->set_throttle(5, std::chrono::milliseconds(50));
  auto st = indexer_->stats();
  EXPECT_FALSE(st.building);
  indexer_->start();
  st = indexer_->stats();
  EXPECT_FALSE(st.building);
  EXPECT_EQ(st.indexed, 60u);
  EXPECT_EQ(st.pending, 0u);
  indexer_->flush();
  EXPECT_TRUE(indexer_->stats().ready);
}

TEST_F(IndexerTest, PlaylistsAreFoundByDescriptionAndOwnerName) {
  indexer_->set_owner_names([](const UserId& u) { return u.str() == "alice" ? std::string("Alice Liddell") : std::string("Bob Builder"); });
  indexer_->start();
  UserId alice("alice"), bob("bob");
  auto pub = playlists_->create(alice, "Road Trip", "Songs for long drives to the seaside", /*is_public=*/true, false);
  auto priv = playlists_->create(bob, "Secret Stash", "Hidden lighthouse recordings", /*is_public=*/false, false);
  ASSERT_TRUE(pub.ok());
  ASSERT_TRUE(priv.ok());
  indexer_->flush();
  // In-memory path (plain words) and Xapian path (a quoted phrase) alike.
  for (const std::string q : {"seaside", "\"seaside\"", "liddell", "\"alice liddell\"", "long drives"}) {
    EXPECT_EQ(find(q, Kind::kPlaylist, "carol"), (std::vector<std::string>{pub->id.str()})) << q;
  }
  // A private playlist's description is found by its members only.
  for (const std::string q : {"lighthouse", "\"lighthouse\""}) {
    EXPECT_TRUE(find(q, Kind::kPlaylist, "carol").empty()) << q;
    EXPECT_TRUE(find(q, Kind::kPlaylist, "alice").empty()) << q;
    EXPECT_EQ(find(q, Kind::kPlaylist, "bob"), (std::vector<std::string>{priv->id.str()})) << q;
  }
  // The name still outranks the description: a playlist named after the word comes first.
  auto named = playlists_->create(bob, "Seaside", "", /*is_public=*/true, false);
  ASSERT_TRUE(named.ok());
  indexer_->flush();
  EXPECT_EQ(find("seaside", Kind::kPlaylist, "carol"), (std::vector<std::string>{named->id.str(), pub->id.str()}));
  // Descriptions survive a restart (the in-memory index is rebuilt from the stored documents).
  open_index();
  EXPECT_EQ(find("seaside", Kind::kPlaylist, "carol"), (std::vector<std::string>{named->id.str(), pub->id.str()}));
  EXPECT_EQ(find("lighthouse", Kind::kPlaylist, "bob"), (std::vector<std::string>{priv->id.str()}));
  EXPECT_TRUE(find("lighthouse", Kind::kPlaylist, "carol").empty());
}

}  // namespace
}  // namespace segue::search
