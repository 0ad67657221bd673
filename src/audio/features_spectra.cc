// Short-time spectra for the analysis: mel bands, onset strength, spectral shape and chroma,
// with FFTW (single precision).
#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>

#include "audio/dsp_analysis.h"

namespace segue::audio::dsp {
namespace {

// FFTW's planner is not thread-safe, executing a plan is: plans are made once per size under a
// mutex, kept for the life of the process and executed with fftwf_execute_dft_r2c on buffers
// from fftwf_malloc (so their alignment matches the plan's). FFTW_ESTIMATE keeps the choice of
// algorithm, and so the output bits, the same from run to run.
fftwf_plan plan_for(int n) {
  static std::mutex mu;
  static auto* plans = new std::map<int, fftwf_plan>();  // never freed: plans outlive callers
  std::lock_guard lock(mu);
  auto it = plans->find(n);
  if (it != plans->end()) return it->second;
  float* in = fftwf_alloc_real(static_cast<std::size_t>(n));
  fftwf_complex* out = fftwf_alloc_complex(static_cast<std::size_t>(n / 2 + 1));
  fftwf_plan p = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
  fftwf_free(in);
  fftwf_free(out);
  plans->emplace(n, p);
  return p;
}

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};

// One FFT size with its private buffers and a Hann window.
class Fft {
 public:
  explicit Fft(int n)
      : n_(n),
        plan_(plan_for(n)),
        in_(fftwf_alloc_real(static_cast<std::size_t>(n))),
        out_(fftwf_alloc_complex(static_cast<std::size_t>(n / 2 + 1))),
        window_(static_cast<std::size_t>(n)),
        power_(static_cast<std::size_t>(n / 2 + 1)) {
    double sum_sq = 0;
    for (int i = 0; i < n; ++i) {
      window_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / n));
      sum_sq += static_cast<double>(window_[i]) * window_[i];
    }
    window_energy_ = sum_sq;
  }

  int size() const { return n_; }
  int bins() const { return n_ / 2 + 1; }

  // Windows the n samples centred on `center` (zeros outside [0, len)), transforms them and
  // fills power(): one-sided power per bin, scaled so that the bins sum to the mean square of
  // the windowed signal. Returns that mean square.
  double run(const float* x, std::size_t len, std::ptrdiff_t center) {
    const std::ptrdiff_t first = center - n_ / 2;
    double ms = 0;
    float* in = in_.get();
    for (int i = 0; i < n_; ++i) {
      const std::ptrdiff_t j = first + i;
      const float v = (j >= 0 && j < static_cast<std::ptrdiff_t>(len)) ? x[j] * window_[i] : 0.0f;
      in[i] = v;
      ms += static_cast<double>(v) * v;
    }
    ms /= window_energy_;
    fftwf_execute_dft_r2c(plan_, in, out_.get());
    const fftwf_complex* out = out_.get();
    const double scale = 1.0 / (static_cast<double>(n_) * window_energy_);
    for (int k = 0; k < bins(); ++k) {
      const double p = (static_cast<double>(out[k][0]) * out[k][0] +
                        static_cast<double>(out[k][1]) * out[k][1]) * scale;
      power_[k] = static_cast<float>((k == 0 || k == n_ / 2) ? p : 2 * p);
    }
    return ms;
  }

  const std::vector<float>& power() const { return power_; }

 private:
  int n_;
  fftwf_plan plan_;
  std::unique_ptr<float, FftwFree> in_;
  std::unique_ptr<fftwf_complex, FftwFree> out_;
  std::vector<float> window_;
  std::vector<float> power_;
  double window_energy_ = 1;
};

int pow2_near(double target) {
  int n = 64;
  while (n < target * 0.75) n *= 2;
  return n;
}

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

// Triangular mel filters as (first bin, weights) per band, with unit peak.
struct MelBank {
  std::vector<int> first;
  std::vector<std::vector<float>> weights;
  std::vector<double> center_hz;
};

MelBank make_mel_bank(int n_fft, int sample_rate) {
  const double f_lo = 30.0;
  const double f_hi = std::min(11025.0, sample_rate / 2.0);
  const double m_lo = hz_to_mel(f_lo), m_hi = hz_to_mel(f_hi);
  std::vector<double> edges(kMelBands + 2);
  for (int b = 0; b < kMelBands + 2; ++b) edges[b] = mel_to_hz(m_lo + (m_hi - m_lo) * b / (kMelBands + 1));
  MelBank bank;
  const double bin_hz = static_cast<double>(sample_rate) / n_fft;
  const int bins = n_fft / 2 + 1;
  for (int b = 0; b < kMelBands; ++b) {
    const double lo = edges[b], mid = edges[b + 1], hi = edges[b + 2];
    int k0 = std::max(0, static_cast<int>(std::floor(lo / bin_hz)));
    int k1 = std::min(bins - 1, static_cast<int>(std::ceil(hi / bin_hz)));
    std::vector<float> w;
    for (int k = k0; k <= k1; ++k) {
      const double f = k * bin_hz;
      double v = 0;
      if (f > lo && f <= mid) v = (f - lo) / (mid - lo);
      else if (f > mid && f < hi) v = (hi - f) / (hi - mid);
      w.push_back(static_cast<float>(v));
    }
    // A band narrower than a bin still takes the nearest bin, so low bands are never empty.
    bool any = false;
    for (float v : w) any = any || v > 0;
    if (!any) {
      k0 = std::clamp(static_cast<int>(std::lround(mid / bin_hz)), 0, bins - 1);
      w.assign(1, 1.0f);
    }
    bank.first.push_back(k0);
    bank.weights.push_back(std::move(w));
    bank.center_hz.push_back(mid);
  }
  return bank;
}

float to_db(double power) {
  return power > 1e-10 ? static_cast<float>(10.0 * std::log10(power)) : kFloorDb;
}

}  // namespace

Spectra compute_spectra(const float* x, std::size_t n, int sample_rate) {
  Spectra s;
  s.sample_rate = sample_rate;
  const double rate_ratio = sample_rate / 22050.0;

  // Fine hop: 256 samples at 22050 Hz, frames of 1024 (46 ms).
  const int hop = std::max(32, static_cast<int>(std::lround(256 * rate_ratio)));
  Fft fft(pow2_near(1024 * rate_ratio));
  s.frame_rate = static_cast<double>(sample_rate) / hop;
  s.frames = static_cast<int>(n / static_cast<std::size_t>(hop)) + 1;
  const MelBank bank = make_mel_bank(fft.size(), sample_rate);
  const double bin_hz = static_cast<double>(sample_rate) / fft.size();
  const int bins = fft.bins();
  const int k_flat_lo = std::max(1, static_cast<int>(100 / bin_hz));
  const int k_flat_hi = std::min(bins - 1, static_cast<int>(8000 / bin_hz));
  const int k_high = std::min(bins, static_cast<int>(4000 / bin_hz));
  const int k_sp_lo = static_cast<int>(300 / bin_hz);
  const int k_sp_hi = std::min(bins - 1, static_cast<int>(3400 / bin_hz));
  int low_bands = 0;
  while (low_bands < kMelBands && bank.center_hz[low_bands] < 200) ++low_bands;

  const std::size_t frames = static_cast<std::size_t>(s.frames);
  std::vector<float> mel_power(frames * kMelBands);
  s.mel_db.resize(frames * kMelBands);
  s.power_db.resize(frames);
  s.centroid.resize(frames);
  s.flatness.resize(frames);
  s.high_ratio.resize(frames);
  s.speech_db.resize(frames);
  for (std::size_t t = 0; t < frames; ++t) {
    const double ms = fft.run(x, n, static_cast<std::ptrdiff_t>(t) * hop);
    const std::vector<float>& p = fft.power();
    s.power_db[t] = to_db(ms);
    double total = 0, weighted = 0, high = 0, speech = 0;
    for (int k = 1; k < bins; ++k) {
      total += p[k];
      weighted += p[k] * k * bin_hz;
      if (k >= k_high) high += p[k];
      if (k >= k_sp_lo && k <= k_sp_hi) speech += p[k];
    }
    double log_sum = 0, lin_sum = 0;
    for (int k = k_flat_lo; k <= k_flat_hi; ++k) {
      const double v = p[k] + 1e-12;
      log_sum += std::log(v);
      lin_sum += v;
    }
    const int flat_n = k_flat_hi - k_flat_lo + 1;
    const bool audible = total > 1e-9;
    s.centroid[t] = audible ? static_cast<float>(weighted / total) : 0.0f;
    s.flatness[t] = audible && flat_n > 0
                        ? static_cast<float>(std::exp(log_sum / flat_n) / (lin_sum / flat_n))
                        : 0.0f;
    s.high_ratio[t] = audible ? static_cast<float>(high / total) : 0.0f;
    s.speech_db[t] = to_db(speech);
    for (int b = 0; b < kMelBands; ++b) {
      const std::vector<float>& w = bank.weights[b];
      double acc = 0;
      for (std::size_t i = 0; i < w.size(); ++i) acc += w[i] * p[bank.first[b] + i];
      mel_power[t * kMelBands + b] = static_cast<float>(acc);
      s.mel_db[t * kMelBands + b] = to_db(acc);
    }
  }

  // Onset strength: positive change of compressed band power between frames. The compression
  // log(1 + g * P / ref) is close to log for loud bands and close to linear for quiet ones, with
  // ref the track's mean band power, so the envelope does not depend on the track's gain and
  // faint noise does not count as much as a drum hit.
  double ref = 0;
  for (float v : mel_power) ref += v;
  ref /= static_cast<double>(mel_power.size());
  s.flux.assign(frames, 0.0f);
  s.low_flux.assign(frames, 0.0f);
  if (ref > 1e-12) {
    const double g = 10.0 / ref;
    std::vector<float> prev(kMelBands), cur(kMelBands);
    for (int b = 0; b < kMelBands; ++b) prev[b] = static_cast<float>(std::log1p(g * mel_power[b]));
    for (std::size_t t = 1; t < frames; ++t) {
      double f = 0, lf = 0;
      for (int b = 0; b < kMelBands; ++b) {
        cur[b] = static_cast<float>(std::log1p(g * mel_power[t * kMelBands + b]));
        const double d = cur[b] - prev[b];
        if (d > 0) {
          f += d;
          if (b < low_bands) lf += d;
        }
      }
      s.flux[t] = static_cast<float>(f / kMelBands);
      s.low_flux[t] = static_cast<float>(low_bands > 0 ? lf / low_bands : 0);
      std::swap(prev, cur);
    }
  }

  // Chroma: spectral peaks of a longer window (4096 at 22050 Hz) between 65 Hz and 2.5 kHz,
  // each added to its nearest pitch class with a weight falling to 0 half a semitone away.
  Fft cfft(pow2_near(4096 * rate_ratio));
  const int chop = cfft.size() / 4;
  s.chroma_rate = static_cast<double>(sample_rate) / chop;
  s.chroma_frames = static_cast<int>(n / static_cast<std::size_t>(chop)) + 1;
  s.chroma.assign(static_cast<std::size_t>(s.chroma_frames) * 12, 0.0f);
  const double cbin_hz = static_cast<double>(sample_rate) / cfft.size();
  const int ck_lo = std::max(2, static_cast<int>(65 / cbin_hz));
  const int ck_hi = std::min(cfft.bins() - 2, static_cast<int>(2500 / cbin_hz));
  for (int t = 0; t < s.chroma_frames; ++t) {
    cfft.run(x, n, static_cast<std::ptrdiff_t>(t) * chop);
    const std::vector<float>& p = cfft.power();
    float peak = 0;
    for (int k = ck_lo; k <= ck_hi; ++k) peak = std::max(peak, p[k]);
    if (peak < 1e-10f) continue;
    const float floor = peak * 1e-4f;  // ignore peaks 40 dB under the strongest
    float* out = &s.chroma[static_cast<std::size_t>(t) * 12];
    for (int k = ck_lo; k <= ck_hi; ++k) {
      if (p[k] < floor || p[k] <= p[k - 1] || p[k] < p[k + 1]) continue;
      // Parabolic interpolation of the peak on log power for its exact frequency.
      const double a = std::log(p[k - 1] + 1e-20), b = std::log(p[k] + 1e-20),
                   c = std::log(p[k + 1] + 1e-20);
      const double den = a - 2 * b + c;
      const double delta = den < 0 ? std::clamp(0.5 * (a - c) / den, -0.5, 0.5) : 0.0;
      const double hz = (k + delta) * cbin_hz;
      const double midi = 69.0 + 12.0 * std::log2(hz / 440.0);
      const double nearest = std::round(midi);
      const double w = std::cos(std::numbers::pi * (midi - nearest));
      const int pc = ((static_cast<int>(nearest) % 12) + 12) % 12;
      out[pc] += static_cast<float>(std::sqrt(p[k]) * w * w);
    }
  }
  return s;
}

double mean_loudness_db(const Spectra& s, int begin, int end) {
  begin = std::max(begin, 0);
  end = std::min(end, s.frames);
  double sum = 0;
  int count = 0;
  for (int t = begin; t < end; ++t) {
    sum += std::pow(10.0, s.power_db[t] / 10.0);
    ++count;
  }
  if (count == 0 || sum <= 0) return -60;
  return std::max(-60.0, 10.0 * std::log10(sum / count));
}

}  // namespace segue::audio::dsp
