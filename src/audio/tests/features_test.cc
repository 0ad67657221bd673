#include "audio/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "audio/tests/test_signals.h"

namespace segue::audio {
namespace {

using testing::DrumSpec;
using testing::Signal;

constexpr double kTempi[] = {60, 68, 76, 85, 92, 100, 108, 116, 124, 132, 140, 150, 160, 170, 185, 200};

AudioAnalysis analyze(const Signal& s) {
  auto r = analyze_pcm(s.samples.data(), s.samples.size(), s.sample_rate);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : AudioAnalysis{};
}

bool within(double got, double want, double tolerance) {
  return std::abs(got - want) <= tolerance * want;
}

// Within 4 % of the tempo, half, double (or, with `triple`, a third or three times) of it.
bool within_octave(double got, double want, bool triple = false) {
  for (double f : {1.0, 0.5, 2.0})
    if (within(got, want * f, 0.04)) return true;
  if (triple)
    for (double f : {1.0 / 3, 3.0})
      if (within(got, want * f, 0.04)) return true;
  return false;
}

// Mean distance from each true beat to the nearest detected beat, over the true beats that
// have one within 100 ms; `matched` is their share.
double beat_error(const Signal& s, const AudioAnalysis& a, double* matched) {
  double sum = 0;
  int count = 0;
  for (double t : s.beats) {
    double best = 1e9;
    for (const TimeInterval& b : a.beats) best = std::min(best, std::abs(b.start - t));
    if (best < 0.1) {
      sum += best;
      ++count;
    }
  }
  *matched = s.beats.empty() ? 0 : static_cast<double>(count) / s.beats.size();
  return count > 0 ? sum / count : 1e9;
}

Signal concat(const Signal& a, const Signal& b) {
  Signal out = a;
  out.samples.insert(out.samples.end(), b.samples.begin(), b.samples.end());
  return out;
}

void expect_finite_and_in_range(const AudioAnalysis& a) {
  for (double v : {a.tempo_confidence, a.time_signature_confidence, a.key_confidence,
                   a.mode_confidence, a.energy, a.danceability, a.valence, a.acousticness,
                   a.instrumentalness, a.speechiness, a.liveness}) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  EXPECT_TRUE(std::isfinite(a.tempo));
  EXPECT_TRUE(std::isfinite(a.loudness));
  EXPECT_GE(a.loudness, -60.0);
  EXPECT_LE(a.loudness, 0.0);
  EXPECT_GE(a.key, -1);
  EXPECT_LE(a.key, 11);
  EXPECT_GE(a.time_signature, 3);
  EXPECT_LE(a.time_signature, 7);
  for (const auto* list : {&a.beats, &a.bars, &a.tatums})
    for (const TimeInterval& t : *list) {
      EXPECT_TRUE(std::isfinite(t.start) && std::isfinite(t.duration));
      EXPECT_GE(t.confidence, 0.0);
      EXPECT_LE(t.confidence, 1.0);
    }
  for (const Segment& s : a.segments) {
    for (double v : {s.start, s.duration, s.confidence, s.loudness_start, s.loudness_max,
                     s.loudness_max_time, s.loudness_end})
      EXPECT_TRUE(std::isfinite(v));
    for (float v : s.pitches) EXPECT_TRUE(v >= 0 && v <= 1);
    for (float v : s.timbre) EXPECT_TRUE(std::isfinite(v));
  }
  for (const Section& s : a.sections)
    for (double v : {s.start, s.duration, s.loudness, s.tempo, s.confidence}) EXPECT_TRUE(std::isfinite(v));
}

TEST(FeaturesTest, RejectsEmptyInputAndLowSampleRates) {
  std::vector<float> x(1000, 0.0f);
  EXPECT_EQ(analyze_pcm(x.data(), 0, 22050).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(analyze_pcm(nullptr, 10, 22050).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(analyze_pcm(x.data(), x.size(), 7999).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(analyze_pcm(x.data(), x.size(), 8000).ok());
}

TEST(FeaturesTest, ClickTracksGiveTheirTempoWithinFourPercent) {
  for (double bpm : kTempi) {
    const AudioAnalysis a = analyze(testing::click_track(bpm, 25));
    EXPECT_TRUE(within(a.tempo, bpm, 0.04)) << bpm << " BPM clicks gave " << a.tempo;
    EXPECT_GT(a.tempo_confidence, 0.5) << bpm;
  }
}

TEST(FeaturesTest, DrumPatternsGiveTheirTempoWithinFourPercent) {
  // Straight eighths, swung eighths and a waltz at every tempo from 60 to 200 BPM.
  int wrong = 0;
  for (double bpm : kTempi) {
    for (int variant = 0; variant < 3; ++variant) {
      DrumSpec d;
      d.bpm = bpm;
      d.seed = static_cast<uint32_t>(bpm) + variant;
      if (variant == 1) d.swing = 1;
      if (variant == 2) d.beats_per_bar = 3;
      const AudioAnalysis a = analyze(testing::drum_pattern(d, 25));
      EXPECT_TRUE(within_octave(a.tempo, bpm, variant == 2)) << bpm << " BPM variant " << variant << ": " << a.tempo;
      if (!within(a.tempo, bpm, 0.04)) {
        ++wrong;
        ADD_FAILURE() << bpm << " BPM variant " << variant << " gave " << a.tempo;
      }
    }
  }
  EXPECT_EQ(wrong, 0);
}

TEST(FeaturesTest, SyncopatedDrumsGiveTheirTempoUpToAnOctave) {
  // Kicks on the off-beats and hats on every sixteenth make the metrical level ambiguous (the
  // eighths are about as periodic as the quarters); the tempo must still be a multiple of two.
  for (double bpm : kTempi) {
    DrumSpec d;
    d.bpm = bpm;
    d.syncopated = true;
    d.hat_division = bpm <= 120 ? 4 : 2;
    d.jitter_ms = 5;
    const AudioAnalysis a = analyze(testing::drum_pattern(d, 25));
    EXPECT_TRUE(within_octave(a.tempo, bpm)) << bpm << " gave " << a.tempo;
  }
}

// The octave choice (issue 18): pieces between 118 and 170 BPM, where a tracker is tempted by
// half the tempo, and a slow ballad whose sixteenth hats tempt it to double.
TEST(FeaturesTest, UpbeatPiecesAreNotHalved) {
  for (double bpm : {128.0, 140.0, 160.0}) {
    DrumSpec rock;
    rock.bpm = bpm;
    rock.seed = 7;
    const Signal rock_mix = testing::mix(
        testing::mix(testing::drum_pattern(rock, 25), testing::bass_line(9, true, bpm, 25, 22050, 7, 1)),
        testing::chord_progression(9, true, 25, 22050, 4 * 60 / bpm, 0.3));
    const double rock_tempo = analyze(rock_mix).tempo;
    EXPECT_TRUE(within(rock_tempo, bpm, 0.04)) << bpm << " BPM rock gave " << rock_tempo;

    // Kicks on the "and" of 2 and 4 and none on 3: as periodic at half the tempo as at the tempo.
    DrumSpec sync = rock;
    sync.syncopated = true;
    sync.seed = 11;
    const double sync_tempo =
        analyze(testing::mix(testing::drum_pattern(sync, 25), testing::bass_line(2, false, bpm, 25, 22050, 11, 2)))
            .tempo;
    EXPECT_TRUE(within(sync_tempo, bpm, 0.04)) << bpm << " BPM syncopated gave " << sync_tempo;

    DrumSpec dance = rock;
    dance.groove = testing::Groove::kFourOnFloor;
    dance.open_hats = true;
    dance.seed = 13;
    const double dance_tempo =
        analyze(testing::mix(testing::drum_pattern(dance, 25), testing::bass_line(5, true, bpm, 25, 22050, 13, 1, true)))
            .tempo;
    EXPECT_TRUE(within(dance_tempo, bpm, 0.04)) << bpm << " BPM four-on-the-floor gave " << dance_tempo;
  }
}

TEST(FeaturesTest, SlowBalladsWithSixteenthHatsAreNotDoubled) {
  for (double bpm : {64.0, 70.0, 78.0}) {
    DrumSpec d;
    d.bpm = bpm;
    d.hat_division = 4;
    d.hat_gain = 1.4;
    d.jitter_ms = 4;
    d.seed = static_cast<uint32_t>(bpm);
    const Signal ballad = testing::mix(
        testing::mix(testing::drum_pattern(d, 25), testing::chord_progression(0, true, 25, 22050, 4 * 60 / bpm, 0.5)),
        testing::melody(0, true, bpm, 25, 22050, d.seed, 0.2));
    const double tempo = analyze(ballad).tempo;
    EXPECT_TRUE(within(tempo, bpm, 0.04)) << bpm << " BPM ballad gave " << tempo;
  }
}

TEST(FeaturesTest, WaltzesAreNotTrackedInDottedQuarters) {
  // At 110-140 BPM in 3/4, a beat every 1.5 beats is periodic too (every bar has two of them).
  for (double bpm : {115.8, 131.4, 139.2}) {
    DrumSpec d;
    d.bpm = bpm;
    d.beats_per_bar = 3;
    d.seed = 1000 + static_cast<uint32_t>(bpm);
    const Signal waltz = testing::mix(testing::drum_pattern(d, 25),
                                      testing::chord_progression(4, true, 25, 22050, 3 * 60 / bpm * 2));
    const double tempo = analyze(waltz).tempo;
    EXPECT_TRUE(within(tempo, bpm, 0.04)) << bpm << " BPM waltz gave " << tempo;
  }
}

TEST(FeaturesTest, BeatsLandOnTheClicks) {
  for (double bpm : {64.0, 97.0, 128.0, 175.0}) {
    const Signal s = testing::click_track(bpm, 20);
    const AudioAnalysis a = analyze(s);
    double matched = 0;
    const double err = beat_error(s, a, &matched);
    EXPECT_LT(err, 0.030) << bpm;
    EXPECT_GT(matched, 0.9) << bpm;
    // No beat far from every click.
    for (const TimeInterval& b : a.beats) {
      double best = 1e9;
      for (double t : s.beats) best = std::min(best, std::abs(b.start - t));
      EXPECT_LT(best, 0.1) << bpm << " BPM: a beat at " << b.start;
    }
  }
}

TEST(FeaturesTest, BeatsLandOnTheDrumBeatsWithSwingAndAHumanDrummer) {
  for (double bpm : {82.0, 118.0, 146.0}) {
    DrumSpec d;
    d.bpm = bpm;
    d.swing = 0.7;
    d.jitter_ms = 8;
    const Signal s = testing::drum_pattern(d, 20);
    const AudioAnalysis a = analyze(s);
    double matched = 0;
    EXPECT_LT(beat_error(s, a, &matched), 0.030) << bpm;
    EXPECT_GT(matched, 0.9) << bpm;
  }
}

TEST(FeaturesTest, WaltzesAreInThreeAndRockPatternsInFour) {
  for (double bpm : {84.0, 120.0, 160.0}) {
    DrumSpec waltz;
    waltz.bpm = bpm;
    waltz.beats_per_bar = 3;
    const AudioAnalysis a = analyze(testing::drum_pattern(waltz, 25));
    EXPECT_EQ(a.time_signature, 3) << bpm;
    DrumSpec rock;
    rock.bpm = bpm;
    const AudioAnalysis b = analyze(testing::drum_pattern(rock, 25));
    EXPECT_EQ(b.time_signature, 4) << bpm;
  }
}

TEST(FeaturesTest, BarsStartOnTheDownbeat) {
  DrumSpec d;
  d.bpm = 110;
  const Signal s = testing::drum_pattern(d, 25);
  const AudioAnalysis a = analyze(s);
  ASSERT_GE(a.bars.size(), 8u);
  for (const TimeInterval& bar : a.bars) {
    double best = 1e9;
    for (std::size_t i = 0; i < s.beats.size(); i += 4) best = std::min(best, std::abs(bar.start - s.beats[i]));
    EXPECT_LT(best, 0.05) << "bar at " << bar.start;
  }
  // Tatums subdivide the beats.
  EXPECT_EQ(a.tatums.size(), 2 * a.beats.size());
}

TEST(FeaturesTest, ChordProgressionsGiveTheirKeyAndMode) {
  for (int key : {0, 2, 4, 5, 7, 9, 10, 11}) {
    for (bool major : {true, false}) {
      const AudioAnalysis a = analyze(testing::chord_progression(key, major, 24));
      EXPECT_EQ(a.key, key) << key << (major ? " major" : " minor");
      EXPECT_EQ(a.mode, major ? 1 : 0) << key << (major ? " major" : " minor");
      EXPECT_GT(a.key_confidence, 0.3);
    }
  }
}

TEST(FeaturesTest, KeySurvivesDrumsAndAMelody) {
  DrumSpec d;
  d.bpm = 124;
  const Signal music = testing::mix(testing::mix(testing::drum_pattern(d, 30), testing::chord_progression(7, false, 30)),
                                    testing::melody(7, false, 124, 30, 22050, 3));
  const AudioAnalysis a = analyze(music);
  EXPECT_EQ(a.key, 7);
  EXPECT_EQ(a.mode, 0);
  EXPECT_TRUE(within(a.tempo, 124, 0.04)) << a.tempo;
}

TEST(FeaturesTest, SilenceHasNoTempoNoKeyAndZeroFeatures) {
  const AudioAnalysis a = analyze(testing::silence(30));
  EXPECT_EQ(a.tempo, 0);
  EXPECT_EQ(a.key, -1);
  EXPECT_EQ(a.mode, -1);
  EXPECT_TRUE(a.beats.empty());
  EXPECT_TRUE(a.bars.empty());
  EXPECT_EQ(a.loudness, -60);
  for (double v : {a.energy, a.danceability, a.valence, a.acousticness, a.instrumentalness,
                   a.speechiness, a.liveness})
    EXPECT_EQ(v, 0.0);
  expect_finite_and_in_range(a);
}

TEST(FeaturesTest, NoiseAndDrumsHaveNoKey) {
  EXPECT_EQ(analyze(testing::white_noise(0.3, 20)).key, -1);
  DrumSpec d;
  EXPECT_EQ(analyze(testing::drum_pattern(d, 20)).key, -1);
}

TEST(FeaturesTest, SpeechLikeNoiseIsSpeechyAndMusicIsNot) {
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    const AudioAnalysis a = analyze(testing::speech_like(30, 22050, seed));
    EXPECT_GT(a.speechiness, 0.66) << seed;
    EXPECT_LT(a.instrumentalness, 0.5) << seed;
  }
  DrumSpec d;
  d.bpm = 100;
  const Signal music = testing::mix(testing::drum_pattern(d, 30), testing::chord_progression(2, true, 30));
  for (const Signal& s : {music, testing::drum_pattern(d, 30), testing::chord_progression(9, false, 30),
                          testing::sine(440, 0.3, 20)}) {
    const AudioAnalysis a = analyze(s);
    EXPECT_LT(a.speechiness, 0.33);
    EXPECT_GT(a.instrumentalness, 0.5);
  }
}

TEST(FeaturesTest, LoudDenseDrumsHaveMoreEnergyThanAQuietSine) {
  DrumSpec d;
  d.bpm = 140;
  d.hat_division = 4;
  d.gain = 1.4;
  const AudioAnalysis drums = analyze(testing::drum_pattern(d, 20));
  const AudioAnalysis sine = analyze(testing::sine(330, 0.05, 20));
  EXPECT_GT(drums.energy, sine.energy + 0.3);
  EXPECT_GT(drums.danceability, sine.danceability);
  EXPECT_GT(drums.loudness, sine.loudness + 10);
}

TEST(FeaturesTest, LoudnessIsTheMeanPowerInDecibels) {
  // A sine of amplitude 0.5 has mean power 0.125: -9.03 dBFS.
  EXPECT_NEAR(analyze(testing::sine(1000, 0.5, 10)).loudness, -9.03, 0.3);
  EXPECT_NEAR(analyze(testing::sine(1000, 0.05, 10)).loudness, -29.03, 0.3);
}

TEST(FeaturesTest, ASustainedToneHasOneDominantPitchAndFewSegments) {
  const AudioAnalysis a = analyze(testing::sine(440, 0.3, 10));  // A4
  EXPECT_EQ(a.tempo, 0);
  EXPECT_EQ(a.key, 9);
  ASSERT_FALSE(a.segments.empty());
  EXPECT_LE(a.segments.size(), 6u);  // cut every 2 s at most, no onsets inside
  for (const Segment& s : a.segments) {
    EXPECT_FLOAT_EQ(s.pitches[9], 1.0f);
    for (int i = 0; i < 12; ++i) {
      if (i == 9) continue;
      EXPECT_LT(s.pitches[i], 0.2f) << i;
    }
  }
}

TEST(FeaturesTest, SegmentsTileTheTrackAndStartAtOnsets) {
  const Signal s = testing::click_track(100, 12);
  const AudioAnalysis a = analyze(s);
  ASSERT_FALSE(a.segments.empty());
  double end = 0;
  for (const Segment& seg : a.segments) {
    EXPECT_NEAR(seg.start, end, 1e-6);
    end = seg.start + seg.duration;
    EXPECT_GE(seg.loudness_max, seg.loudness_start);
    EXPECT_GE(seg.loudness_max_time, 0);
    EXPECT_LE(seg.loudness_max_time, seg.duration);
  }
  EXPECT_NEAR(end, a.duration, 0.02);
  // Every click starts a segment (within 25 ms).
  for (double t : s.beats) {
    double best = 1e9;
    for (const Segment& seg : a.segments) best = std::min(best, std::abs(seg.start - t));
    EXPECT_LT(best, 0.025) << t;
  }
}

TEST(FeaturesTest, SectionsChangeWhereTheMusicChanges) {
  DrumSpec d;
  d.bpm = 120;
  const Signal first = testing::chord_progression(0, true, 30);
  const Signal second = testing::mix(testing::drum_pattern(d, 30), testing::melody(6, false, 120, 30));
  const AudioAnalysis a = analyze(concat(first, second));
  ASSERT_GE(a.sections.size(), 2u);
  double best = 1e9;
  for (const Section& s : a.sections) best = std::min(best, std::abs(s.start - 30));
  EXPECT_LT(best, 3.0);
  double end = 0;
  for (const Section& s : a.sections) {
    EXPECT_NEAR(s.start, end, 1e-6);
    end = s.start + s.duration;
  }
  EXPECT_NEAR(end, a.duration, 1e-6);
  EXPECT_EQ(a.sections.front().key, 0);
  EXPECT_EQ(a.sections.front().mode, 1);
  EXPECT_TRUE(within(a.sections.back().tempo, 120, 0.04)) << a.sections.back().tempo;
}

TEST(FeaturesTest, OtherSampleRatesGiveTheSameTempo) {
  for (int rate : {8000, 16000, 44100, 48000}) {
    const AudioAnalysis a = analyze(testing::click_track(123, 20, rate));
    EXPECT_EQ(a.sample_rate, rate);
    EXPECT_TRUE(within(a.tempo, 123, 0.04)) << rate << ": " << a.tempo;
  }
}

TEST(FeaturesTest, HostileAndTinyInputsGiveFiniteValues) {
  std::vector<float> x = testing::white_noise(0.5, 5).samples;
  x[10] = std::numeric_limits<float>::quiet_NaN();
  x[20] = std::numeric_limits<float>::infinity();
  x[30] = 7.0f;
  auto r = analyze_pcm(x.data(), x.size(), 22050);
  ASSERT_TRUE(r.ok());
  expect_finite_and_in_range(*r);
  for (std::size_t n : {1u, 2u, 100u, 3000u}) {
    auto t = analyze_pcm(x.data() + 40, n, 22050);
    ASSERT_TRUE(t.ok()) << n;
    expect_finite_and_in_range(*t);
    EXPECT_EQ(t->tempo, 0) << n;
  }
  DrumSpec d;
  expect_finite_and_in_range(analyze(testing::drum_pattern(d, 20)));
  expect_finite_and_in_range(analyze(testing::speech_like(20)));
}

bool same(const AudioAnalysis& a, const AudioAnalysis& b) {
  auto iv = [](const std::vector<TimeInterval>& x, const std::vector<TimeInterval>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].start != y[i].start || x[i].duration != y[i].duration || x[i].confidence != y[i].confidence) return false;
    return true;
  };
  if (a.segments.size() != b.segments.size() || a.sections.size() != b.sections.size()) return false;
  static_assert(sizeof(Segment) == 7 * sizeof(double) + 24 * sizeof(float), "no padding to compare");
  for (std::size_t i = 0; i < a.segments.size(); ++i)
    if (std::memcmp(&a.segments[i], &b.segments[i], sizeof(Segment)) != 0) return false;
  for (std::size_t i = 0; i < a.sections.size(); ++i) {
    const Section& x = a.sections[i];
    const Section& y = b.sections[i];
    if (x.start != y.start || x.duration != y.duration || x.confidence != y.confidence ||
        x.loudness != y.loudness || x.tempo != y.tempo || x.key != y.key || x.mode != y.mode ||
        x.key_confidence != y.key_confidence || x.time_signature != y.time_signature)
      return false;
  }
  return a.tempo == b.tempo && a.key == b.key && a.mode == b.mode && a.energy == b.energy &&
         a.danceability == b.danceability && a.valence == b.valence && a.speechiness == b.speechiness &&
         a.acousticness == b.acousticness && a.liveness == b.liveness && a.loudness == b.loudness &&
         a.tempo_confidence == b.tempo_confidence && a.key_confidence == b.key_confidence &&
         iv(a.beats, b.beats) && iv(a.bars, b.bars) && iv(a.tatums, b.tatums);
}

TEST(FeaturesTest, IsDeterministicAcrossRunsAndThreads) {
  DrumSpec d;
  d.bpm = 133;
  d.swing = 0.5;
  const Signal s = testing::mix(testing::drum_pattern(d, 20), testing::chord_progression(4, true, 20));
  const AudioAnalysis first = analyze(s);
  EXPECT_TRUE(same(first, analyze(s)));
  std::vector<AudioAnalysis> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&, i] { results[i] = analyze(s); });
  for (auto& t : threads) t.join();
  for (const AudioAnalysis& r : results) EXPECT_TRUE(same(first, r));
}

}  // namespace
}  // namespace segue::audio
