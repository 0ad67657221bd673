// Training from signals, the model file and the versioned models directory.
#include "recommend/model.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "recommend/training.h"

namespace segue::recommend {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kNow = 1'765'000'000'000LL;

// Two tastes: users 0-19 play tracks a0..a9 (artist A*), users 20-39 tracks b0..b9 (artist B*);
// each user misses a few of their side's tracks. Tracks "gone" are not in the catalog.
TrainingSet planted(std::mt19937& rng) {
  TrainingSet set(
      [](const std::string& track) -> std::vector<std::string> {
        if (track == "gone") return {};
        return {std::string("artist-") + track[0] + std::to_string((track[1] - '0') % 3)};
      },
      kNow);
  for (int u = 0; u < 40; ++u) {
    const char side = u < 20 ? 'a' : 'b';
    for (int t = 0; t < 10; ++t) {
      if (static_cast<int>(rng() % 10) < 3) continue;
      set.track("user" + std::to_string(u), std::string(1, side) + std::to_string(t), 1.0f + static_cast<float>(rng() % 5));
    }
    set.track("user" + std::to_string(u), "gone", 5.0f);
  }
  // user0 skipped b0 early and never played it: disliked. user1 skipped a1 but played it more.
  set.track("user0", "b0", -1.0f, true);
  set.track("user1", "a1", 3.0f);
  set.track("user1", "a1", -1.0f, true);
  return set;
}

TrainOptions small_options() {
  TrainOptions o;
  o.als.factors = 8;
  o.als.iterations = 10;
  o.als.regularization = 0.1f;
  o.als.threads = 1;
  o.version = "v1";
  return o;
}

TEST(ModelTest, TrainsBothLevelsFromSignalsAndRemembersDislikes) {
  std::mt19937 rng(7);
  auto set = planted(rng);
  EXPECT_EQ(set.users(), 40u);
  std::vector<std::string> stages;
  auto m = train_model(std::move(set), small_options(), [&](const std::string& s, int, int) {
    if (stages.empty() || stages.back() != s) stages.push_back(s);
    return true;
  });
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(stages, (std::vector<std::string>{"tracks", "artists"}));
  EXPECT_EQ(m->tracks.size(), 20);  // a0-a9 and b0-b9, not "gone"
  EXPECT_FALSE(m->tracks.find("gone"));
  EXPECT_EQ(m->artists.size(), 6);
  const int32_t u0 = *m->find_user("user0"), u1 = *m->find_user("user1"), u30 = *m->find_user("user30");
  const int32_t b0 = *m->tracks.find("b0"), a1 = *m->tracks.find("a1");
  EXPECT_EQ(m->tracks.disliked[static_cast<std::size_t>(u0)], std::vector<int32_t>{b0});
  EXPECT_TRUE(m->tracks.disliked[static_cast<std::size_t>(u1)].empty());  // played more than skipped
  auto seen1 = m->tracks.seen.items_of(u1);
  EXPECT_TRUE(std::find(seen1.begin(), seen1.end(), a1) != seen1.end());
  // The factors learned the two tastes: a user scores their side's tracks above the other's.
  std::vector<float> s(static_cast<std::size_t>(m->tracks.size()));
  m->tracks.als.score(u30, s);
  float a_sum = 0, b_sum = 0;
  for (int t = 0; t < 10; ++t) {
    a_sum += s[static_cast<std::size_t>(*m->tracks.find("a" + std::to_string(t)))];
    b_sum += s[static_cast<std::size_t>(*m->tracks.find("b" + std::to_string(t)))];
  }
  EXPECT_GT(b_sum, a_sum + 2);
  // Neighbours stay on their side.
  for (int32_t n : m->tracks.neighbors.neighbors_of(*m->tracks.find("a3")))
    EXPECT_EQ(m->tracks.ids[static_cast<std::size_t>(n)][0], 'a');
}

TEST(ModelTest, NothingToTrainOnIsAClearError) {
  TrainingSet set([](const std::string&) { return std::vector<std::string>{"x"}; }, kNow);
  auto m = train_model(std::move(set), small_options());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument);
}

TEST(ModelTest, RecencyHalvesTowardOneHalf) {
  const int64_t hl = 90LL * 24 * 3600 * 1000;
  EXPECT_FLOAT_EQ(recency_factor(kNow, kNow, hl), 1.0f);
  EXPECT_FLOAT_EQ(recency_factor(kNow - hl, kNow, hl), 0.75f);
  EXPECT_NEAR(recency_factor(kNow - 50 * hl, kNow, hl), 0.5f, 1e-6);
  EXPECT_FLOAT_EQ(recency_factor(kNow + 1000, kNow, hl), 1.0f);  // a clock ahead counts as now
}

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("segue-models-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    std::mt19937 rng(3);
    model_ = std::move(train_model(planted(rng), small_options())).value();
    model_.playlists = CoMembership::build({{"a0", "a1", "a2"}, {"a1", "a2", "b3"}, {"b3", "b4"}});
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  Model model_;
};

TEST_F(ModelFileTest, RoundTripsExactly) {
  const std::string bytes = serialize_model(model_);
  auto back = parse_model(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  const Model& b = **back;
  EXPECT_EQ(b.info.version, "v1");
  EXPECT_EQ(b.users, model_.users);
  EXPECT_EQ(b.tracks.ids, model_.tracks.ids);
  EXPECT_EQ(b.artists.ids, model_.artists.ids);
  EXPECT_TRUE(b.tracks.als.items == model_.tracks.als.items);
  EXPECT_TRUE(b.artists.als.users == model_.artists.als.users);
  EXPECT_EQ(b.tracks.disliked, model_.tracks.disliked);
  EXPECT_EQ(b.tracks.neighbors.csr_col(), model_.tracks.neighbors.csr_col());
  EXPECT_EQ(b.tracks.seen.nnz(), model_.tracks.seen.nnz());
  EXPECT_EQ(b.als_options.alpha, model_.als_options.alpha);
  EXPECT_EQ(b.weighting.kind, model_.weighting.kind);
  EXPECT_EQ(b.als_options.log_confidence, model_.als_options.log_confidence);
  ASSERT_EQ(b.playlists.ids, model_.playlists.ids);
  EXPECT_EQ(b.playlists.lists, 3);
  EXPECT_EQ(b.playlists.lists_per_track, model_.playlists.lists_per_track);
  EXPECT_EQ(b.playlists.neighbors.csr_col(), model_.playlists.neighbors.csr_col());
  EXPECT_EQ(b.playlists.neighbors.csr_val(), model_.playlists.neighbors.csr_val());
  EXPECT_EQ(b.playlists.find("b3"), model_.playlists.find("b3"));
  EXPECT_EQ(serialize_model(b), bytes);  // nothing lost either way
}

// A file of format 1 (before the playlist co-membership section) still loads, without it; a
// format from the future is refused, naming it.
TEST_F(ModelFileTest, ReadsFormatOneWithoutPlaylistsAndRefusesNewerFormats) {
  Model plain = model_;
  plain.playlists = CoMembership{};
  std::string v2 = serialize_model(plain);
  // Format 1 = the same bytes without the (empty) playlists section: lists (int32), ids
  // (count), lists per track (count), offsets (count + one 0), neighbours, similarities
  // (counts), the binary flag.
  constexpr std::size_t kEmptySection = 4 + 8 + 8 + (8 + 8) + 8 + 8 + 1;
  std::string v1 = v2.substr(0, v2.size() - 4 - kEmptySection);
  const uint32_t one = 1;
  std::memcpy(v1.data() + 8, &one, 4);
  auto with_crc = [](std::string body) {
    const auto crc = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
    body.append(reinterpret_cast<const char*>(&crc), 4);
    return body;
  };
  auto old = parse_model(with_crc(v1));
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_TRUE((*old)->playlists.empty());
  EXPECT_EQ((*old)->tracks.ids, model_.tracks.ids);
  // Written again it is format 2, byte for byte what the plain model gives.
  EXPECT_EQ(serialize_model(**old), v2);
  std::string future = v2.substr(0, v2.size() - 4);
  const uint32_t three = 3;
  std::memcpy(future.data() + 8, &three, 4);
  auto refused = parse_model(with_crc(future));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("unknown format 3"), std::string::npos) << refused.error().message;
}

TEST_F(ModelFileTest, DamagedOrTruncatedFilesAreErrorsNotCrashes) {
  const std::string bytes = serialize_model(model_);
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    std::string bad = bytes;
    if (i % 2) {
      bad.resize(rng() % bytes.size());
    } else {
      bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    auto m = parse_model(bad);
    EXPECT_FALSE(m.ok()) << "mutation " << i << " parsed";
  }
  EXPECT_FALSE(parse_model("").ok());
  EXPECT_FALSE(parse_model("SEGUEREC").ok());
}

TEST_F(ModelFileTest, PublishSwapsCurrentKeepsPreviousAndRollsBack) {
  ModelStore store(dir_.string(), 2);
  EXPECT_FALSE(store.current_version().ok());
  EXPECT_FALSE(store.rollback().ok());
  std::vector<std::string> published;
  for (int i = 1; i <= 4; ++i) {
    model_.info.version = "v" + std::to_string(i);
    auto v = store.publish(model_);
    ASSERT_TRUE(v.ok()) << v.error().message;
    published.push_back(*v);
    EXPECT_EQ(*store.current_version(), *v);
  }
  EXPECT_EQ(*store.previous_version(), "v3");
  EXPECT_EQ(store.versions(), (std::vector<std::string>{"v3", "v4"}));  // keep 2
  // The same version twice is refused, and nothing changes.
  EXPECT_FALSE(store.publish(model_).ok());
  EXPECT_EQ(*store.current_version(), "v4");
  auto loaded = store.load_current();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->info.version, "v4");
  auto back = store.rollback();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "v3");
  EXPECT_EQ(*store.current_version(), "v3");
  EXPECT_EQ((*store.load_current())->info.version, "v3");
  ASSERT_TRUE(store.rollback().ok());  // a second rollback undoes the first
  EXPECT_EQ(*store.current_version(), "v4");
  // A version name cannot leave the directory.
  EXPECT_FALSE(store.load("../../etc").ok());
  // A damaged current file is an error naming the file.
  {
    std::fstream f(dir_ / "v4" / "model.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  auto damaged = store.load_current();
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.error().message.find("model.bin"), std::string::npos);
}

TEST(ModelVersionTest, NamesAreUtcSecondsAndUnique) {
  EXPECT_EQ(version_for(1'765'000'000'000LL, {}), "20251206T054640Z");
  EXPECT_EQ(version_for(1'765'000'000'000LL, {"20251206T054640Z"}), "20251206T054640Z-2");
  EXPECT_EQ(version_for(1'765'000'000'000LL, {"20251206T054640Z", "20251206T054640Z-2"}), "20251206T054640Z-3");
}

}  // namespace
}  // namespace segue::recommend
