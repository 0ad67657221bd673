// A tiny synthesizer for demo and test music: a melody of notes with a soft envelope and a
// little harmony, rendered as interleaved float PCM.
#pragma once

#include <cstdint>
#include <vector>

namespace segue::audio {

// Interleaved 32-bit float samples in [-1, 1].
struct Pcm {
  int sample_rate = 44100;
  int channels = 2;
  std::vector<float> samples;  // frames * channels values

  int64_t frames() const { return channels > 0 ? static_cast<int64_t>(samples.size()) / channels : 0; }
  double seconds() const { return sample_rate > 0 ? static_cast<double>(frames()) / sample_rate : 0; }
};

struct Note {
  double frequency_hz;  // 0 is a rest
  double seconds;
};

struct Voice {
  std::vector<Note> melody;
  double harmony_ratio = 1.5;  // a second voice at this frequency ratio (1.5 = a fifth); 0 = none
  double harmony_level = 0.3;  // its loudness relative to the melody
  double brightness = 0.3;     // level of the 2nd and 3rd partials, 0..1
  double pan = 0.0;            // -1 left .. 1 right for the harmony voice
};

// Renders `voice` as stereo 44.1 kHz PCM. Each note has a short attack and release so there
// are no clicks. Pure function; any thread.
Pcm render(const Voice& voice);

// A melody of `seconds` length derived from `seed`: different seeds give different tunes,
// scales and timbres, the same seed always the same tune. Pure function; any thread.
Pcm render_demo_tune(uint32_t seed, double seconds);

}  // namespace segue::audio
