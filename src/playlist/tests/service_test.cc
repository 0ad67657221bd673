#include "playlist/service.h"

#include <gtest/gtest.h>

#include <filesystem>

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
    db_ = store::Database::open_sqlite((dir_ / "db").string()).value();
    ASSERT_TRUE(db_->migrate("playlist", playlist_migrations()).ok());
    svc_ = std::make_unique<PlaylistService>(*db_, [this] { return ++clock_; });
  }
  void TearDown() override {
    svc_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::vector<std::string> uris(const std::string& id, const UserId& viewer) {
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
  std::vector<ChangeEvent> heard;
  svc_->set_listener([&](const ChangeEvent& e) { heard.push_back(e); });
  auto p = svc_->create(alice_, "P", "", true, false).value();
  auto s1 = svc_->add(p.id, alice_, {t(1), t(2)}, std::nullopt, std::nullopt).value();
  EXPECT_FALSE(svc_->add(p.id, alice_, {t(1)}, 9, std::nullopt).ok());
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].snapshot_id, s1);
  EXPECT_EQ(heard[0].previous_snapshot_id, p.snapshot_id);
  EXPECT_EQ(heard[0].ops.size(), 2u);
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
