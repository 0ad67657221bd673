#include "audio/transcoder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "audio/decoder.h"
#include "audio/synth.h"

namespace segue::audio {
namespace {

namespace fs = std::filesystem;

class TranscoderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("segue-transcoder-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // 20 s of music-like audio (several voices, so the encoders have something to spend bits on).
    Pcm pcm = render_demo_tune(7, 20.0);
    // Real recordings have noise-like parts (breath, cymbals, room) that VBR encoders spend
    // bits on; a pure synthesized tune would encode far below any bitrate asked for.
    uint32_t x = 12345;
    for (float& v : pcm.samples) {
      x = x * 1664525u + 1013904223u;
      v = 0.75f * v + 0.15f * (static_cast<float>(x >> 8) / 8388608.0f - 1.0f);
    }
    ASSERT_TRUE(encode_pcm_file(flac_path(), Format::kFlac, pcm, 0).ok());
    ASSERT_TRUE(encode_pcm_file(mp3_path(), Format::kMp3, pcm, 320).ok());
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string flac_path() { return (dir_ / "source.flac").string(); }
  static std::string mp3_path() { return (dir_ / "source.mp3").string(); }
  static std::string out(const std::string& name) { return (dir_ / name).string(); }

  // Decoded length in seconds, and the codec, measured independently of the transcoder.
  static std::pair<double, std::string> measure(const std::string& path) {
    int64_t frames = 0;
    auto info = decode_file(path, {}, [&](const float*, std::size_t n, const StreamInfo&) -> Status {
      frames += static_cast<int64_t>(n);
      return {};
    });
    if (!info.ok()) return {-1, info.error().message};
    return {static_cast<double>(frames) / info->sample_rate, info->codec};
  }

  static fs::path dir_;
};
fs::path TranscoderTest::dir_;

struct Tier {
  Format format;
  int kbps;
  const char* codec;
};

class TierTest : public TranscoderTest, public ::testing::WithParamInterface<Tier> {};

TEST_P(TierTest, OutputDecodesWithTheSourceDurationAndTheRequestedBitrate) {
  const Tier t = GetParam();
  for (const std::string& src : {flac_path(), mp3_path()}) {
    const std::string dst = out(std::string(codec_name(t.format)) + std::to_string(t.kbps) + "." +
                                std::string(extension(t.format)));
    auto r = transcode(src, dst, t.format, t.kbps);
    ASSERT_TRUE(r.ok()) << src << ": " << r.error().message;
    auto [seconds, codec] = measure(dst);
    EXPECT_EQ(codec, t.codec);
    EXPECT_NEAR(seconds, 20.0, 0.1) << src;
    EXPECT_NEAR(r->seconds, seconds, 0.001);
    EXPECT_EQ(r->bytes, static_cast<int64_t>(fs::file_size(dst)));
    // The bitrate asked for, within the encoders' rate control on 20 s of music.
    EXPECT_GT(r->bitrate_kbps, t.kbps * 0.7) << src << " -> " << t.codec << " " << t.kbps;
    EXPECT_LT(r->bitrate_kbps, t.kbps * 1.2) << src << " -> " << t.codec << " " << t.kbps;
    EXPECT_FALSE(fs::exists(dst + ".part"));
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, TierTest,
                         ::testing::Values(Tier{Format::kOgg, 96, "vorbis"}, Tier{Format::kOgg, 160, "vorbis"},
                                           Tier{Format::kOgg, 320, "vorbis"}, Tier{Format::kOpus, 96, "opus"},
                                           Tier{Format::kOpus, 160, "opus"}, Tier{Format::kM4a, 128, "aac"},
                                           Tier{Format::kM4a, 256, "aac"}),
                         [](const auto& info) {
                           return std::string(codec_name(info.param.format)) + std::to_string(info.param.kbps);
                         });

TEST_F(TranscoderTest, CorruptInputIsInvalidAndLeavesNoFile) {
  const std::string bad = out("corrupt.mp3");
  {
    std::ofstream f(bad, std::ios::binary);
    for (int i = 0; i < 5000; ++i) f.put(static_cast<char>((i * 7919) & 0xff));
  }
  const std::string dst = out("corrupt-out.ogg");
  auto r = transcode(bad, dst, Format::kOgg, 160);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dst));
  EXPECT_FALSE(fs::exists(dst + ".part"));
}

TEST_F(TranscoderTest, MissingSourceIsNotFound) {
  auto r = transcode(out("nope.flac"), out("nope.ogg"), Format::kOgg, 160);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(TranscoderTest, AFailedTranscodeLeavesAnExistingOutputUntouched) {
  const std::string dst = out("keep.ogg");
  ASSERT_TRUE(transcode(flac_path(), dst, Format::kOgg, 96).ok());
  const auto size = fs::file_size(dst);
  ASSERT_FALSE(transcode(out("nope.flac"), dst, Format::kOgg, 160).ok());
  EXPECT_EQ(fs::file_size(dst), size);
}

TEST_F(TranscoderTest, MaxSecondsCutsTheOutput) {
  TranscodeOptions o;
  o.max_seconds = 5;
  auto r = transcode(flac_path(), out("cut.opus"), Format::kOpus, 96, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NEAR(measure(out("cut.opus")).first, 5.0, 0.05);
}

TEST(StreamEncoderTest, ChunkedWritesEqualOneWrite) {
  Pcm pcm = render_demo_tune(3, 4.0);
  const auto dir = fs::temp_directory_path() / ("segue-streamenc-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "chunks.wav").string();
  auto enc = StreamEncoder::open(path, Format::kWav, pcm.sample_rate, pcm.channels, 0);
  ASSERT_TRUE(enc.ok());
  std::size_t done = 0;
  const std::size_t total = static_cast<std::size_t>(pcm.frames());
  for (std::size_t chunk = 1; done < total; chunk = chunk * 3 + 1) {
    const std::size_t n = std::min(chunk, total - done);
    ASSERT_TRUE((*enc)->write(pcm.samples.data() + done * 2, n).ok());
    done += n;
  }
  ASSERT_TRUE((*enc)->finish().ok());
  auto back = decode_file(path);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->frames(), pcm.frames());
  for (std::size_t i = 0; i < pcm.samples.size(); i += 997) EXPECT_NEAR(back->samples[i], pcm.samples[i], 1e-4);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace segue::audio
