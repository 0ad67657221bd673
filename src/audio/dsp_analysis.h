// Internal stages of analyze_pcm() (audio/features.h): spectra, rhythm, tonality and structure.
// Not a public interface: only features*.cc and their tests include it.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "audio/features.h"

namespace segue::audio::dsp {

inline constexpr int kMelBands = 40;
inline constexpr float kFloorDb = -100.0f;  // level given to digital silence

// Short-time features on a fine hop (about 11.6 ms) for rhythm, loudness and timbre, and a
// chroma on a longer window (about 186 ms, hop 46 ms) for pitch.
struct Spectra {
  int sample_rate = 0;
  double frame_rate = 0;  // frames per second of the fine hop
  int frames = 0;
  std::vector<float> mel_db;     // frames x kMelBands, 10 log10(band power), >= kFloorDb
  std::vector<float> power_db;   // frames: mean-square level of the windowed frame, dBFS
  std::vector<float> flux;       // frames: onset strength (positive spectral change)
  std::vector<float> low_flux;   // frames: the same below 200 Hz (kick drums, bass)
  std::vector<float> centroid;   // frames: spectral centroid in Hz (0 in silence)
  std::vector<float> flatness;   // frames: spectral flatness 0..1 over 100 Hz..8 kHz
  std::vector<float> high_ratio; // frames: share of power above 4 kHz
  std::vector<float> speech_db;  // frames: level of the 300..3400 Hz band, dBFS

  double chroma_rate = 0;  // chroma frames per second
  int chroma_frames = 0;
  std::vector<float> chroma;  // chroma_frames x 12, linear peak magnitudes per pitch class
};

// Computes the spectra of `n` samples. FFT plans come from a process-wide cache (created under
// a mutex, executed concurrently on private buffers).
Spectra compute_spectra(const float* x, std::size_t n, int sample_rate);

struct Rhythm {
  double tempo = 0;  // BPM from the tracked beats, 0 without a beat
  double tempo_confidence = 0;
  std::vector<double> beats;            // seconds
  std::vector<double> beat_strength;    // 0..1 per beat
  int time_signature = 4;
  double time_signature_confidence = 0;
  int downbeat_phase = 0;  // index of the first beat that starts a bar
  int tatums_per_beat = 2;
  double regularity = 0;   // 0..1: 1 - spread of the inter-beat intervals
  double pulse_strength = 0;  // 0..1: onset energy on beats vs. between them
};

// The onset-strength envelope used for tempo: `flux` with its local mean removed, >= 0.
std::vector<float> onset_envelope(const Spectra& s);

// Tempo, beats and meter from the spectra.
Rhythm analyze_rhythm(const Spectra& s);

struct KeyEstimate {
  int key = -1;
  int mode = -1;
  double key_confidence = 0;
  double mode_confidence = 0;
};

// Key and mode of the summed chroma frames [begin, end).
KeyEstimate estimate_key(const Spectra& s, int begin, int end);

// Onset-delimited segments with loudness, pitches and timbre.
std::vector<Segment> find_segments(const Spectra& s);

// Sections by novelty on a self-similarity matrix; fills tempo/key/loudness per section.
std::vector<Section> find_sections(const Spectra& s, const Rhythm& r, double duration);

// Mean power in dBFS of frames [begin, end) of the fine hop, floored at -60.
double mean_loudness_db(const Spectra& s, int begin, int end);

}  // namespace segue::audio::dsp
