// Key and mode: summed chroma correlated with the 24 rotations of a major and a minor key
// profile (the Krumhansl-Schmuckler method).
#include <algorithm>
#include <cmath>

#include "audio/dsp_analysis.h"

namespace segue::audio::dsp {
namespace {

// Probe-tone key profiles, tonic first: C. L. Krumhansl and E. J. Kessler, "Tracing the dynamic
// changes in perceived tonal organization in a spatial representation of musical keys",
// Psychological Review 89(4), 1982; as tabulated in C. L. Krumhansl, "Cognitive Foundations of
// Musical Pitch", Oxford University Press, 1990, p. 30.
constexpr double kMajorProfile[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
constexpr double kMinorProfile[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

// (max - mean) / max of the summed chroma below which there is no key: white noise, unpitched
// drums and whispered speech stay under 0.45, chords and melodies reach 0.6 and more.
constexpr double kMinContrast = 0.45;

double pearson(const double* x, const double* profile, int rotate) {
  double mx = 0, my = 0;
  for (int i = 0; i < 12; ++i) {
    mx += x[i];
    my += profile[i];
  }
  mx /= 12;
  my /= 12;
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < 12; ++i) {
    const double a = x[(i + rotate) % 12] - mx, b = profile[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

}  // namespace

KeyEstimate estimate_key(const Spectra& s, int begin, int end) {
  KeyEstimate out;
  begin = std::max(0, begin);
  end = std::min(end, s.chroma_frames);
  // Each frame is normalised to unit sum first, so loud passages do not outvote the rest and
  // the key reflects how long each pitch class sounds.
  double sum[12] = {};
  int voiced = 0;
  for (int t = begin; t < end; ++t) {
    const float* c = &s.chroma[static_cast<std::size_t>(t) * 12];
    double total = 0;
    for (int i = 0; i < 12; ++i) total += c[i];
    if (total <= 1e-7) continue;
    for (int i = 0; i < 12; ++i) sum[i] += c[i] / total;
    ++voiced;
  }
  if (voiced < 3) return out;
  double mx = 0, mn = 1e300, mean = 0;
  for (double v : sum) {
    mx = std::max(mx, v);
    mn = std::min(mn, v);
    mean += v / 12;
  }
  // Noise spreads evenly over the classes: with a near-flat chroma there is no key.
  const double contrast = mx > 0 ? (mx - mean) / mx : 0.0;
  if (contrast < kMinContrast) return out;

  double best = -2, second = -2, best_major = -2, best_minor = -2;
  int best_key = 0, best_mode = 1;
  for (int mode = 0; mode < 2; ++mode) {
    const double* profile = mode == 1 ? kMajorProfile : kMinorProfile;
    for (int key = 0; key < 12; ++key) {
      const double r = pearson(sum, profile, key);
      if (mode == 1) best_major = std::max(best_major, r);
      else best_minor = std::max(best_minor, r);
      if (r > best) {
        second = best;
        best = r;
        best_key = key;
        best_mode = mode;
      } else if (r > second) {
        second = r;
      }
    }
  }
  if (best <= 0.2) return out;
  out.key = best_key;
  out.mode = best_mode;
  // Confidence: how clearly the winner beats the runner-up, scaled by how well it fits at all.
  const double fit = std::clamp((best - 0.2) / 0.6, 0.0, 1.0);
  out.key_confidence = std::clamp(fit * (0.3 + 0.7 * std::min(1.0, (best - second) / 0.15)), 0.0, 1.0);
  const double mode_gap = std::abs(best_major - best_minor);
  out.mode_confidence = std::clamp(fit * std::min(1.0, mode_gap / 0.15), 0.0, 1.0);
  return out;
}

}  // namespace segue::audio::dsp
