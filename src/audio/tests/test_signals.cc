#include "audio/tests/test_signals.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace segue::audio::testing {
namespace {

constexpr double kTwoPi = 2 * std::numbers::pi;

struct Rng {
  uint64_t s;
  explicit Rng(uint32_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  double uniform() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }  // [0,1)
  double noise() { return 2 * uniform() - 1; }
};

void add_at(std::vector<float>& out, std::size_t at, const std::vector<float>& sound, double gain) {
  for (std::size_t i = 0; i < sound.size() && at + i < out.size(); ++i)
    out[at + i] += static_cast<float>(gain * sound[i]);
}

void clamp_all(std::vector<float>& v) {
  for (float& x : v) x = std::clamp(x, -1.0f, 1.0f);
}

std::vector<float> blip(double hz, int rate) {
  const int len = rate / 50;
  std::vector<float> s(static_cast<std::size_t>(len));
  for (int i = 0; i < len; ++i) {
    const double t = static_cast<double>(i) / rate;
    s[i] = static_cast<float>(std::sin(kTwoPi * hz * t) * std::exp(-t / 0.005));
  }
  return s;
}

std::vector<float> kick(int rate, Rng& rng, double base_hz = 50) {
  const int len = static_cast<int>(0.3 * rate);
  std::vector<float> s(static_cast<std::size_t>(len));
  double phase = 0;
  for (int i = 0; i < len; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double hz = base_hz + 90 * std::exp(-t / 0.03);
    phase += kTwoPi * hz / rate;
    const double click = i < rate / 500 ? 0.5 * rng.noise() : 0.0;
    s[i] = static_cast<float>(std::sin(phase) * std::exp(-t / 0.12) + click);
  }
  return s;
}

std::vector<float> snare(int rate, Rng& rng) {
  const int len = static_cast<int>(0.2 * rate);
  std::vector<float> s(static_cast<std::size_t>(len));
  double lp = 0;
  for (int i = 0; i < len; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double n = rng.noise();
    lp += 0.5 * (n - lp);  // a gentle low-pass takes the hiss off the top
    s[i] = static_cast<float>(0.7 * lp * std::exp(-t / 0.05) +
                              0.4 * std::sin(kTwoPi * 190 * t) * std::exp(-t / 0.04));
  }
  return s;
}

std::vector<float> hat(int rate, Rng& rng, double decay_s = 0.015) {
  const int len = static_cast<int>(std::max(0.06, 4 * decay_s) * rate);
  std::vector<float> s(static_cast<std::size_t>(len));
  double prev = 0;
  for (int i = 0; i < len; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double n = rng.noise();
    s[i] = static_cast<float>((n - prev) * 0.5 * std::exp(-t / decay_s));  // first difference: high-pass
    prev = n;
  }
  return s;
}

double midi_hz(double midi) { return 440.0 * std::pow(2.0, (midi - 69) / 12.0); }

// A note with three partials, a 10 ms attack and an exponential decay to a sustain.
void add_note(std::vector<float>& out, int rate, double start_s, double length_s, double hz, double gain) {
  const auto first = static_cast<std::size_t>(start_s * rate);
  const auto count = static_cast<std::size_t>(length_s * rate);
  const double release = std::min(0.05, length_s / 4);
  for (std::size_t i = 0; i < count && first + i < out.size(); ++i) {
    const double t = static_cast<double>(i) / rate;
    double env = std::min(1.0, t / 0.01) * (0.6 + 0.4 * std::exp(-t / 0.3));
    if (t > length_s - release) env *= std::max(0.0, (length_s - t) / release);
    const double v = std::sin(kTwoPi * hz * t) + 0.4 * std::sin(kTwoPi * 2 * hz * t) +
                     0.2 * std::sin(kTwoPi * 3 * hz * t);
    out[first + i] += static_cast<float>(gain * env * v);
  }
}

}  // namespace

Signal click_track(double bpm, double seconds, int sample_rate, int beats_per_bar, bool accent,
                   double offset_s) {
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.bpm = bpm;
  sig.beats_per_bar = beats_per_bar;
  sig.samples.assign(static_cast<std::size_t>(seconds * sample_rate), 0.0f);
  const std::vector<float> normal = blip(1500, sample_rate), high = blip(2500, sample_rate);
  const double period = 60.0 / bpm;
  for (int i = 0; offset_s + i * period < seconds - 0.05; ++i) {
    const double t = offset_s + i * period;
    const bool down = accent && i % beats_per_bar == 0;
    add_at(sig.samples, static_cast<std::size_t>(std::lround(t * sample_rate)), down ? high : normal,
           down ? 0.9 : 0.6);
    sig.beats.push_back(t);
  }
  return sig;
}

Signal drum_pattern(const DrumSpec& spec, double seconds, int sample_rate) {
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.bpm = spec.bpm;
  sig.beats_per_bar = spec.beats_per_bar;
  sig.samples.assign(static_cast<std::size_t>(seconds * sample_rate), 0.0f);
  Rng rng(spec.seed);
  const double period = 60.0 / spec.bpm;
  const double start = 0.25;
  auto hit = [&](const std::vector<float>& sound, double t, double gain) {
    const double jitter = spec.jitter_ms > 0 ? rng.noise() * spec.jitter_ms / 1000 : 0.0;
    const double at = std::max(0.0, t + jitter);
    add_at(sig.samples, static_cast<std::size_t>(std::lround(at * sample_rate)), sound, gain * spec.gain);
  };
  for (int i = 0; start + i * period < seconds - 0.1; ++i) {
    const double t = start + i * period;
    sig.beats.push_back(t);
    const int pos = i % spec.beats_per_bar;
    if (spec.beats_per_bar == 3) {
      if (pos == 0) hit(kick(sample_rate, rng, spec.kick_hz), t, 0.8);
      else hit(snare(sample_rate, rng), t, 0.35);
    } else if (spec.groove == Groove::kFourOnFloor) {
      hit(kick(sample_rate, rng, spec.kick_hz), t, 0.8);
      if (pos % 2 == 1) hit(snare(sample_rate, rng), t, 0.5);
    } else if (spec.groove == Groove::kBreakbeat) {
      if (pos == 0) hit(kick(sample_rate, rng, spec.kick_hz), t, 0.8);
      if (pos == 1) hit(kick(sample_rate, rng, spec.kick_hz), t + 0.75 * period, 0.6);
      if (pos == 2) hit(kick(sample_rate, rng, spec.kick_hz), t + 0.5 * period, 0.7);
      if (pos % 2 == 1) hit(snare(sample_rate, rng), t, 0.6);
    } else {
      const bool kick_here = pos == 0 || (pos == 2 && !spec.syncopated);
      if (kick_here) hit(kick(sample_rate, rng, spec.kick_hz), t, 0.8);
      if (pos % 2 == 1) hit(snare(sample_rate, rng), t, 0.6);
      if (spec.syncopated && pos % 2 == 1) hit(kick(sample_rate, rng, spec.kick_hz), t + 0.5 * period, 0.7);
    }
    for (int h = 0; h < spec.hat_division; ++h) {
      double frac = static_cast<double>(h) / spec.hat_division;
      if (spec.hat_division == 2 && h == 1) frac = 0.5 + spec.swing / 6;
      const double accent = h == 0 ? 0.3 : 0.2;
      hit(hat(sample_rate, rng), t + frac * period, accent * spec.hat_gain);
    }
    if (spec.open_hats) hit(hat(sample_rate, rng, 0.06), t + (0.5 + spec.swing / 6) * period, 0.3 * spec.hat_gain);
  }
  clamp_all(sig.samples);
  return sig;
}

Signal chord_progression(int key, bool major, double seconds, int sample_rate,
                         double seconds_per_chord, double gain) {
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.samples.assign(static_cast<std::size_t>(seconds * sample_rate), 0.0f);
  // Semitones above the tonic of each chord's root, third and fifth.
  static constexpr int kMajor[4][3] = {{0, 4, 7}, {5, 9, 12}, {7, 11, 14}, {0, 4, 7}};
  static constexpr int kMinor[4][3] = {{0, 3, 7}, {5, 8, 12}, {7, 11, 14}, {0, 3, 7}};
  const auto& chords = major ? kMajor : kMinor;
  const double tonic = 48 + key;  // C3 + key: chords between about 130 and 500 Hz, bass from 65 Hz
  for (int c = 0; c * seconds_per_chord < seconds; ++c) {
    const int* chord = chords[c % 4];
    const double at = c * seconds_per_chord;
    const double len = std::min(seconds_per_chord, seconds - at);
    for (int k = 0; k < 3; ++k) add_note(sig.samples, sample_rate, at, len, midi_hz(tonic + chord[k]), gain / 3);
    add_note(sig.samples, sample_rate, at, len, midi_hz(tonic + chord[0] - 12), gain / 3);
  }
  clamp_all(sig.samples);
  return sig;
}

Signal melody(int key, bool major, double bpm, double seconds, int sample_rate, uint32_t seed,
              double gain) {
  static constexpr int kMajor[] = {0, 2, 4, 5, 7, 9, 11};
  static constexpr int kMinor[] = {0, 2, 3, 5, 7, 8, 11};
  const int* scale = major ? kMajor : kMinor;
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.samples.assign(static_cast<std::size_t>(seconds * sample_rate), 0.0f);
  Rng rng(seed);
  const double step = 30.0 / bpm;  // eighth notes
  int degree = 7;                  // scale degree counted from the tonic an octave up
  for (int i = 0; 0.25 + i * step < seconds - step; ++i) {
    degree = std::clamp(degree + static_cast<int>(rng.next() % 5) - 2, 0, 13);
    if (rng.next() % 5 == 0) continue;  // a rest now and then
    const double midi = 60 + key + 12 * (degree / 7) + scale[degree % 7];
    add_note(sig.samples, sample_rate, 0.25 + i * step, step * 0.9, midi_hz(midi), gain);
  }
  clamp_all(sig.samples);
  return sig;
}

Signal bass_line(int key, bool major, double bpm, double seconds, int sample_rate, uint32_t seed,
                 int notes_per_beat, bool offbeat, double gain, int beats_per_bar) {
  (void)major;  // I, IV and V have the same roots in major and minor
  static constexpr int roots[4] = {0, 5, 7, 0};
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.samples.assign(static_cast<std::size_t>(seconds * sample_rate), 0.0f);
  Rng rng(seed * 7919u + 17u);
  const double period = 60.0 / bpm;
  const int per_beat = offbeat ? 1 : std::max(1, notes_per_beat);
  const double step = period / per_beat;
  const double length = std::min(step * 0.85, 0.4);
  for (int i = 0; 0.25 + i * step < seconds - step; ++i) {
    const int beat = i / per_beat;
    const int root = roots[(beat / beats_per_bar) % 4];
    static constexpr int kChoices[4] = {0, 0, 12, 7};
    const int interval = kChoices[rng.next() % 4];
    const double hz = midi_hz(36 + key + root + interval);  // C2 + key: 65..130 Hz
    const double at = 0.25 + i * step + (offbeat ? 0.5 * period : 0.0);
    const auto first = static_cast<std::size_t>(at * sample_rate);
    const auto count = static_cast<std::size_t>(length * sample_rate);
    for (std::size_t k = 0; k < count && first + k < sig.samples.size(); ++k) {
      const double t = static_cast<double>(k) / sample_rate;
      double env = std::min(1.0, t / 0.005) * std::exp(-t / 0.15);
      if (t > length - 0.02) env *= std::max(0.0, (length - t) / 0.02);
      const double v = std::sin(kTwoPi * hz * t) + 0.5 * std::sin(kTwoPi * 2 * hz * t) +
                       0.25 * std::sin(kTwoPi * 3 * hz * t);
      sig.samples[first + k] += static_cast<float>(gain * env * v);
    }
  }
  clamp_all(sig.samples);
  return sig;
}

Signal speech_like(double seconds, int sample_rate, uint32_t seed, double gain) {
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.samples.assign(static_cast<std::size_t>(seconds * sample_rate), 0.0f);
  Rng rng(seed);
  // Formant centres (F1, F2, F3) of a few vowels.
  static constexpr double kVowels[][3] = {{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240},
                                          {530, 1840, 2480}, {570, 840, 2410}, {440, 1020, 2240}};
  struct Biquad {
    double b0 = 0, b2 = 0, a1 = 0, a2 = 0, x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    void set(double hz, double q, int rate) {
      const double w = kTwoPi * hz / rate, alpha = std::sin(w) / (2 * q), a0 = 1 + alpha;
      b0 = alpha / a0;
      b2 = -alpha / a0;
      a1 = -2 * std::cos(w) / a0;
      a2 = (1 - alpha) / a0;
    }
    double run(double x) {
      const double y = b0 * x + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      return y;
    }
  };
  Biquad f[3];
  std::size_t at = static_cast<std::size_t>(0.2 * sample_rate);
  int until_pause = 2 + static_cast<int>(rng.next() % 6);
  while (at < sig.samples.size()) {
    const double length = 0.12 + 0.2 * rng.uniform();
    const auto count = static_cast<std::size_t>(length * sample_rate);
    const auto& v = kVowels[rng.next() % 6];
    for (int k = 0; k < 3; ++k) f[k].set(v[k] * (0.9 + 0.2 * rng.uniform()), 6 + 4 * k, sample_rate);
    const double level = 0.6 + 0.4 * rng.uniform();
    for (std::size_t i = 0; i < count && at + i < sig.samples.size(); ++i) {
      const double x = rng.noise();
      const double y = f[0].run(x) + 0.6 * f[1].run(x) + 0.3 * f[2].run(x);
      const double env = std::sin(std::numbers::pi * static_cast<double>(i) / count);
      sig.samples[at + i] = static_cast<float>(gain * level * env * y * 2.0);
    }
    at += count;
    if (--until_pause == 0) {
      at += static_cast<std::size_t>((0.2 + 0.6 * rng.uniform()) * sample_rate);
      until_pause = 2 + static_cast<int>(rng.next() % 6);
    } else {
      at += static_cast<std::size_t>(0.03 * rng.uniform() * sample_rate);
    }
  }
  clamp_all(sig.samples);
  return sig;
}

Signal sine(double hz, double amplitude, double seconds, int sample_rate) {
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.samples.resize(static_cast<std::size_t>(seconds * sample_rate));
  for (std::size_t i = 0; i < sig.samples.size(); ++i)
    sig.samples[i] = static_cast<float>(amplitude * std::sin(kTwoPi * hz * static_cast<double>(i) / sample_rate));
  return sig;
}

Signal silence(double seconds, int sample_rate) {
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.samples.assign(static_cast<std::size_t>(seconds * sample_rate), 0.0f);
  return sig;
}

Signal white_noise(double amplitude, double seconds, int sample_rate, uint32_t seed) {
  Signal sig;
  sig.sample_rate = sample_rate;
  sig.samples.resize(static_cast<std::size_t>(seconds * sample_rate));
  Rng rng(seed);
  for (float& x : sig.samples) x = static_cast<float>(amplitude * rng.noise());
  return sig;
}

Signal mix(const Signal& a, const Signal& b, double gain_b) {
  Signal out = a;
  if (b.samples.size() > out.samples.size()) out.samples.resize(b.samples.size(), 0.0f);
  for (std::size_t i = 0; i < b.samples.size(); ++i)
    out.samples[i] += static_cast<float>(gain_b * b.samples[i]);
  clamp_all(out.samples);
  if (out.beats.empty()) {
    out.beats = b.beats;
    out.bpm = b.bpm;
    out.beats_per_bar = b.beats_per_bar;
  }
  return out;
}

}  // namespace segue::audio::testing
