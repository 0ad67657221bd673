#include "audio/encoder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace segue::audio {
namespace {

struct Probe {
  std::string codec;
  double seconds = 0;
  int sample_rate = 0;
  int channels = 0;
};

// Re-opens a file with libavformat, independent of the encoder's own bookkeeping.
std::optional<Probe> probe(const std::string& path) {
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, path.c_str(), nullptr, nullptr) < 0) return std::nullopt;
  std::optional<Probe> out;
  if (avformat_find_stream_info(ctx, nullptr) >= 0 && ctx->nb_streams == 1) {
    const AVCodecParameters* par = ctx->streams[0]->codecpar;
    Probe p;
    p.codec = avcodec_get_name(par->codec_id);
    p.seconds = ctx->duration > 0 ? static_cast<double>(ctx->duration) / AV_TIME_BASE : 0;
    p.sample_rate = par->sample_rate;
    p.channels = par->ch_layout.nb_channels;
    out = p;
  }
  avformat_close_input(&ctx);
  return out;
}

class EncoderTest : public ::testing::TestWithParam<std::tuple<Format, const char*, int>> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-audio-" + std::to_string(::getpid()) + "-" +
            std::to_string(static_cast<int>(std::get<0>(GetParam()))));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_P(EncoderTest, EncodedFileReopensWithCodecDurationAndRate) {
  const auto [fmt, codec, rate] = GetParam();
  Pcm pcm = render_demo_tune(42, 3.0);
  const std::string path = (dir_ / ("t." + std::string(extension(fmt)))).string();
  Status s = encode_pcm_file(path, fmt, pcm, 160);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto p = probe(path);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->codec, codec);
  EXPECT_EQ(p->sample_rate, rate);
  EXPECT_EQ(p->channels, 2);
  EXPECT_NEAR(p->seconds, 3.0, 0.15);
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, EncoderTest,
    ::testing::Values(std::make_tuple(Format::kMp3, "mp3", 44100),
                      std::make_tuple(Format::kFlac, "flac", 44100),
                      std::make_tuple(Format::kOgg, "vorbis", 44100),
                      std::make_tuple(Format::kOpus, "opus", 48000),
                      std::make_tuple(Format::kM4a, "aac", 44100),
                      std::make_tuple(Format::kWav, "pcm_s16le", 44100)));

TEST(EncoderErrorsTest, EmptyPcmIsInvalid) {
  Pcm pcm;
  Status s = encode_pcm_file("/tmp/never-written.wav", Format::kWav, pcm, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

TEST(EncoderErrorsTest, UnwritablePathIsAnError) {
  Status s = encode_pcm_file("/nonexistent-dir/x.mp3", Format::kMp3, render_demo_tune(1, 0.5), 128);
  EXPECT_FALSE(s.ok());
}

TEST(EncoderErrorsTest, ExtensionsRoundTrip) {
  for (Format f : {Format::kMp3, Format::kFlac, Format::kOgg, Format::kOpus, Format::kM4a,
                   Format::kWav})
    EXPECT_EQ(format_from_extension(extension(f)), f);
  EXPECT_EQ(format_from_extension("oga"), Format::kOgg);
  EXPECT_FALSE(format_from_extension("txt").has_value());
}

}  // namespace
}  // namespace segue::audio
