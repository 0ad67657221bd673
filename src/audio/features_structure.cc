// Segments (onset to onset) and sections (novelty peaks of a self-similarity matrix).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "audio/dsp_analysis.h"

namespace segue::audio::dsp {
namespace {

// Segments never exceed this: a long held sound is cut into pieces so pitches and timbre stay
// local.
constexpr double kMaxSegmentSeconds = 2.0;
constexpr double kMinSegmentSeconds = 0.06;
constexpr double kMinOnsetFlux = 0.01;

float loud_db(const Spectra& s, int t) {
  t = std::clamp(t, 0, s.frames - 1);
  return std::max(-60.0f, s.power_db[t]);
}

// DCT-II basis for the timbre coefficients of the mel spectrum.
struct Dct {
  double basis[12][kMelBands];
  Dct() {
    for (int c = 0; c < 12; ++c)
      for (int b = 0; b < kMelBands; ++b)
        basis[c][b] = std::cos(std::numbers::pi * c * (b + 0.5) / kMelBands) *
                      (c == 0 ? std::sqrt(1.0 / kMelBands) : std::sqrt(2.0 / kMelBands));
  }
};
const Dct& dct() {
  static const Dct d;  // constant after construction; thread-safe initialisation
  return d;
}

// Chroma frames overlapping seconds [a, b), summed and normalised to max 1.
std::array<float, 12> chroma_between(const Spectra& s, double a, double b) {
  std::array<double, 12> acc{};
  int first = static_cast<int>(std::floor(a * s.chroma_rate + 0.5));
  int last = static_cast<int>(std::floor(b * s.chroma_rate + 0.5));
  first = std::clamp(first, 0, std::max(0, s.chroma_frames - 1));
  last = std::clamp(std::max(last, first + 1), 0, s.chroma_frames);
  for (int t = first; t < last; ++t)
    for (int i = 0; i < 12; ++i) acc[i] += s.chroma[static_cast<std::size_t>(t) * 12 + i];
  double mx = 0;
  for (double v : acc) mx = std::max(mx, v);
  std::array<float, 12> out{};
  if (mx > 1e-9)
    for (int i = 0; i < 12; ++i) out[i] = static_cast<float>(acc[i] / mx);
  return out;
}

// Mean mel spectrum (dB, floored at -80) of frames [a, b) as 12 cepstral coefficients.
std::array<float, 12> timbre_between(const Spectra& s, int a, int b) {
  std::array<double, kMelBands> mean{};
  b = std::max(b, a + 1);
  int count = 0;
  for (int t = a; t < b && t < s.frames; ++t) {
    for (int k = 0; k < kMelBands; ++k)
      mean[k] += std::max(-80.0f, s.mel_db[static_cast<std::size_t>(t) * kMelBands + k]);
    ++count;
  }
  std::array<float, 12> out{};
  if (count == 0) return out;
  for (double& v : mean) v = v / count + 80.0;  // 0 = the floor, so silence gives all zeros
  const Dct& d = dct();
  for (int c = 0; c < 12; ++c) {
    double acc = 0;
    for (int k = 0; k < kMelBands; ++k) acc += d.basis[c][k] * mean[k];
    out[c] = static_cast<float>(acc / (c == 0 ? std::sqrt(static_cast<double>(kMelBands)) : 1.0));
  }
  return out;
}

}  // namespace

std::vector<Segment> find_segments(const Spectra& s) {
  std::vector<Segment> out;
  const int n = s.frames;
  if (n <= 0) return out;
  const double fr = s.frame_rate;
  // Onsets: peaks of the flux that are the maximum within 50 ms and rise above the local mean
  // (half a second each side) plus a fraction of the track's loud flux level.
  std::vector<float> sorted = s.flux;
  const std::size_t q = static_cast<std::size_t>(0.98 * (n - 1));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(q), sorted.end());
  const double loud = sorted[q];
  std::vector<int> starts{0};
  std::vector<double> conf{1.0};
  if (loud > 1e-6) {
    const int w = std::max(1, static_cast<int>(std::lround(0.5 * fr)));
    const int peak_w = std::max(1, static_cast<int>(std::lround(0.05 * fr)));
    const int min_gap = std::max(1, static_cast<int>(std::lround(kMinSegmentSeconds * fr)));
    std::vector<double> prefix(static_cast<std::size_t>(n) + 1, 0.0);
    for (int t = 0; t < n; ++t) prefix[t + 1] = prefix[t] + s.flux[t];
    for (int t = 1; t < n; ++t) {
      const float v = s.flux[t];
      bool is_peak = true;
      for (int d = -peak_w; d <= peak_w && is_peak; ++d)
        if (d != 0 && t + d >= 0 && t + d < n && s.flux[t + d] > v) is_peak = false;
      if (!is_peak) continue;
      const int a = std::max(0, t - w), b = std::min(n, t + w + 1);
      const double mean = (prefix[b] - prefix[a]) / (b - a);
      // A floor keeps the tiny fluctuations of a steady tone from counting as onsets.
      const double threshold = mean + std::max(0.1 * loud, kMinOnsetFlux);
      if (v <= threshold) continue;
      const int at = std::max(0, t - 1);  // the flux peaks a frame before the sound
      if (at - starts.back() < min_gap) continue;
      starts.push_back(at);
      conf.push_back(std::clamp((v - mean) / loud, 0.0, 1.0));
    }
  }
  // Split long segments evenly.
  std::vector<int> bounds;
  std::vector<double> bconf;
  const int max_len = static_cast<int>(kMaxSegmentSeconds * fr);
  starts.push_back(n);
  for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
    const int a = starts[i], b = starts[i + 1];
    const int pieces = std::max(1, (b - a + max_len - 1) / max_len);
    for (int p = 0; p < pieces; ++p) {
      bounds.push_back(a + (b - a) * p / pieces);
      bconf.push_back(p == 0 ? conf[i] : 0.0);
    }
  }
  bounds.push_back(n);
  for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
    const int a = bounds[i], b = bounds[i + 1];
    if (b <= a) continue;
    Segment seg;
    seg.start = a / fr;
    seg.duration = (b - a) / fr;
    seg.confidence = bconf[i];
    seg.loudness_start = loud_db(s, a);
    int arg = a;
    for (int t = a; t < b; ++t)
      if (s.power_db[t] > s.power_db[arg]) arg = t;
    seg.loudness_max = loud_db(s, arg);
    seg.loudness_max_time = (arg - a) / fr;
    seg.loudness_end = loud_db(s, b < n ? b : n - 1);
    seg.pitches = chroma_between(s, seg.start, seg.start + seg.duration);
    seg.timbre = timbre_between(s, a, b);
    out.push_back(seg);
  }
  return out;
}

std::vector<Section> find_sections(const Spectra& s, const Rhythm& r, double duration) {
  // Blocks of half a second, each described by its timbre (12 coefficients) and its chroma (12),
  // both scaled to unit length; novelty is the Foote checkerboard kernel along the diagonal of
  // their cosine self-similarity.
  const double block_s = 0.5;
  const int per_block = std::max(1, static_cast<int>(std::lround(block_s * s.frame_rate)));
  const int blocks = (s.frames + per_block - 1) / per_block;
  std::vector<std::array<float, 24>> feat(static_cast<std::size_t>(blocks));
  for (int b = 0; b < blocks; ++b) {
    const int a = b * per_block, e = std::min(s.frames, a + per_block);
    std::array<float, 12> tim = timbre_between(s, a, e);
    std::array<float, 12> chr = chroma_between(s, a / s.frame_rate, e / s.frame_rate);
    tim[0] = 0;  // loudness alone does not make a section
    double nt = 0, nc = 0;
    for (int i = 0; i < 12; ++i) {
      nt += tim[i] * tim[i];
      nc += chr[i] * chr[i];
    }
    nt = nt > 0 ? 1 / std::sqrt(nt) : 0;
    nc = nc > 0 ? 1 / std::sqrt(nc) : 0;
    for (int i = 0; i < 12; ++i) {
      feat[b][i] = static_cast<float>(tim[i] * nt);
      feat[b][12 + i] = static_cast<float>(chr[i] * nc);
    }
  }
  auto sim = [&](int i, int j) {
    double acc = 0;
    for (int k = 0; k < 24; ++k) acc += feat[i][k] * feat[j][k];
    return acc / 2;
  };
  const int half = 16;  // 8 seconds each side
  std::vector<double> novelty(static_cast<std::size_t>(blocks), 0.0);
  for (int c = half; c + half <= blocks; ++c) {
    double acc = 0;
    for (int i = -half; i < half; ++i) {
      for (int j = -half; j < half; ++j) {
        const double taper = std::exp(-0.5 * ((i + 0.5) * (i + 0.5) + (j + 0.5) * (j + 0.5)) / (half * half * 0.25));
        const bool same = (i < 0) == (j < 0);
        acc += (same ? -1 : 1) * taper * sim(c + i, c + j);
      }
    }
    novelty[c] = std::max(0.0, -acc);
  }
  // Peaks at least 10 s apart and above the mean novelty by half its spread.
  double mean = 0, mx = 0;
  for (double v : novelty) {
    mean += v;
    mx = std::max(mx, v);
  }
  mean /= std::max(1, blocks);
  std::vector<std::pair<int, double>> cuts;
  const int min_gap = static_cast<int>(10.0 / block_s);
  if (mx > 1e-9) {
    for (int c = 1; c + 1 < blocks; ++c) {
      const double v = novelty[c];
      if (v < mean + 0.5 * (mx - mean) * 0.5 || v < novelty[c - 1] || v < novelty[c + 1]) continue;
      if (c < min_gap / 2 || blocks - c < min_gap / 2) continue;
      if (!cuts.empty() && c - cuts.back().first < min_gap) {
        if (v > cuts.back().second) cuts.back() = {c, v};
        continue;
      }
      cuts.emplace_back(c, v);
    }
  }
  std::vector<double> starts{0};
  std::vector<double> conf{1.0};
  for (const auto& [c, v] : cuts) {
    starts.push_back(c * block_s);
    conf.push_back(std::clamp(v / mx, 0.0, 1.0));
  }
  std::vector<Section> out;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const double a = starts[i];
    const double b = i + 1 < starts.size() ? starts[i + 1] : duration;
    if (b <= a) continue;
    Section sec;
    sec.start = a;
    sec.duration = b - a;
    sec.confidence = conf[i];
    sec.loudness = mean_loudness_db(s, static_cast<int>(a * s.frame_rate), static_cast<int>(b * s.frame_rate));
    // Tempo from the beats inside the section.
    std::vector<double> ibi;
    for (std::size_t k = 1; k < r.beats.size(); ++k)
      if (r.beats[k - 1] >= a && r.beats[k] < b) ibi.push_back(r.beats[k] - r.beats[k - 1]);
    if (ibi.size() >= 3) {
      std::nth_element(ibi.begin(), ibi.begin() + static_cast<std::ptrdiff_t>(ibi.size() / 2), ibi.end());
      const double med = ibi[ibi.size() / 2];
      sec.tempo = med > 0 ? 60.0 / med : 0.0;
      sec.tempo_confidence = r.tempo_confidence;
    }
    const KeyEstimate k = estimate_key(s, static_cast<int>(a * s.chroma_rate), static_cast<int>(b * s.chroma_rate));
    sec.key = k.key;
    sec.key_confidence = k.key_confidence;
    sec.mode = k.mode;
    sec.mode_confidence = k.mode_confidence;
    sec.time_signature = r.time_signature;
    sec.time_signature_confidence = r.time_signature_confidence;
    out.push_back(sec);
  }
  return out;
}

}  // namespace segue::audio::dsp
