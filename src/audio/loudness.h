// Loudness after EBU R128 / ITU-R BS.1770 with libebur128: integrated loudness (LUFS), true
// peak (dBTP) and loudness range (LU) of a track, and of an album from its tracks' block
// histograms, so an album's value is gated over all of its audio as the standard asks, without
// decoding the album again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace segue::audio {

// Counts of 400 ms gating blocks (75 % overlap, one per 100 ms) by their loudness, in 0.1 LU
// bins from -70 LUFS (the absolute gate) up; blocks below -70 are not counted.
struct LoudnessHistogram {
  static constexpr double kFloorLufs = -70.0;
  static constexpr double kBinLu = 0.1;
  static constexpr int kBins = 800;  // -70 .. +10 LUFS; louder blocks land in the last bin
  std::vector<uint32_t> counts;       // empty or kBins long

  void add(double block_lufs);
  void merge(const LoudnessHistogram& other);
  int64_t blocks() const;
  // Integrated loudness over the counted blocks with the relative gate (-10 LU); nullopt when
  // no block passes the gates (silence).
  std::optional<double> integrated_lufs() const;
  // Compact form for storage: (bin, count) pairs of non-empty bins as little-endian u16/u32.
  std::string encode() const;
  static Result<LoudnessHistogram> decode(std::string_view bytes);
};

struct Loudness {
  std::optional<double> integrated_lufs;  // nullopt for silence
  double true_peak_dbtp = -200;            // -200 stands for digital silence
  double range_lu = 0;                     // EBU Tech 3342 loudness range
  LoudnessHistogram histogram;
};

// True peak (BS.1770-4 Annex 2): the signal oversampled 4x (2x from 96 kHz, none from 192 kHz)
// with a windowed-sinc interpolator. Only the gaps next to samples within 6 dB of the highest
// peak so far are interpolated: a band-limited signal's peak between two samples lies near
// them, and most of a track is far below its peak, so this costs a fraction of oversampling
// everything (which libebur128's true-peak mode does, at half our analysis time).
class TruePeakMeter {
 public:
  TruePeakMeter(int sample_rate, int channels);
  void add(const float* interleaved, std::size_t frames);
  double peak() const;  // linear, 0 for silence; call after the last add()
  double finish();      // flushes the last samples; linear peak

 private:
  void scan(int channel, std::size_t end);
  static constexpr int kTaps = 12;  // per side
  int channels_;
  int factor_;
  std::vector<std::vector<float>> coeffs_;   // [phase-1][2*kTaps]
  std::vector<std::vector<float>> history_;  // per channel: pending samples, kTaps of context first
  float peak_ = 0;
};

// Feeds interleaved float PCM, in chunks of any size. Not thread-safe; one per track.
class LoudnessMeter {
 public:
  // Error::invalid for a rate or channel count libebur128 refuses.
  static Result<std::unique_ptr<LoudnessMeter>> create(int sample_rate, int channels);
  ~LoudnessMeter();
  LoudnessMeter(const LoudnessMeter&) = delete;
  LoudnessMeter& operator=(const LoudnessMeter&) = delete;

  Status add(const float* interleaved, std::size_t frames);
  Result<Loudness> finish();

 private:
  LoudnessMeter(void* state, int sample_rate, int channels);
  Status feed(const float* interleaved, std::size_t frames);
  void* state_;  // ebur128_state
  int channels_;
  TruePeakMeter true_peak_;
  std::size_t hop_frames_;       // 100 ms
  std::size_t frames_in_hop_ = 0;
  std::size_t hops_ = 0;
  LoudnessHistogram histogram_;
};

// Spotify's default target for normalisation.
constexpr double kTargetLufs = -14.0;

// The gain that brings `integrated_lufs` to `target`, lowered so that the true peak stays at or
// below -1 dBTP (a positive gain must not clip). 0 for silence.
double normalization_gain_db(std::optional<double> integrated_lufs, double true_peak_dbtp,
                             double target = kTargetLufs);

}  // namespace segue::audio
