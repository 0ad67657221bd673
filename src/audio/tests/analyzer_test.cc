#include "audio/analyzer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cmath>
#include <filesystem>

#include "audio/decoder.h"
#include "audio/encoder.h"
#include "audio/synth.h"

namespace segue::audio {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// A demo tune with a click on every beat at `bpm`, so the file has a clear tempo.
Pcm tune_with_clicks(uint32_t seed, double seconds, double bpm) {
  Pcm p = render_demo_tune(seed, seconds);
  for (float& s : p.samples) s *= 0.5f;
  const double period = 60.0 / bpm;
  for (double t = 0.05; t < seconds; t += period) {
    auto at = static_cast<std::size_t>(t * p.sample_rate);
    for (std::size_t i = 0; i < 400 && at + i < static_cast<std::size_t>(p.frames()); ++i) {
      float v = static_cast<float>(0.6 * std::exp(-double(i) / 60.0) * ((i / 8) % 2 ? 1 : -1));
      p.samples[2 * (at + i)] += v;
      p.samples[2 * (at + i) + 1] += v;
    }
  }
  return p;
}

class AnalyzerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("segue-analyzer-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(AnalyzerTest, OnePassGivesLoudnessFingerprintAndFeatures) {
  Pcm pcm = tune_with_clicks(3, 30.0, 120.0);
  std::string path = (dir_ / "t.ogg").string();
  ASSERT_TRUE(encode_pcm_file(path, Format::kOgg, pcm, 160).ok());
  auto a = analyze_file(path);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->version, kAnalyzerVersion);
  EXPECT_EQ(a->codec, "vorbis");
  EXPECT_NEAR(a->duration_s, 30.0, 0.1);
  EXPECT_NEAR(a->music.duration, 30.0, 0.1);
  EXPECT_EQ(a->music.sample_rate, 22050);
  ASSERT_TRUE(a->fingerprint);
  EXPECT_GT(a->fingerprint->items.size(), 200u);
  // Loudness equals a meter fed the decoded file directly.
  auto decoded = decode_file(path);
  ASSERT_TRUE(decoded.ok());
  auto meter = LoudnessMeter::create(decoded->sample_rate, decoded->channels);
  ASSERT_TRUE(meter.ok());
  ASSERT_TRUE((*meter)->add(decoded->samples.data(), static_cast<std::size_t>(decoded->frames())).ok());
  auto direct = (*meter)->finish();
  ASSERT_TRUE(direct.ok() && direct->integrated_lufs && a->loudness.integrated_lufs);
  EXPECT_NEAR(*a->loudness.integrated_lufs, *direct->integrated_lufs, 0.01);
  EXPECT_NEAR(a->loudness.true_peak_dbtp, direct->true_peak_dbtp, 0.01);
  EXPECT_NEAR(a->music.tempo, 120.0, 120.0 * 0.04);
  EXPECT_FALSE(a->music.beats.empty());
}

TEST_F(AnalyzerTest, JsonRoundTripsAndRejectsTamperedValues) {
  Pcm pcm = tune_with_clicks(5, 12.0, 100.0);
  std::string path = (dir_ / "t.flac").string();
  ASSERT_TRUE(encode_pcm_file(path, Format::kFlac, pcm, 0).ok());
  auto a = analyze_file(path);
  ASSERT_TRUE(a.ok()) << a.error().message;
  json::value v = to_json(*a);
  auto back = track_analysis_from_json(json::parse(json::serialize(v)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->loudness.histogram.counts, a->loudness.histogram.counts);
  EXPECT_EQ(back->fingerprint->items, a->fingerprint->items);
  EXPECT_EQ(back->music.segments.size(), a->music.segments.size());
  EXPECT_EQ(back->music.beats.size(), a->music.beats.size());
  EXPECT_EQ(back->music.key, a->music.key);
  EXPECT_NEAR(back->music.tempo, a->music.tempo, 1e-4);
  // Serialising the parsed copy gives the same text: nothing is lost or reinterpreted.
  EXPECT_EQ(json::serialize(to_json(*back)), json::serialize(v));

  auto tampered = [&](auto edit) {
    json::value t = v;
    edit(t.as_object());
    return track_analysis_from_json(t);
  };
  EXPECT_FALSE(tampered([](json::object& o) { o["music"].as_object()["energy"] = 2.0; }).ok());
  EXPECT_FALSE(tampered([](json::object& o) { o["music"].as_object()["key"] = 12; }).ok());
  EXPECT_FALSE(tampered([](json::object& o) { o["music"].as_object()["beats"] = "lots"; }).ok());
  EXPECT_FALSE(tampered([](json::object& o) { o["loudness"].as_object()["histogram"] = json::array{json::array{900, 1}}; }).ok());
  EXPECT_FALSE(tampered([](json::object& o) { o["fingerprint"].as_object()["items"] = json::array{-1}; }).ok());
  EXPECT_FALSE(tampered([](json::object& o) { o["fingerprint"].as_object()["items"] = json::array{1.5}; }).ok());
  EXPECT_FALSE(tampered([](json::object& o) { o.erase("loudness"); }).ok());
  EXPECT_FALSE(track_analysis_from_json(json::value(42)).ok());
}

TEST_F(AnalyzerTest, SilenceAndNonAudio) {
  Pcm silent;
  silent.samples.assign(static_cast<std::size_t>(5 * 44100 * 2), 0.0f);
  std::string path = (dir_ / "s.wav").string();
  ASSERT_TRUE(encode_pcm_file(path, Format::kWav, silent, 0).ok());
  auto a = analyze_file(path);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_FALSE(a->loudness.integrated_lufs);
  EXPECT_FALSE(a->fingerprint);
  EXPECT_EQ(a->music.tempo, 0);
  EXPECT_EQ(a->music.key, -1);

  std::string text = (dir_ / "notes.mp3").string();
  {
    FILE* f = std::fopen(text.c_str(), "w");
    std::fputs("not audio at all, just a text file with an audio extension\n", f);
    std::fclose(f);
  }
  auto bad = analyze_file(text);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace segue::audio

namespace segue::audio {
namespace {

// Real music: a few tracks of the Wesnoth soundtrack (Debian's wesnoth-1.16-music, installed by
// scripts/setup.sh). Results must be plausible for orchestral game music and identical between
// runs.
TEST(AnalyzerRealMusic, WesnothTracksArePlausibleAndStable) {
  const std::string dir = "/usr/share/games/wesnoth/1.16/data/core/music/";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "wesnoth-1.16-music is not installed";
  for (const char* name : {"battle.ogg", "elf-land.ogg", "traveling_minstrels.ogg"}) {
    SCOPED_TRACE(name);
    auto a = analyze_file(dir + name);
    ASSERT_TRUE(a.ok()) << a.error().message;
    auto again = analyze_file(dir + name);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(json::serialize(to_json(*a)), json::serialize(to_json(*again)));
    const auto& m = a->music;
    ASSERT_TRUE(a->loudness.integrated_lufs);
    EXPECT_GT(*a->loudness.integrated_lufs, -35);
    EXPECT_LT(*a->loudness.integrated_lufs, -5);
    EXPECT_GE(a->loudness.true_peak_dbtp, 20 * std::log10(0.1));
    EXPECT_GT(m.tempo, 50);
    EXPECT_LT(m.tempo, 250);
    EXPECT_GE(m.key, 0);  // tonal music: a key is found
    EXPECT_TRUE(m.mode == 0 || m.mode == 1);
    // Orchestral recordings: acoustic and instrumental, not speech.
    EXPECT_GT(m.instrumentalness, 0.5);
    EXPECT_LT(m.speechiness, 0.33);
    EXPECT_GT(m.acousticness, 0.3);
    ASSERT_TRUE(a->fingerprint);
    // Beats cover the music at the found tempo.
    ASSERT_GT(m.beats.size(), 10u);
    const double span = m.beats.back().start - m.beats.front().start;
    EXPECT_NEAR(span / static_cast<double>(m.beats.size() - 1), 60.0 / m.tempo, 0.25 * 60.0 / m.tempo);
    EXPECT_FALSE(m.sections.empty());
  }
}

}  // namespace
}  // namespace segue::audio
