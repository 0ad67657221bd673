// Music analysis computed from PCM: Spotify's audio features (tempo, key, mode, energy,
// danceability, ...) and audio analysis (beats, bars, tatums, sections, segments), in their
// shapes and ranges. The definitions are Segue's own; docs/audio-features.md says what each
// value measures, how it is computed and where it fails.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "common/result.h"

namespace segue::audio {

// The analyzer's version: stored with each analysis so results from an older definition can be
// recomputed.
inline constexpr const char* kAnalyzerVersion = "segue-analysis-2";

// A beat, bar or tatum: seconds from the start of the track.
struct TimeInterval {
  double start = 0;
  double duration = 0;
  double confidence = 0;  // 0..1
};

// A stretch of the track with its own loudness, tempo, key and meter (verse, chorus, ...).
struct Section {
  double start = 0;
  double duration = 0;
  double confidence = 0;  // 0..1: how clearly the section differs from the one before
  double loudness = -60;  // dBFS, mean power over the section
  double tempo = 0;       // BPM, 0 without a beat
  double tempo_confidence = 0;
  int key = -1;           // pitch class 0 (C) .. 11 (B), -1 undetectable
  double key_confidence = 0;
  int mode = -1;          // 1 major, 0 minor, -1 undetectable
  double mode_confidence = 0;
  int time_signature = 4;  // beats per bar, 3..7
  double time_signature_confidence = 0;
};

// A short, roughly uniform sound, from one onset to the next.
struct Segment {
  double start = 0;
  double duration = 0;
  double confidence = 0;          // 0..1: strength of the onset that starts it
  double loudness_start = -60;    // dBFS at the start
  double loudness_max = -60;      // dBFS at the loudest point
  double loudness_max_time = 0;   // seconds from `start` to the loudest point
  double loudness_end = -60;      // dBFS at the end (the next segment's loudness_start)
  std::array<float, 12> pitches{};  // chroma C..B, the strongest class is 1 (all 0 in silence)
  std::array<float, 12> timbre{};   // cepstral coefficients of the mel spectrum, see the docs
};

struct AudioAnalysis {
  int sample_rate = 0;
  std::size_t num_samples = 0;
  double duration = 0;           // seconds
  double end_of_fade_in = 0;     // seconds; 0 without a fade-in
  double start_of_fade_out = 0;  // seconds; `duration` without a fade-out

  double loudness = -60;  // dBFS, mean power of the non-silent part, floored at -60
  double tempo = 0;       // BPM, 0 when there is no beat (silence)
  double tempo_confidence = 0;
  int time_signature = 4;  // 3..7 (practically 3 or 4)
  double time_signature_confidence = 0;
  int key = -1;   // pitch class 0 (C) .. 11 (B), -1 undetectable (silence, noise)
  double key_confidence = 0;
  int mode = -1;  // 1 major, 0 minor, -1 with key -1
  double mode_confidence = 0;

  // Descriptive features, all 0..1 and 0 for silence; see docs/audio-features.md.
  double energy = 0;
  double danceability = 0;
  double valence = 0;
  double acousticness = 0;
  double instrumentalness = 0;
  double speechiness = 0;
  double liveness = 0;

  std::vector<TimeInterval> bars;
  std::vector<TimeInterval> beats;
  std::vector<TimeInterval> tatums;
  std::vector<Section> sections;
  std::vector<Segment> segments;
};

// Analyzes `n` mono samples in [-1, 1] at `sample_rate` Hz (22050 Hz is the intended rate; any
// rate from 8000 Hz works, frame sizes follow the rate). The caller owns `mono`, which is only
// read. Error::invalid if `n` is 0, `mono` is null or the rate is below 8000 Hz. Silence gives
// tempo 0, key -1, features 0 and no beats; no output value is NaN or infinite.
// Pure and deterministic (the same input gives bit-identical output); CPU-bound, any number of
// threads may call it at once.
Result<AudioAnalysis> analyze_pcm(const float* mono, std::size_t n, int sample_rate);

}  // namespace segue::audio
