#include "audio/loudness.h"

#include <gtest/gtest.h>

#include <cmath>

#include "audio/synth.h"

namespace segue::audio {
namespace {

Pcm sine(double hz, double amplitude, double seconds, int rate = 48000) {
  Pcm p;
  p.sample_rate = rate;
  p.channels = 2;
  const auto n = static_cast<std::size_t>(seconds * rate);
  p.samples.resize(2 * n);
  for (std::size_t i = 0; i < n; ++i)
    p.samples[2 * i] = p.samples[2 * i + 1] = static_cast<float>(amplitude * std::sin(2 * M_PI * hz * i / rate));
  return p;
}

Pcm scaled(Pcm p, double db) {
  const auto g = static_cast<float>(std::pow(10.0, db / 20.0));
  for (float& s : p.samples) s *= g;
  return p;
}

Loudness measure(const Pcm& p, std::size_t chunk = 1000) {
  auto m = LoudnessMeter::create(p.sample_rate, p.channels);
  EXPECT_TRUE(m.ok());
  for (int64_t f = 0; f < p.frames(); f += static_cast<int64_t>(chunk)) {
    auto n = static_cast<std::size_t>(std::min<int64_t>(static_cast<int64_t>(chunk), p.frames() - f));
    EXPECT_TRUE((*m)->add(p.samples.data() + f * p.channels, n).ok());
  }
  auto l = (*m)->finish();
  EXPECT_TRUE(l.ok());
  return *l;
}

// EBU Tech 3341, case 1: a 1 kHz stereo sine at -23 dBFS in each channel reads -23.0 LUFS.
TEST(Loudness, ReferenceSineReadsMinus23) {
  Loudness l = measure(sine(1000, std::pow(10.0, -23.0 / 20), 20.0));
  ASSERT_TRUE(l.integrated_lufs);
  EXPECT_NEAR(*l.integrated_lufs, -23.0, 0.1);
  EXPECT_NEAR(l.true_peak_dbtp, -23.0, 0.2);
  EXPECT_LT(l.range_lu, 0.5);  // a steady tone has no loudness range
}

TEST(Loudness, GainStepsLowerLoudnessByTheStep) {
  Pcm tune = render_demo_tune(7, 30.0);
  Loudness base = measure(tune, 4096);
  ASSERT_TRUE(base.integrated_lufs);
  for (double step : {-3.0, -6.0, -12.0, -20.0}) {
    Loudness l = measure(scaled(tune, step), 777);
    ASSERT_TRUE(l.integrated_lufs);
    EXPECT_NEAR(*l.integrated_lufs - *base.integrated_lufs, step, 0.05) << step;
    EXPECT_NEAR(l.true_peak_dbtp - base.true_peak_dbtp, step, 0.05) << step;
  }
}

TEST(Loudness, SilenceHasNoLoudnessAndNoGain) {
  Pcm silent = sine(1000, 0.0, 5.0);
  Loudness l = measure(silent);
  EXPECT_FALSE(l.integrated_lufs);
  EXPECT_EQ(l.true_peak_dbtp, -200);
  EXPECT_EQ(l.histogram.blocks(), 0);
  EXPECT_EQ(normalization_gain_db(l.integrated_lufs, l.true_peak_dbtp), 0);
}

TEST(Loudness, HistogramAgreesWithLibebur128AndGatesQuietParts) {
  // Loud and quiet halves: the relative gate drops the quiet half (30 LU down).
  Pcm loud = render_demo_tune(3, 15.0);
  Pcm both = loud;
  Pcm quiet = scaled(render_demo_tune(4, 15.0), -30);
  both.samples.insert(both.samples.end(), quiet.samples.begin(), quiet.samples.end());
  Loudness l = measure(both);
  ASSERT_TRUE(l.integrated_lufs);
  auto from_hist = l.histogram.integrated_lufs();
  ASSERT_TRUE(from_hist);
  EXPECT_NEAR(*from_hist, *l.integrated_lufs, 0.1);
  EXPECT_NEAR(*l.integrated_lufs, *measure(loud).integrated_lufs, 0.3);
  // At most one block per 100 ms after the first 400 ms; the tunes' rests fall below -70.
  EXPECT_LE(l.histogram.blocks(), 30 * 10 - 3);
  EXPECT_GT(l.histogram.blocks(), 250);
  // A steady tone: exactly one block per 100 ms after the first 400 ms.
  EXPECT_EQ(measure(sine(500, 0.1, 10.0)).histogram.blocks(), 10 * 10 - 3);
}

TEST(Loudness, AlbumLoudnessFromHistogramsEqualsMeasuringTheWholeAlbum) {
  Pcm a = render_demo_tune(11, 20.0);
  Pcm b = scaled(render_demo_tune(12, 12.0), -7);
  Pcm c = scaled(sine(440, 0.3, 8.0, 44100), 0);
  Pcm album = a;
  album.samples.insert(album.samples.end(), b.samples.begin(), b.samples.end());
  Pcm c44 = c;  // same rate as the tunes (44.1 kHz)
  album.samples.insert(album.samples.end(), c44.samples.begin(), c44.samples.end());
  LoudnessHistogram merged;
  for (const Pcm* p : {&a, &b, &c44}) merged.merge(measure(*p).histogram);
  auto whole = measure(album).integrated_lufs;
  ASSERT_TRUE(whole);
  ASSERT_TRUE(merged.integrated_lufs());
  // Blocks straddling track boundaries differ; everything else is the same audio.
  EXPECT_NEAR(*merged.integrated_lufs(), *whole, 0.15);
}

TEST(Loudness, HistogramEncodingRoundTripsAndRejectsGarbage) {
  Loudness l = measure(render_demo_tune(5, 10.0));
  std::string bytes = l.histogram.encode();
  EXPECT_LT(bytes.size(), 6u * 300);
  auto back = LoudnessHistogram::decode(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->counts, l.histogram.counts);
  EXPECT_FALSE(LoudnessHistogram::decode("abc").ok());
  EXPECT_FALSE(LoudnessHistogram::decode(std::string("\xff\xff\x01\x00\x00\x00", 6)).ok());
  EXPECT_TRUE(LoudnessHistogram::decode("")->counts.empty());
}

TEST(Loudness, NormalizationGainReachesTheTargetWithoutClipping) {
  EXPECT_NEAR(normalization_gain_db(-8.0, -0.1), -6.0, 1e-9);    // loud master: turned down
  EXPECT_NEAR(normalization_gain_db(-20.0, -10.0), 6.0, 1e-9);   // quiet, room to spare
  EXPECT_NEAR(normalization_gain_db(-20.0, -3.0), 2.0, 1e-9);    // capped at -1 dBTP
  EXPECT_NEAR(normalization_gain_db(-20.0, 0.5), 0.0, 1e-9);     // already peaking: no boost
  EXPECT_FALSE(LoudnessMeter::create(1000, 2).ok());
}

}  // namespace
}  // namespace segue::audio
