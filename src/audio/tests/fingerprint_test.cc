#include "audio/fingerprint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "audio/decoder.h"
#include "audio/encoder.h"
#include "audio/synth.h"

namespace segue::audio {
namespace {

namespace fs = std::filesystem;

Fingerprint print(const Pcm& p) {
  auto f = Fingerprinter::create(p.sample_rate, p.channels);
  EXPECT_TRUE(f.ok());
  for (int64_t at = 0; at < p.frames(); at += 3000) {
    auto n = static_cast<std::size_t>(std::min<int64_t>(3000, p.frames() - at));
    EXPECT_TRUE((*f)->add(p.samples.data() + at * p.channels, n).ok());
  }
  auto fp = (*f)->finish();
  EXPECT_TRUE(fp.ok()) << fp.error().message;
  return fp.ok() ? *fp : Fingerprint{};
}

class FingerprintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("segue-fp-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // The tune through a lossy codec and back, as a second copy in a library would be.
  Pcm through(const Pcm& p, Format fmt, int kbps) {
    std::string path = (dir_ / ("copy." + std::string(extension(fmt)))).string();
    EXPECT_TRUE(encode_pcm_file(path, fmt, p, kbps).ok());
    auto back = decode_file(path);
    EXPECT_TRUE(back.ok());
    return back.ok() ? *back : Pcm{};
  }
  fs::path dir_;
};

TEST_F(FingerprintTest, TheSameRecordingThroughTwoCodecsMatchesAndOthersDoNot) {
  Pcm tune = render_demo_tune(21, 40.0);
  Fingerprint mp3 = print(through(tune, Format::kMp3, 128));
  Fingerprint ogg = print(through(tune, Format::kOgg, 96));
  Fingerprint other = print(render_demo_tune(22, 40.0));
  EXPECT_NEAR(mp3.item_seconds, 0.1238, 0.001);
  EXPECT_GT(mp3.items.size(), 250u);
  EXPECT_GT(fingerprint_similarity(mp3, ogg), 0.9);
  EXPECT_LT(fingerprint_similarity(mp3, other), 0.75);
}

TEST_F(FingerprintTest, AlignmentFindsACopyWithLeadingSilence) {
  Pcm tune = render_demo_tune(31, 30.0);
  Pcm padded = tune;
  padded.samples.insert(padded.samples.begin(), static_cast<std::size_t>(2 * 44100 * 2), 0.0f);
  Fingerprint a = print(tune), b = print(padded);
  EXPECT_GT(fingerprint_similarity(a, b), 0.9);
  // Without room to shift, the same pair looks unrelated.
  EXPECT_LT(fingerprint_similarity(a, b, 0), 0.75);
}

TEST_F(FingerprintTest, FindsExactlyTheDuplicateGroups) {
  std::vector<FingerprintEntry> entries;
  for (uint32_t seed = 40; seed < 48; ++seed) {
    Pcm t = render_demo_tune(seed, 30.0);
    entries.push_back({"t" + std::to_string(seed), 30.0, print(t)});
  }
  // seed 42 also as a quieter MP3, seed 45 twice more (Ogg and Opus).
  Pcm t42 = render_demo_tune(42, 30.0);
  for (float& s : t42.samples) s *= 0.5f;
  entries.push_back({"t42-mp3", 30.05, print(through(t42, Format::kMp3, 160))});
  Pcm t45 = render_demo_tune(45, 30.0);
  entries.push_back({"t45-ogg", 30.0, print(through(t45, Format::kOgg, 160))});
  entries.push_back({"t45-opus", 30.02, print(through(t45, Format::kOpus, 96))});
  // The same audio as seed 47 but claiming a much longer file is not the same recording.
  entries.push_back({"t47-long", 95.0, entries[7].fingerprint});

  auto groups = find_duplicates(entries);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].members, (std::vector<std::size_t>{2, 8}));
  EXPECT_EQ(groups[1].members, (std::vector<std::size_t>{5, 9, 10}));
  for (const auto& g : groups) EXPECT_GE(g.min_similarity, 0.85);
}

TEST_F(FingerprintTest, SilenceAndTinyInputsAreRefusedAndEncodingRoundTrips) {
  Pcm silence;
  silence.samples.assign(static_cast<std::size_t>(10 * 44100 * 2), 0.0f);
  auto f = Fingerprinter::create(44100, 2);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->add(silence.samples.data(), static_cast<std::size_t>(silence.frames())).ok());
  EXPECT_FALSE((*f)->finish().ok());
  EXPECT_FALSE(Fingerprinter::create(44100, 3).ok());

  Fingerprint fp = print(render_demo_tune(50, 15.0));
  auto back = Fingerprint::decode(fp.encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->items, fp.items);
  EXPECT_EQ(back->item_seconds, fp.item_seconds);
  EXPECT_FALSE(Fingerprint::decode("short").ok());
  EXPECT_FALSE(Fingerprint::decode(std::string(12, '\xff')).ok());
}

TEST_F(FingerprintTest, OnlyTheFirstTwoMinutesCount) {
  Pcm long_tune = render_demo_tune(60, 150.0);
  Pcm first = long_tune;
  first.samples.resize(static_cast<std::size_t>(120 * 44100 * 2));
  Fingerprint fp = print(long_tune);
  EXPECT_EQ(fp.items, print(first).items);
  EXPECT_NEAR(fp.items.size() * fp.item_seconds, 120.0, 5.0);
}

}  // namespace
}  // namespace segue::audio
