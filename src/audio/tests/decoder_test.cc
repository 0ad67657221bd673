#include "audio/decoder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "audio/encoder.h"

namespace segue::audio {
namespace {

namespace fs = std::filesystem;

// A 440 Hz sine on the left channel and silence on the right: a downmix halves it, a resample
// keeps its frequency, so the tests can tell the conversions were really done.
Pcm left_sine(double seconds, int rate = 44100) {
  Pcm p;
  p.sample_rate = rate;
  p.channels = 2;
  const auto n = static_cast<std::size_t>(seconds * rate);
  p.samples.resize(n * 2);
  for (std::size_t i = 0; i < n; ++i) p.samples[2 * i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * 440.0 * i / rate));
  return p;
}

double rms(const std::vector<float>& v, std::size_t from, std::size_t to, std::size_t stride = 1, std::size_t offset = 0) {
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t i = from * stride + offset; i < to * stride; i += stride, ++count) sum += double(v[i]) * v[i];
  return count ? std::sqrt(sum / count) : 0;
}

// Zero crossings per second of a mono signal: 2 x its frequency for a sine.
double crossings_per_second(const Pcm& p) {
  int n = 0;
  for (std::size_t i = 1; i < p.samples.size(); ++i) n += (p.samples[i - 1] < 0) != (p.samples[i] < 0);
  return n / p.seconds();
}

class DecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("segue-decoder-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(Format fmt, const Pcm& pcm, int kbps = 160) {
    std::string path = (dir_ / ("in." + std::string(extension(fmt)))).string();
    Status s = encode_pcm_file(path, fmt, pcm, kbps);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return path;
  }
  fs::path dir_;
};

TEST_F(DecoderTest, EveryEncodedFormatDecodesToItsDuration) {
  for (Format fmt : {Format::kMp3, Format::kFlac, Format::kOgg, Format::kOpus, Format::kM4a, Format::kWav}) {
    SCOPED_TRACE(std::string(extension(fmt)));
    std::string path = write(fmt, left_sine(2.0));
    auto pcm = decode_file(path);
    ASSERT_TRUE(pcm.ok()) << pcm.error().message;
    EXPECT_EQ(pcm->channels, 2);
    // Encoders add priming/padding of a few thousand samples at most.
    EXPECT_NEAR(pcm->seconds(), 2.0, 0.08);
    // The sine is still on the left, the right is (nearly) silent.
    const auto mid = static_cast<std::size_t>(pcm->frames() / 2);
    EXPECT_NEAR(rms(pcm->samples, mid - 4000, mid + 4000, 2, 0), 0.5 / std::sqrt(2.0), 0.03);
    EXPECT_LT(rms(pcm->samples, mid - 4000, mid + 4000, 2, 1), 0.03);
  }
}

TEST_F(DecoderTest, DownmixesAndResamples) {
  std::string path = write(Format::kFlac, left_sine(2.0));
  DecodeOptions o;
  o.channels = 1;
  o.sample_rate = 22050;
  auto pcm = decode_file(path, o);
  ASSERT_TRUE(pcm.ok()) << pcm.error().message;
  EXPECT_EQ(pcm->channels, 1);
  EXPECT_EQ(pcm->sample_rate, 22050);
  EXPECT_NEAR(static_cast<double>(pcm->frames()), 2.0 * 22050, 64);
  EXPECT_NEAR(crossings_per_second(*pcm), 880.0, 10.0);
  // libswresample's stereo downmix takes each side at -3 dB: amplitude 0.5 / sqrt(2).
  EXPECT_NEAR(rms(pcm->samples, 5000, 40000), 0.5 / std::sqrt(2.0) / std::sqrt(2.0), 0.02);
}

TEST_F(DecoderTest, StreamsChunksAndStopsAtTheLimit) {
  std::string path = write(Format::kOgg, left_sine(3.0));
  DecodeOptions o;
  o.max_seconds = 1.25;
  o.sample_rate = 44100;
  int64_t total = 0;
  int chunks = 0;
  auto info = decode_file(path, o, [&](const float*, std::size_t frames, const StreamInfo& i) -> Status {
    EXPECT_EQ(i.channels, 2);
    total += static_cast<int64_t>(frames);
    ++chunks;
    return {};
  });
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(total, static_cast<int64_t>(1.25 * 44100));
  EXPECT_EQ(info->frames_decoded, total);
  EXPECT_GT(chunks, 10);
  EXPECT_EQ(info->codec, "vorbis");
  EXPECT_NEAR(info->duration_s, 3.0, 0.1);
}

TEST_F(DecoderTest, ASinkErrorStopsDecodingAndIsReturned) {
  std::string path = write(Format::kWav, left_sine(2.0));
  int calls = 0;
  auto info = decode_file(path, {}, [&](const float*, std::size_t, const StreamInfo&) -> Status {
    ++calls;
    return Error::unavailable("stop here");
  });
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().message, "stop here");
  EXPECT_EQ(calls, 1);
}

TEST_F(DecoderTest, MissingGarbageAndTruncatedFiles) {
  auto missing = decode_file((dir_ / "nope.mp3").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  std::string garbage = (dir_ / "garbage.mp3").string();
  {
    std::ofstream f(garbage, std::ios::binary);
    for (int i = 0; i < 20000; ++i) f.put(static_cast<char>((i * 7919) & 0xff));
  }
  auto g = decode_file(garbage);
  EXPECT_FALSE(g.ok());

  // A FLAC file cut in half decodes what is there, no more.
  std::string path = write(Format::kFlac, left_sine(4.0));
  fs::resize_file(path, fs::file_size(path) / 2);
  auto half = decode_file(path);
  ASSERT_TRUE(half.ok()) << half.error().message;
  EXPECT_GT(half->seconds(), 1.0);
  EXPECT_LT(half->seconds(), 3.0);

  // Flipped bytes in the middle of an MP3 never crash; whatever decodes is finite.
  std::string mp3 = write(Format::kMp3, left_sine(3.0));
  {
    std::fstream f(mp3, std::ios::in | std::ios::out | std::ios::binary);
    for (std::streamoff off = 4000; off < 30000; off += 97) {
      f.seekp(off);
      f.put(static_cast<char>(off & 0xff));
    }
  }
  auto damaged = decode_file(mp3);
  if (damaged.ok()) {
    for (float s : damaged->samples) ASSERT_TRUE(std::isfinite(s));
  }
}

TEST_F(DecoderTest, RefusesBadOptions) {
  std::string path = write(Format::kWav, left_sine(0.5));
  DecodeOptions o;
  o.channels = 3;
  EXPECT_EQ(decode_file(path, o).error().code, ErrorCode::kInvalidArgument);
  o.channels = 1;
  o.sample_rate = 100;
  EXPECT_EQ(decode_file(path, o).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace segue::audio
