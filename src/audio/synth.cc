#include "audio/synth.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace segue::audio {
namespace {

constexpr int kRate = 44100;

double partials(double phase, double brightness) {
  return std::sin(phase) + brightness * 0.5 * std::sin(2 * phase) +
         brightness * 0.25 * std::sin(3 * phase);
}

// Attack/release envelope so notes start and stop without clicks.
double envelope(double t, double length) {
  const double attack = std::min(0.02, length / 4);
  const double release = std::min(0.08, length / 3);
  double e = 1.0;
  if (t < attack) e = t / attack;
  else if (t > length - release) e = std::max(0.0, (length - t) / release);
  return e * (0.85 + 0.15 * std::exp(-3 * t));  // a little decay after the attack
}

// Deterministic generator (xorshift32) so a seed always yields the same tune.
struct Rng {
  uint32_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

}  // namespace

Pcm render(const Voice& voice) {
  Pcm pcm;
  pcm.sample_rate = kRate;
  pcm.channels = 2;
  double total = 0;
  for (const Note& n : voice.melody) total += std::max(0.0, n.seconds);
  pcm.samples.reserve(static_cast<std::size_t>(total * kRate + 1) * 2);
  const double two_pi = 2 * std::numbers::pi;
  const double left_gain = 0.5 * (1 - voice.pan), right_gain = 0.5 * (1 + voice.pan);
  for (const Note& n : voice.melody) {
    const auto count = static_cast<int64_t>(std::max(0.0, n.seconds) * kRate);
    for (int64_t i = 0; i < count; ++i) {
      const double t = static_cast<double>(i) / kRate;
      double lead = 0, harm = 0;
      if (n.frequency_hz > 0) {
        const double env = envelope(t, n.seconds);
        lead = env * partials(two_pi * n.frequency_hz * t, voice.brightness);
        if (voice.harmony_ratio > 0)
          harm = env * voice.harmony_level *
                 std::sin(two_pi * n.frequency_hz * voice.harmony_ratio * t);
      }
      const double l = 0.35 * (lead + 2 * left_gain * harm);
      const double r = 0.35 * (lead + 2 * right_gain * harm);
      pcm.samples.push_back(static_cast<float>(std::clamp(l, -1.0, 1.0)));
      pcm.samples.push_back(static_cast<float>(std::clamp(r, -1.0, 1.0)));
    }
  }
  return pcm;
}

Pcm render_demo_tune(uint32_t seed, double seconds) {
  static constexpr int kMajor[] = {0, 2, 4, 5, 7, 9, 11};
  static constexpr int kMinor[] = {0, 2, 3, 5, 7, 8, 10};
  static constexpr int kPentatonic[] = {0, 2, 4, 7, 9, 12, 14};
  static constexpr const int* kScales[] = {kMajor, kMinor, kPentatonic};
  static constexpr double kRatios[] = {1.5, 1.25, 1.2, 2.0, 0.75};
  Rng rng{seed * 2654435761u + 1};
  for (int i = 0; i < 4; ++i) rng.next();
  const int* scale = kScales[rng.next() % 3];
  const double root = 196.0 * std::pow(2.0, static_cast<double>(rng.next() % 12) / 12.0);
  const double beat = 0.18 + 0.06 * static_cast<double>(rng.next() % 5);
  Voice v;
  v.harmony_ratio = kRatios[rng.next() % 5];
  v.harmony_level = 0.2 + 0.05 * static_cast<double>(rng.next() % 4);
  v.brightness = 0.1 + 0.1 * static_cast<double>(rng.next() % 6);
  v.pan = (static_cast<double>(rng.next() % 5) - 2) / 4;
  int degree = 0;
  double t = 0;
  while (t < seconds) {
    degree = std::clamp(degree + static_cast<int>(rng.next() % 5) - 2, -3, 9);
    const int octave = degree < 0 ? -1 : degree / 7;
    const int idx = ((degree % 7) + 7) % 7;
    const double semis = 12.0 * octave + scale[idx];
    const double len = std::min(beat * (1 + rng.next() % 2), seconds - t);
    const bool rest = rng.next() % 11 == 0;
    v.melody.push_back({rest ? 0.0 : root * std::pow(2.0, semis / 12.0), len});
    t += len;
  }
  return render(v);
}

}  // namespace segue::audio
