// Synthetic signals with known tempo, beats, meter and key, for the analysis tests and the
// audio benchmark (bench/audio): click tracks, drum patterns, chord progressions, speech-like
// noise. Deterministic: the same arguments give the same samples.
#pragma once

#include <cstdint>
#include <vector>

namespace segue::audio::testing {

struct Signal {
  int sample_rate = 22050;
  std::vector<float> samples;  // mono, [-1, 1]
  std::vector<double> beats;   // seconds of every beat (empty when there is none)
  double bpm = 0;
  int beats_per_bar = 4;
};

// A metronome: a 20 ms decaying 1.5 kHz blip on every beat, from `offset_s`, the first of each
// bar higher (2.5 kHz) and louder when `accent`.
Signal click_track(double bpm, double seconds, int sample_rate = 22050, int beats_per_bar = 4,
                   bool accent = true, double offset_s = 0.25);

// Bar patterns in 4/4 (beats_per_bar 3 is always the waltz: kick 1, snare 2 and 3).
enum class Groove {
  kRock,        // kick 1 and 3, snare 2 and 4 (with `syncopated`: kicks on the "and" of 2 and 4, none on 3)
  kFourOnFloor, // dance: kick on every beat, a clap-like snare on 2 and 4
  kBreakbeat,   // kick 1 and the "and" of 3 (and the last sixteenth of 2), snare 2 and 4
};

struct DrumSpec {
  double bpm = 120;
  int beats_per_bar = 4;  // 4: kick 1 and 3, snare 2 and 4; 3: kick 1, snare 2 and 3 (waltz)
  int hat_division = 2;   // hi-hats per beat: 1, 2 (eighths), 4 (sixteenths), 0 none
  double swing = 0;       // 0 straight .. 1: the off-beat eighth moves from 1/2 to 2/3 of the beat
  bool syncopated = false;  // extra kicks on the "and" of beats 2 and 4, a skipped kick on 3
  double gain = 1;
  double jitter_ms = 0;     // random timing error of each hit (a human drummer)
  uint32_t seed = 1;
  Groove groove = Groove::kRock;
  bool open_hats = false;   // an open hi-hat (longer, louder) on every off-beat eighth
  double kick_hz = 50;      // the kick's end pitch (its sweep starts 90 Hz above)
  double hat_gain = 1;      // hi-hat level relative to the default mix
};

// Kick (falling sine with a click), snare (noise burst and a 190 Hz tone), hi-hat (short
// high-passed noise) on a bar pattern, from 0.25 s.
Signal drum_pattern(const DrumSpec& spec, double seconds, int sample_rate = 22050);

// A chord progression in `key` (pitch class, 0 = C) and mode (major: I-IV-V-I, minor: i-iv-V-i
// with the harmonic minor's major V), one chord per `seconds_per_chord`, as triads of notes with
// three partials plus the root an octave below, repeated for `seconds`.
Signal chord_progression(int key, bool major, double seconds, int sample_rate = 22050,
                         double seconds_per_chord = 2.0, double gain = 0.5);

// A melody of eighth notes on the scale of `key`/`major`, at `bpm`, from a seeded walk.
Signal melody(int key, bool major, double bpm, double seconds, int sample_rate = 22050,
              uint32_t seed = 1, double gain = 0.25);

// A bass line on the chord roots of `key`/`major` (I-IV-V-I, one chord per bar of
// `beats_per_bar` beats), `notes_per_beat` plucked notes per beat (1 or 2), from 0.25 s; with
// `offbeat`, one note on the "and" of each beat instead (house bass). Root, octave or fifth
// chosen by a seeded draw.
Signal bass_line(int key, bool major, double bpm, double seconds, int sample_rate = 22050,
                 uint32_t seed = 1, int notes_per_beat = 2, bool offbeat = false, double gain = 0.35,
                 int beats_per_bar = 4);

// Whisper-like speech: white noise through three formant resonators whose frequencies change
// per syllable, syllables of 120-320 ms (about 4 per second) with a rising-falling envelope,
// and pauses of 0.2-0.8 s every 2 to 7 syllables.
Signal speech_like(double seconds, int sample_rate = 22050, uint32_t seed = 1, double gain = 0.5);

Signal sine(double hz, double amplitude, double seconds, int sample_rate = 22050);
Signal silence(double seconds, int sample_rate = 22050);
Signal white_noise(double amplitude, double seconds, int sample_rate = 22050, uint32_t seed = 1);

// Sum of two signals at the first one's rate (the shorter is padded with silence); beats and
// tempo are taken from whichever has beats, `a` first.
Signal mix(const Signal& a, const Signal& b, double gain_b = 1.0);

}  // namespace segue::audio::testing
