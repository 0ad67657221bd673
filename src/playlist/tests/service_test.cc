#include "playlist/service.h"
#include "store/testing.h"

#include "bus/local_bus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

namespace segue::playlist {
namespace {

class PlaylistServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-pl-" + std::to_string(::getpid()) + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    open();
  }
  void open() {
    svc_.reset();
    db_.reset();
    db_ = store::testing::open((dir_ / "db").string()).value();
    ASSERT_TRUE(db_->migrate("playlist", playlist_migrations()).ok());
    svc_ = std::make_unique<PlaylistService>(*db_, &bus_, [this] { return ++clock_; });
  }
  void TearDown() override {
    svc_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::vector<std::string> uris(const PlaylistId& id, const UserId& viewer) {
    auto items = svc_->items(id, viewer);
    EXPECT_TRUE(items.ok()) << items.error().message;
    std::vector<std::string> out;
    if (items.ok())
      for (const auto& it : *items) out.push_back(it.uri);
    return out;
  }
  static std::string t(int n) { return "segue:track:" + std::string(21, 'a') + std::to_string(n % 10); }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  bus::LocalBus bus_;
  std::unique_ptr<PlaylistService> svc_;
  int64_t clock_ = 1'700'000'000'000;
  UserId alice_{"aaaaaaaaaaaaaaaaaaaaaa"}, bob_{"bbbbbbbbbbbbbbbbbbbbbb"}, carol_{"cccccccccccccccccccccc"};
};

TEST_F(PlaylistServiceTest, AddRemoveReorderAndSnapshotsChange) {
  auto p = svc_->create(alice_, "Road trip", "", true, false);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const std::string s0 = p->snapshot_id;
  auto s1 = svc_->add(p->id, alice_, {t(1), t(2), t(3)}, std::nullopt, std::nullopt);
  ASSERT_TRUE(s1.ok()) << s1.error().message;
  EXPECT_NE(*s1, s0);
  EXPECT_EQ(uris(p->id, alice_), (std::vector<std::string>{t(1), t(2), t(3)}));
  // Insert at 0, the same track twice.
  ASSERT_TRUE(svc_->add(p->id, alice_, {t(3)}, 0, std::nullopt).ok());
  EXPECT_EQ(uris(p->id, alice_), (std::vector<std::string>{t(3), t(1), t(2), t(3)}));
  // Move [1, 2] (t1, t2) to the end.
  ASSERT_TRUE(svc_->reorder(p->id, alice_, 1, 2, 4, std::nullopt).ok());
  EXPECT_EQ(uris(p->id, alice_), (std::vector<std::string>{t(3), t(3), t(1), t(2)}));
  // Remove one occurrence by position, then every occurrence.
  ASSERT_TRUE(svc_->remove(p->id, alice_, {{t(3), std::vector<std::size_t>{1}}}, std::nullopt).ok());
  EXPECT_EQ(uris(p->id, alice_), (std::vector<std::string>{t(3), t(1), t(2)}));
  auto s5 = svc_->remove(p->id, alice_, {{t(3), std::nullopt}}, std::nullopt);
  ASSERT_TRUE(s5.ok());
  EXPECT_EQ(uris(p->id, alice_), (std::vector<std::string>{t(1), t(2)}));
  auto info = svc_->get(p->id, alice_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->snapshot_id, *s5);
  EXPECT_EQ(info->track_count, 2);
}

TEST_F(PlaylistServiceTest, AnotherServiceOnTheSameDatabaseSeesAndExtendsTheChanges) {
  // Two nodes on one database: each keeps playlists in memory, and neither may read or edit
  // from a copy the other has moved past.
  PlaylistService other(*db_, nullptr, [this] { return ++clock_; });
  auto p = svc_->create(alice_, "Shared", "", false, false);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto theirs = [&] {
    auto items = other.items(p->id, alice_);
    EXPECT_TRUE(items.ok()) << items.error().message;
    std::vector<std::string> out;
    if (items.ok())
      for (const auto& it : *items) out.push_back(it.uri);
    return out;
  };
  EXPECT_EQ(theirs(), std::vector<std::string>{});  // cached by the other node now
  ASSERT_TRUE(svc_->add(p->id, alice_, {t(1)}, std::nullopt, std::nullopt).ok());
  EXPECT_EQ(theirs(), (std::vector<std::string>{t(1)}));
  auto s = other.add(p->id, alice_, {t(2)}, std::nullopt, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_TRUE(svc_->add(p->id, alice_, {t(3)}, 0, std::nullopt).ok());
  EXPECT_EQ(uris(p->id, alice_), (std::vector<std::string>{t(3), t(1), t(2)}));
  EXPECT_EQ(theirs(), (std::vector<std::string>{t(3), t(1), t(2)}));
  auto versions = other.versions(p->id, alice_);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), 4u);  // created, then three changes, none lost
}

TEST_F(PlaylistServiceTest, ANodeBehindAppliesOnlyTheOtherNodesNewOpsUnlessTheyWereFolded) {
  // Node A holds a playlist in memory; node B edits it (adds, a remove, a reorder, by two
  // users). A's next read applies just B's new ops: the same items, adders and times as a
  // node that replays the whole log, and no full replay on A. When B's compaction has folded
  // ops A never saw, A replays the log instead, and is still right.
  PlaylistService b(*db_, nullptr, [this] { return ++clock_; });
  b.set_history_limit(2, 0);  // B compacts after every change beyond two versions
  auto p = svc_->create(alice_, "Shared", "", false, true).value();
  ASSERT_TRUE(svc_->add_collaborator(p.id, alice_, bob_).ok());
  ASSERT_TRUE(svc_->add(p.id, alice_, {t(1), t(2)}, std::nullopt, std::nullopt).ok());
  ASSERT_EQ(uris(p.id, alice_).size(), 2u);  // A caches it
  const auto before = svc_->cache_stats();

  // B's own first read is a full load of its own; then B edits without compacting (limit high).
  b.set_history_limit(1000, 0);
  ASSERT_TRUE(b.add(p.id, bob_, {t(3), t(4)}, 0, std::nullopt).ok());
  ASSERT_TRUE(b.remove(p.id, alice_, {{t(2), std::nullopt}}, std::nullopt).ok());
  ASSERT_TRUE(b.reorder(p.id, bob_, 0, 1, 3, std::nullopt).ok());
  auto on_a = svc_->items(p.id, alice_).value();
  auto on_b = b.items(p.id, alice_).value();
  ASSERT_EQ(on_a.size(), on_b.size());
  ASSERT_EQ(on_a.size(), 3u);
  for (std::size_t i = 0; i < on_a.size(); ++i) {
    EXPECT_EQ(on_a[i].uri, on_b[i].uri) << i;
    EXPECT_EQ(on_a[i].entry, on_b[i].entry) << i;
    EXPECT_EQ(on_a[i].added_by, on_b[i].added_by) << i;
    EXPECT_EQ(on_a[i].added_at_ms, on_b[i].added_at_ms) << i;
  }
  auto after = svc_->cache_stats();
  EXPECT_EQ(after.full_loads, before.full_loads);
  EXPECT_EQ(after.catch_ups, before.catch_ups + 1);
  EXPECT_EQ(svc_->get(p.id, alice_).value().snapshot_id, b.get(p.id, alice_).value().snapshot_id);
  // A edits on top of what it caught up with: B sees it, versions are all there.
  ASSERT_TRUE(svc_->add(p.id, alice_, {t(5)}, 1, std::nullopt).ok());
  EXPECT_EQ(b.items(p.id, alice_).value()[1].uri, t(5));
  EXPECT_EQ(svc_->versions(p.id, alice_).value().size(), b.versions(p.id, alice_).value().size());

  // B folds everything but its two newest versions into the base, then edits twice more: the
  // ops after A's copy are partly gone from the log, so A must replay.
  ASSERT_TRUE(b.add(p.id, bob_, {t(6)}, std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(b.compact(p.id, 1).ok());
  ASSERT_TRUE(b.add(p.id, bob_, {t(7)}, 0, std::nullopt).ok());
  const auto mid = svc_->cache_stats();
  on_a = svc_->items(p.id, alice_).value();
  on_b = b.items(p.id, alice_).value();
  ASSERT_EQ(on_a.size(), on_b.size());
  for (std::size_t i = 0; i < on_a.size(); ++i) {
    EXPECT_EQ(on_a[i].uri, on_b[i].uri) << i;
    EXPECT_EQ(on_a[i].added_by, on_b[i].added_by) << i;
  }
  EXPECT_EQ(svc_->cache_stats().full_loads, mid.full_loads + 1);
}

TEST_F(PlaylistServiceTest, ConcurrentEditsOfOnePlaylistFromTwoNodesAllLand) {
  // Two nodes, each with its own connections to the one database, adding to the same playlist
  // at once: each add lands exactly once, whichever node's write comes second (it finds the
  // op log moved under it, reloads and makes its change again on the newer log).
  auto db2 = store::testing::open((dir_ / "db").string());
  ASSERT_TRUE(db2.ok()) << db2.error().message;
  PlaylistService other(**db2, nullptr, [this] { return ++clock_; });
  auto p = svc_->create(alice_, "Busy", "", false, false);
  ASSERT_TRUE(p.ok()) << p.error().message;
  constexpr int kPerNode = 40;
  auto adder = [&](PlaylistService& s, int base) {
    for (int i = 0; i < kPerNode; ++i) {
      auto r = s.add(p->id, alice_, {"segue:track:" + std::string(18, 'n') + std::to_string(base + i)},
                     std::nullopt, std::nullopt);
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  };
  std::thread a([&] { adder(*svc_, 1000); });
  std::thread b([&] { adder(other, 2000); });
  a.join();
  b.join();
  auto mine = uris(p->id, alice_);
  ASSERT_EQ(mine.size(), 2u * kPerNode);
  std::set<std::string> distinct(mine.begin(), mine.end());
  EXPECT_EQ(distinct.size(), 2u * kPerNode);
  auto theirs = other.items(p->id, alice_);
  ASSERT_TRUE(theirs.ok());
  ASSERT_EQ(theirs->size(), mine.size());
  for (std::size_t i = 0; i < mine.size(); ++i) EXPECT_EQ((*theirs)[i].uri, mine[i]);
  auto info = svc_->get(p->id, alice_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->track_count, 2 * kPerNode);
}

TEST_F(PlaylistServiceTest, BadPositionsChangeNothing) {
  auto p = svc_->create(alice_, "P", "", true, false).value();
  ASSERT_TRUE(svc_->add(p.id, alice_, {t(1), t(2)}, std::nullopt, std::nullopt).ok());
  const auto before = svc_->get(p.id, alice_)->snapshot_id;
  EXPECT_EQ(svc_->add(p.id, alice_, {t(3)}, 5, std::nullopt).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(svc_->reorder(p.id, alice_, 1, 5, 0, std::nullopt).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(svc_->remove(p.id, alice_, {{t(1), std::vector<std::size_t>{1}}}, std::nullopt).error().code,
            ErrorCode::kInvalidArgument);  // position 1 holds t(2)
  EXPECT_EQ(svc_->add(p.id, alice_, {t(3)}, 0, std::string("nope")).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(uris(p.id, alice_), (std::vector<std::string>{t(1), t(2)}));
  EXPECT_EQ(svc_->get(p.id, alice_)->snapshot_id, before);
}

TEST_F(PlaylistServiceTest, StalePositionsApplyToTheirSnapshot) {
  auto p = svc_->create(alice_, "P", "", true, false).value();
  auto s1 = svc_->add(p.id, alice_, {t(1), t(2), t(3)}, std::nullopt, std::nullopt).value();
  // Someone else inserts two tracks at the start...
  ASSERT_TRUE(svc_->add(p.id, alice_, {t(8), t(9)}, 0, std::nullopt).ok());
  // ...then a client that still has s1 removes position 1 (t2 in s1) and inserts at 2
  // (before t3 in s1): both land where that client saw them.
  ASSERT_TRUE(svc_->remove(p.id, alice_, {{t(2), std::vector<std::size_t>{1}}}, s1).ok());
  ASSERT_TRUE(svc_->add(p.id, alice_, {t(5)}, 2, s1).ok());
  EXPECT_EQ(uris(p.id, alice_), (std::vector<std::string>{t(8), t(9), t(1), t(5), t(3)}));
  // A stale reorder: move s1's position 0 (t1) to the end of s1.
  ASSERT_TRUE(svc_->reorder(p.id, alice_, 0, 1, 3, s1).ok());
  EXPECT_EQ(uris(p.id, alice_), (std::vector<std::string>{t(8), t(9), t(5), t(3), t(1)}));
  // Removing by a stale position of an entry that is already gone is a no-op, not an error.
  auto again = svc_->remove(p.id, alice_, {{t(2), std::vector<std::size_t>{1}}}, s1);
  ASSERT_TRUE(again.ok());
}

TEST_F(PlaylistServiceTest, AccessRulesAndInvites) {
  auto priv = svc_->create(alice_, "Private", "", false, false).value();
  auto pub = svc_->create(alice_, "Public", "", true, false).value();
  EXPECT_EQ(svc_->get(priv.id, bob_).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(svc_->get(pub.id, bob_).ok());
  EXPECT_EQ(svc_->add(pub.id, bob_, {t(1)}, std::nullopt, std::nullopt).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(svc_->add(priv.id, bob_, {t(1)}, std::nullopt, std::nullopt).error().code, ErrorCode::kNotFound);
  auto inv = svc_->create_invite(priv.id, alice_, 60'000);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(svc_->create_invite(priv.id, bob_, 60'000).error().code, ErrorCode::kNotFound);
  auto joined = svc_->accept_invite(inv->token, bob_);
  ASSERT_TRUE(joined.ok()) << joined.error().message;
  EXPECT_TRUE(joined->collaborative);
  EXPECT_FALSE(joined->is_public);
  ASSERT_TRUE(svc_->add(priv.id, bob_, {t(1)}, std::nullopt, std::nullopt).ok());
  EXPECT_EQ(svc_->update_details(priv.id, bob_, "x", std::nullopt, std::nullopt, std::nullopt).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(svc_->get(priv.id, carol_).error().code, ErrorCode::kNotFound);
  auto items = svc_->items(priv.id, alice_).value();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].added_by, bob_);
  EXPECT_EQ(svc_->accept_invite("not-a-token", carol_).error().code, ErrorCode::kNotFound);
  clock_ += 120'000;  // past the invite's lifetime
  EXPECT_EQ(svc_->accept_invite(inv->token, carol_).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(svc_->remove_collaborator(priv.id, alice_, bob_).ok());
  EXPECT_EQ(svc_->get(priv.id, bob_).error().code, ErrorCode::kNotFound);
  // Lists show what the viewer may see.
  EXPECT_EQ(svc_->list_for(alice_, alice_)->size(), 2u);
  EXPECT_EQ(svc_->list_for(alice_, bob_)->size(), 1u);
}

TEST_F(PlaylistServiceTest, HistoryAndRestore) {
  auto p = svc_->create(alice_, "P", "", true, false).value();
  auto s1 = svc_->add(p.id, alice_, {t(1), t(2), t(3)}, std::nullopt, std::nullopt).value();
  ASSERT_TRUE(svc_->remove(p.id, alice_, {{t(2), std::nullopt}}, std::nullopt).ok());
  ASSERT_TRUE(svc_->add(p.id, alice_, {t(4)}, 0, std::nullopt).ok());
  ASSERT_TRUE(svc_->reorder(p.id, alice_, 2, 1, 1, std::nullopt).ok());  // t4 t3 t1
  EXPECT_EQ(uris(p.id, alice_), (std::vector<std::string>{t(4), t(3), t(1)}));
  auto versions = svc_->versions(p.id, alice_).value();
  ASSERT_EQ(versions.size(), 5u);  // created + 4 changes, newest first
  EXPECT_EQ(versions[0].summary, "moved 1 track");
  EXPECT_EQ(versions[3].summary, "added 3 tracks");
  EXPECT_EQ(versions[4].number, 0);
  auto at1 = svc_->items_at(p.id, alice_, s1).value();
  ASSERT_EQ(at1.size(), 3u);
  EXPECT_EQ(at1[1].uri, t(2));
  auto restored = svc_->restore(p.id, alice_, s1);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(uris(p.id, alice_), (std::vector<std::string>{t(1), t(2), t(3)}));
  EXPECT_EQ(svc_->versions(p.id, alice_)->front().summary, "restored version 1");
  // A restore is new operations: catching up from the moved version gives them.
  auto since = svc_->ops_since(p.id, alice_, versions[0].snapshot_id).value();
  EXPECT_EQ(since.snapshot_id, *restored);
  EXPECT_FALSE(since.ops.empty());
  Sequence replay(42);
  auto all = svc_->ops_since(p.id, alice_, "").value();
  for (const auto& op : all.ops) ASSERT_TRUE(replay.apply(op).ok());
  EXPECT_EQ(replay.digest(), *restored);
}

TEST_F(PlaylistServiceTest, AcknowledgedChangesSurviveAReopen) {
  auto p = svc_->create(alice_, "P", "", true, false).value();
  ASSERT_TRUE(svc_->add(p.id, alice_, {t(1), t(2)}, std::nullopt, std::nullopt).ok());
  auto s = svc_->reorder(p.id, alice_, 1, 1, 0, std::nullopt).value();
  open();
  EXPECT_EQ(uris(p.id, alice_), (std::vector<std::string>{t(2), t(1)}));
  EXPECT_EQ(svc_->get(p.id, alice_)->snapshot_id, s);
  ASSERT_TRUE(svc_->add(p.id, alice_, {t(3)}, std::nullopt, s).ok());
  EXPECT_EQ(uris(p.id, alice_), (std::vector<std::string>{t(2), t(1), t(3)}));
}

TEST_F(PlaylistServiceTest, ListenerHearsEachCommittedChange) {
  std::vector<bus::PlaylistItemsChanged> heard;
  auto sub = bus_.subscribe("test", bus::only<bus::PlaylistItemsChanged>([&](const bus::PlaylistItemsChanged& e) { heard.push_back(e); }));
  auto p = svc_->create(alice_, "P", "", true, false).value();
  auto s1 = svc_->add(p.id, alice_, {t(1), t(2)}, std::nullopt, std::nullopt).value();
  EXPECT_FALSE(svc_->add(p.id, alice_, {t(1)}, 9, std::nullopt).ok());
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].playlist_id, p.id);
  EXPECT_EQ(heard[0].snapshot_id, s1);
  EXPECT_EQ(heard[0].previous_snapshot_id, p.snapshot_id);
  EXPECT_EQ(decode_ops(heard[0].ops).value().size(), 2u);
  EXPECT_TRUE(heard[0].is_public);
}

TEST_F(PlaylistServiceTest, DetailsValidation) {
  EXPECT_EQ(svc_->create(alice_, "", "", true, false).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(svc_->create(alice_, std::string(201, 'x'), "", true, false).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(svc_->create(alice_, "\xff\xfe", "", true, false).error().code, ErrorCode::kInvalidArgument);
  auto p = svc_->create(alice_, "P", "", true, true).value();
  EXPECT_FALSE(p.is_public);  // collaborative playlists are private
  ASSERT_TRUE(svc_->update_details(p.id, alice_, std::string("Q"), std::string("d"), true, std::nullopt).ok());
  auto q = svc_->get(p.id, alice_).value();
  EXPECT_EQ(q.name, "Q");
  EXPECT_TRUE(q.is_public);
  EXPECT_FALSE(q.collaborative);  // becoming public ends collaboration
}

}  // namespace
}  // namespace segue::playlist

namespace segue::playlist {
namespace {
TEST_F(PlaylistServiceTest, FollowAndUnfollow) {
  auto p = svc_->create(alice_, "P", "", true, false).value();
  ASSERT_TRUE(svc_->follow(p.id, bob_, true).ok());
  EXPECT_EQ(svc_->followed_by(p.id, {bob_, carol_}).value(), (std::vector<bool>{true, false}));
  EXPECT_EQ(svc_->get(p.id, alice_)->followers, 1);
  ASSERT_TRUE(svc_->follow(p.id, bob_, false).ok());
  EXPECT_EQ(svc_->followed_by(p.id, {bob_}).value(), (std::vector<bool>{false}));
  auto priv = svc_->create(alice_, "Q", "", false, false).value();
  EXPECT_EQ(svc_->follow(priv.id, bob_, true).error().code, ErrorCode::kNotFound);
}
}  // namespace
}  // namespace segue::playlist

namespace segue::playlist {
namespace {
TEST_F(PlaylistServiceTest, OwnerAddsACollaboratorByUser) {
  auto p = svc_->create(alice_, "P", "", false, false).value();
  EXPECT_EQ(svc_->add_collaborator(p.id, bob_, carol_).error().code, ErrorCode::kNotFound);  // bob cannot see it
  ASSERT_TRUE(svc_->add_collaborator(p.id, alice_, bob_).ok());
  EXPECT_EQ(svc_->add_collaborator(p.id, bob_, carol_).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(svc_->add_collaborator(p.id, alice_, alice_).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(svc_->add(p.id, bob_, {t(1)}, std::nullopt, std::nullopt).ok());
  EXPECT_TRUE(svc_->get(p.id, alice_)->collaborative);
  EXPECT_EQ(svc_->collaborators(p.id, alice_).value(), std::vector<UserId>{bob_});
}
}  // namespace
}  // namespace segue::playlist

// ---- issue 14: access that outlives its reason, invites, covers, compaction ----
namespace segue::playlist {
namespace {

TEST_F(PlaylistServiceTest, EndingCollaborationEndsCollaboratorsAccess) {
  auto p = svc_->create(alice_, "P", "", false, false).value();
  auto inv = svc_->create_invite(p.id, alice_, 60'000, 5).value();
  ASSERT_TRUE(svc_->accept_invite(inv.token, bob_).ok());
  ASSERT_TRUE(svc_->add(p.id, bob_, {t(1)}, std::nullopt, std::nullopt).ok());
  // The owner turns collaboration off: bob can neither read nor edit.
  ASSERT_TRUE(svc_->update_details(p.id, alice_, std::nullopt, std::nullopt, std::nullopt, false).ok());
  EXPECT_EQ(svc_->get(p.id, bob_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->add(p.id, bob_, {t(2)}, std::nullopt, std::nullopt).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(svc_->collaborators(p.id, alice_)->empty());
  // Turning it back on readmits nobody, and the old link is dead.
  ASSERT_TRUE(svc_->update_details(p.id, alice_, std::nullopt, std::nullopt, std::nullopt, true).ok());
  EXPECT_EQ(svc_->get(p.id, bob_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->accept_invite(inv.token, bob_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->accept_invite(inv.token, carol_).error().code, ErrorCode::kNotFound);

  // Making it public ends collaboration too: bob reads like anyone, edits nothing.
  auto q = svc_->create(alice_, "Q", "", false, true).value();
  ASSERT_TRUE(svc_->add_collaborator(q.id, alice_, bob_).ok());
  ASSERT_TRUE(svc_->update_details(q.id, alice_, std::nullopt, std::nullopt, true, std::nullopt).ok());
  EXPECT_TRUE(svc_->get(q.id, bob_).ok());
  EXPECT_EQ(svc_->add(q.id, bob_, {t(2)}, std::nullopt, std::nullopt).error().code, ErrorCode::kPermissionDenied);
  ASSERT_TRUE(svc_->update_details(q.id, alice_, std::nullopt, std::nullopt, false, std::nullopt).ok());
  EXPECT_EQ(svc_->get(q.id, bob_).error().code, ErrorCode::kNotFound);

  // A member row of a playlist that is not collaborative grants nothing (access() honours
  // the flag, whatever the rows say).
  auto r = svc_->create(alice_, "R", "", false, false).value();
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO playlist_members (playlist_id, user_id, role, added_at) VALUES (?, ?, 'collaborator', 1)",
                     {r.id.str(), bob_.str()}));
    return {};
  }).ok());
  EXPECT_EQ(svc_->get(r.id, bob_).error().code, ErrorCode::kNotFound);
}

TEST_F(PlaylistServiceTest, RemovedCollaboratorCannotRejoinThroughAnOldInvite) {
  auto p = svc_->create(alice_, "P", "", false, false).value();
  auto inv = svc_->create_invite(p.id, alice_, 600'000, 5).value();
  ASSERT_TRUE(svc_->accept_invite(inv.token, bob_).ok());
  ASSERT_TRUE(svc_->remove_collaborator(p.id, alice_, bob_).ok());
  EXPECT_EQ(svc_->accept_invite(inv.token, bob_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->get(p.id, bob_).error().code, ErrorCode::kNotFound);
  // The link still works for others, and a new invite readmits bob.
  ASSERT_TRUE(svc_->accept_invite(inv.token, carol_).ok());
  auto again = svc_->create_invite(p.id, alice_, 600'000).value();
  ASSERT_TRUE(svc_->accept_invite(again.token, bob_).ok());
  EXPECT_TRUE(svc_->get(p.id, bob_).ok());
  // Leaving is not a removal: carol may come back through the link she has.
  ASSERT_TRUE(svc_->remove_collaborator(p.id, carol_, carol_).ok());
  EXPECT_TRUE(svc_->accept_invite(inv.token, carol_).ok());
}

TEST_F(PlaylistServiceTest, InvitesHaveAUseLimitAndNoSideEffectOnVisibility) {
  auto p = svc_->create(alice_, "P", "", true, false).value();
  EXPECT_EQ(svc_->create_invite(p.id, alice_, 60'000, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(svc_->create_invite(p.id, alice_, 60'000, PlaylistService::kMaxInviteUses + 1).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(svc_->get(p.id, alice_)->is_public);  // a refused invite changed nothing
  // Creating an invite is the owner making it collaborative (so private) at once.
  auto inv = svc_->create_invite(p.id, alice_, 60'000).value();
  auto info = svc_->get(p.id, alice_).value();
  EXPECT_TRUE(info.collaborative);
  EXPECT_FALSE(info.is_public);
  ASSERT_TRUE(svc_->accept_invite(inv.token, bob_).ok());
  ASSERT_TRUE(svc_->accept_invite(inv.token, bob_).ok());  // a member again: uses nothing
  EXPECT_EQ(svc_->accept_invite(inv.token, carol_).error().code, ErrorCode::kNotFound);  // one use, taken
  // The owner publishes it (ending collaboration); a link made before cannot change that.
  auto two = svc_->create_invite(p.id, alice_, 60'000, 10).value();
  ASSERT_TRUE(svc_->update_details(p.id, alice_, std::nullopt, std::nullopt, true, std::nullopt).ok());
  EXPECT_EQ(svc_->accept_invite(two.token, carol_).error().code, ErrorCode::kNotFound);
  info = svc_->get(p.id, alice_).value();
  EXPECT_TRUE(info.is_public);
  EXPECT_FALSE(info.collaborative);
  EXPECT_TRUE(svc_->collaborators(p.id, alice_)->empty());
}

TEST_F(PlaylistServiceTest, OwnerListsAndRevokesInvites) {
  auto p = svc_->create(alice_, "P", "", false, false).value();
  auto a = svc_->create_invite(p.id, alice_, 60'000, 3).value();
  auto b = svc_->create_invite(p.id, alice_, 60'000).value();
  EXPECT_NE(a.id, a.token);
  auto list = svc_->invites(p.id, alice_).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, b.id);  // newest first
  EXPECT_TRUE(list[0].token.empty());
  EXPECT_EQ(list[1].max_uses, 3);
  EXPECT_EQ(svc_->invites(p.id, bob_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->revoke_invite(p.id, bob_, a.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->revoke_invite(p.id, alice_, "nope").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(svc_->revoke_invite(p.id, alice_, a.id).ok());
  EXPECT_EQ(svc_->accept_invite(a.token, bob_).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(svc_->accept_invite(b.token, bob_).ok());
  EXPECT_TRUE(svc_->invites(p.id, alice_)->empty());  // one revoked, one used up
  // A collaborator cannot see or revoke them.
  EXPECT_EQ(svc_->invites(p.id, bob_).error().code, ErrorCode::kPermissionDenied);
}

TEST_F(PlaylistServiceTest, InviteByNameLooksTheSameForAnyName) {
  auto p = svc_->create(alice_, "P", "", false, false).value();
  auto known = svc_->invite_by_name(p.id, alice_, "Carol", 60'000);
  auto unknown = svc_->invite_by_name(p.id, alice_, "nobody-here", 60'000);
  ASSERT_TRUE(known.ok() && unknown.ok());
  EXPECT_EQ(known->invitee_name, "carol");
  EXPECT_EQ(svc_->invites(p.id, alice_)->size(), 2u);
  EXPECT_EQ(svc_->invite_by_name(p.id, bob_, "carol", 60'000).error().code, ErrorCode::kNotFound);
  auto mine = svc_->invites_for_name("CAROL").value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].playlist_id, p.id);
  // Only the named user accepts it, by id; the id is no link for anyone else.
  EXPECT_EQ(svc_->accept_named_invite(known->id, bob_, "bob").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->accept_invite(known->id, bob_).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(svc_->accept_named_invite(known->id, carol_, "carol").ok());
  EXPECT_EQ(svc_->collaborators(p.id, alice_).value(), std::vector<UserId>{carol_});
  EXPECT_TRUE(svc_->invites_for_name("carol")->empty());
}

TEST_F(PlaylistServiceTest, DetailsListenersHearEveryMembershipAndVisibilityChange) {
  std::vector<PlaylistId> heard;
  auto sub = bus_.subscribe("test", bus::only<bus::PlaylistDetailsChanged>(
                                       [&](const bus::PlaylistDetailsChanged& e) { heard.push_back(e.playlist_id); }));
  auto p = svc_->create(alice_, "P", "", true, false).value();
  std::size_t n = heard.size();
  auto expect_heard = [&](const char* what) {
    EXPECT_EQ(heard.size(), n + 1) << what;
    if (heard.size() > n) {
      EXPECT_EQ(heard.back(), p.id) << what;
    }
    n = heard.size();
  };
  ASSERT_TRUE(svc_->follow(p.id, carol_, true).ok());
  expect_heard("follow");
  ASSERT_TRUE(svc_->follow(p.id, carol_, false).ok());
  expect_heard("unfollow");
  auto inv = svc_->create_invite(p.id, alice_, 60'000, 5).value();
  expect_heard("invite made it collaborative");
  ASSERT_TRUE(svc_->accept_invite(inv.token, bob_).ok());
  expect_heard("accepted");
  ASSERT_TRUE(svc_->remove_collaborator(p.id, bob_, bob_).ok());
  expect_heard("left");
  ASSERT_TRUE(svc_->add_collaborator(p.id, alice_, bob_).ok());
  expect_heard("added");
  ASSERT_TRUE(svc_->remove_collaborator(p.id, alice_, bob_).ok());
  expect_heard("removed");
  auto named = svc_->invite_by_name(p.id, alice_, "carol", 60'000).value();
  ASSERT_TRUE(svc_->accept_named_invite(named.id, carol_, "carol").ok());
  expect_heard("accepted by name");
  ASSERT_TRUE(svc_->update_details(p.id, alice_, std::nullopt, std::nullopt, std::nullopt, false).ok());
  expect_heard("collaboration ended");
  ASSERT_TRUE(svc_->update_details(p.id, alice_, std::nullopt, std::nullopt, true, std::nullopt).ok());
  expect_heard("made public");
}

TEST_F(PlaylistServiceTest, PrivateCoverNeedsItsKeyWhichChangesWhenSomeoneLosesAccess) {
  auto p = svc_->create(alice_, "P", "", false, false).value();
  ASSERT_TRUE(svc_->set_image(p.id, alice_, "\xFF\xD8jpeg").ok());
  auto info = svc_->get(p.id, alice_).value();
  ASSERT_TRUE(info.has_image);
  ASSERT_EQ(info.cover_key.size(), 32u);
  EXPECT_EQ(svc_->cover(p.id, "").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->cover(p.id, std::string(32, '0')).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->cover(p.id, info.cover_key)->jpeg, "\xFF\xD8jpeg");
  // Public: by id alone. Private again: the old key is dead.
  ASSERT_TRUE(svc_->update_details(p.id, alice_, std::nullopt, std::nullopt, true, std::nullopt).ok());
  EXPECT_TRUE(svc_->cover(p.id, "").ok());
  ASSERT_TRUE(svc_->update_details(p.id, alice_, std::nullopt, std::nullopt, false, std::nullopt).ok());
  EXPECT_EQ(svc_->cover(p.id, info.cover_key).error().code, ErrorCode::kNotFound);
  auto key2 = svc_->get(p.id, alice_)->cover_key;
  EXPECT_TRUE(svc_->cover(p.id, key2).ok());
  // A removed collaborator's copy of the URL stops working.
  ASSERT_TRUE(svc_->add_collaborator(p.id, alice_, bob_).ok());
  EXPECT_EQ(svc_->get(p.id, bob_)->cover_key, key2);
  ASSERT_TRUE(svc_->remove_collaborator(p.id, alice_, bob_).ok());
  EXPECT_EQ(svc_->cover(p.id, key2).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(svc_->cover(p.id, svc_->get(p.id, alice_)->cover_key).ok());
}

int64_t op_rows(store::Database& db, const PlaylistId& id) {
  int64_t n = 0;
  EXPECT_TRUE(db.read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT COUNT(*) FROM playlist_ops WHERE playlist_id = ?", {id.str()}));
    n = v.value_or(0);
    return {};
  }).ok());
  return n;
}

TEST_F(PlaylistServiceTest, CompactionFoldsOldOpsAndKeepsTheRestCorrect) {
  auto p = svc_->create(alice_, "P", "", false, true).value();
  ASSERT_TRUE(svc_->add_collaborator(p.id, alice_, bob_).ok());
  std::vector<std::string> snaps;
  for (int i = 0; i < 12; ++i) {
    const UserId& who = i % 2 ? bob_ : alice_;
    snaps.push_back(svc_->add(p.id, who, {t(i), t(i + 1)}, i % 3 == 0 ? std::optional<std::size_t>(0) : std::nullopt,
                              std::nullopt).value());
    if (i % 4 == 3) snaps.push_back(svc_->remove(p.id, alice_, {{t(i), std::nullopt}}, std::nullopt).value());
    if (i % 5 == 4) snaps.push_back(svc_->reorder(p.id, bob_, 0, 2, 4, std::nullopt).value());
  }
  const auto before_items = svc_->items(p.id, alice_).value();
  const std::string current = snaps.back();
  const int64_t rows_before = op_rows(*db_, p.id);
  ASSERT_TRUE(svc_->compact(p.id, 3).ok());
  EXPECT_LT(op_rows(*db_, p.id), rows_before);
  auto versions = svc_->versions(p.id, alice_).value();
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0].snapshot_id, current);
  // Items, who added them and when: unchanged, also after a reopen (state from the base).
  auto same_items = [&](const std::vector<Item>& got) {
    ASSERT_EQ(got.size(), before_items.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].uri, before_items[i].uri);
      EXPECT_EQ(got[i].entry, before_items[i].entry);
      EXPECT_EQ(got[i].added_by, before_items[i].added_by) << i;
      EXPECT_EQ(got[i].added_at_ms, before_items[i].added_at_ms) << i;
    }
  };
  same_items(svc_->items(p.id, alice_).value());
  open();
  same_items(svc_->items(p.id, alice_).value());
  EXPECT_EQ(svc_->get(p.id, alice_)->snapshot_id, current);
  // Everything from nothing still converges on the current snapshot.
  auto all = svc_->ops_since(p.id, alice_, "").value();
  Sequence replay(7);
  for (const auto& op : all.ops) ASSERT_TRUE(replay.apply(op).ok());
  EXPECT_EQ(replay.pending(), 0u);
  EXPECT_EQ(replay.digest(), current);
  // A kept version: history, restore and catch-up work; a folded one says "start over".
  const std::string kept = versions[2].snapshot_id;
  EXPECT_TRUE(svc_->items_at(p.id, alice_, kept).ok());
  EXPECT_FALSE(svc_->ops_page(p.id, alice_, kept, "", 100)->ops.empty());
  const std::string folded = snaps[0];
  EXPECT_EQ(svc_->ops_page(p.id, alice_, folded, "", 100).error().code, ErrorCode::kConflict);
  EXPECT_EQ(svc_->ops_since(p.id, alice_, folded).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->items_at(p.id, alice_, folded).error().code, ErrorCode::kInvalidArgument);
  auto restored = svc_->restore(p.id, alice_, kept);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(svc_->items_at(p.id, alice_, kept)->size(), svc_->items(p.id, alice_)->size());
  // Edits go on after the base, and a second compaction folds again.
  ASSERT_TRUE(svc_->add(p.id, bob_, {t(9)}, 0, std::nullopt).ok());
  ASSERT_TRUE(svc_->compact(p.id, 1).ok());
  EXPECT_EQ(op_rows(*db_, p.id), 0);
  auto now = svc_->get(p.id, alice_)->snapshot_id;
  Sequence again(8);
  auto all_ops = svc_->ops_since(p.id, alice_, "");  // a named result: ->ops of a temporary dangles
  ASSERT_TRUE(all_ops.ok());
  for (const auto& op : all_ops->ops) ASSERT_TRUE(again.apply(op).ok());
  EXPECT_EQ(again.digest(), now);
  EXPECT_EQ(svc_->items(p.id, alice_)->front().added_by, bob_);
}

TEST_F(PlaylistServiceTest, OpsComeInPagesAndACompactionBetweenPagesIsNoticed) {
  auto p = svc_->create(alice_, "P", "", true, false).value();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(svc_->add(p.id, alice_, {t(i), t(i), t(i)}, 0, std::nullopt).ok());
  ASSERT_TRUE(svc_->compact(p.id, 4).ok());  // versions 0-7 (21 ops) folded into the base
  auto whole = svc_->ops_since(p.id, alice_, "").value();
  ASSERT_EQ(whole.ops.size(), 30u);
  std::vector<Op> paged;
  std::string cursor;
  int pages = 0;
  do {
    auto page = svc_->ops_page(p.id, alice_, "", cursor, 7);
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_LE(page->ops.size(), 7u);
    paged.insert(paged.end(), page->ops.begin(), page->ops.end());
    cursor = page->next;
    ++pages;
  } while (!cursor.empty() && pages < 20);
  EXPECT_EQ(pages, 5);
  ASSERT_EQ(paged.size(), whole.ops.size());
  for (std::size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(paged[i].id, whole.ops[i].id);
  auto first = svc_->ops_page(p.id, alice_, "", "", 7).value();
  ASSERT_TRUE(svc_->compact(p.id, 2).ok());
  EXPECT_EQ(svc_->ops_page(p.id, alice_, "", first.next, 7).error().code, ErrorCode::kConflict);
  EXPECT_EQ(svc_->ops_page(p.id, alice_, "", "x.y", 7).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PlaylistServiceTest, HistoryIsCompactedAutomatically) {
  svc_->set_history_limit(5, 3);
  auto p = svc_->create(alice_, "P", "", true, false).value();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(svc_->add(p.id, alice_, {t(i)}, std::nullopt, std::nullopt).ok());
  auto versions = svc_->versions(p.id, alice_).value();
  EXPECT_GE(versions.size(), 5u);
  EXPECT_LE(versions.size(), 8u);
  EXPECT_LE(op_rows(*db_, p.id), 8);
  EXPECT_EQ(svc_->items(p.id, alice_)->size(), 40u);
}

}  // namespace
}  // namespace segue::playlist
