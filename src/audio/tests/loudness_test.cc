#include "audio/loudness.h"

#include <ebur128.h>
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

namespace segue::audio {
namespace {

double libebur128_true_peak(const Pcm& p) {
  ebur128_state* s = ebur128_init(static_cast<unsigned>(p.channels), static_cast<unsigned long>(p.sample_rate), EBUR128_MODE_TRUE_PEAK);
  ebur128_add_frames_float(s, p.samples.data(), static_cast<std::size_t>(p.frames()));
  double peak = 0;
  for (int c = 0; c < p.channels; ++c) {
    double v = 0;
    ebur128_true_peak(s, static_cast<unsigned>(c), &v);
    peak = std::max(peak, v);
  }
  ebur128_destroy(&s);
  return 20 * std::log10(peak);
}

// The sparse true-peak meter agrees with libebur128's full 4x oversampling on music and on a
// sine at a quarter of the sample rate sampled 45 degrees off its crests (an intersample peak
// 3 dB over every sample), and errs on the high side for full-band noise.
TEST(Loudness, TruePeakMatchesFullOversampling) {
  std::vector<Pcm> signals;
  signals.push_back(render_demo_tune(9, 20.0));
  Pcm quarter;
  quarter.sample_rate = 48000;
  quarter.channels = 1;
  for (int i = 0; i < 48000; ++i) quarter.samples.push_back(static_cast<float>(0.5 * std::sin(M_PI / 2 * i + M_PI / 4)));
  signals.push_back(quarter);
  Pcm noise;
  noise.sample_rate = 44100;
  noise.channels = 2;
  uint32_t x = 12345;
  for (int i = 0; i < 2 * 44100 * 5; ++i) {
    x = x * 1664525u + 1013904223u;
    noise.samples.push_back(static_cast<float>((x >> 8) / double(1 << 24) - 0.5) * 0.8f);
  }
  signals.push_back(noise);
  for (std::size_t i = 0; i < signals.size(); ++i) {
    const Pcm& p = signals[i];
    Loudness l = measure(p, 1234);
    double sample_peak = 0;
    for (float s : p.samples) sample_peak = std::max(sample_peak, double(std::fabs(s)));
    EXPECT_GE(l.true_peak_dbtp, 20 * std::log10(sample_peak) - 1e-6);
    const double reference = libebur128_true_peak(p);
    if (i < 2) {
      EXPECT_NEAR(l.true_peak_dbtp, reference, 0.25) << i;
    } else {
      // Full-band noise: our interpolator passes up to Nyquist where libebur128's rolls off,
      // so it reads higher, never lower (a higher peak only means less boost).
      EXPECT_GE(l.true_peak_dbtp, reference - 0.1);
      EXPECT_LE(l.true_peak_dbtp, reference + 1.0);
    }
  }
  // The quarter-rate sine: every sample is at 0.5 * sin(45 deg), the true peak is 0.5.
  EXPECT_NEAR(measure(signals[1]).true_peak_dbtp, 20 * std::log10(0.5), 0.2);
}

}  // namespace
}  // namespace segue::audio
