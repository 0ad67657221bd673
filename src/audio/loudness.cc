#include "audio/loudness.h"

#include <ebur128.h>

#include <algorithm>
#include <cmath>

namespace segue::audio {
namespace {

ebur128_state* st(void* p) { return static_cast<ebur128_state*>(p); }

double bin_center(int bin) {
  return LoudnessHistogram::kFloorLufs + (bin + 0.5) * LoudnessHistogram::kBinLu;
}

}  // namespace

void LoudnessHistogram::add(double block_lufs) {
  if (!std::isfinite(block_lufs) || block_lufs < kFloorLufs) return;
  if (counts.empty()) counts.assign(kBins, 0);
  int bin = static_cast<int>((block_lufs - kFloorLufs) / kBinLu);
  ++counts[static_cast<std::size_t>(std::clamp(bin, 0, kBins - 1))];
}

void LoudnessHistogram::merge(const LoudnessHistogram& other) {
  if (other.counts.empty()) return;
  if (counts.empty()) counts.assign(kBins, 0);
  for (int i = 0; i < kBins; ++i) counts[i] += other.counts[i];
}

int64_t LoudnessHistogram::blocks() const {
  int64_t n = 0;
  for (uint32_t c : counts) n += c;
  return n;
}

std::optional<double> LoudnessHistogram::integrated_lufs() const {
  // BS.1770-4: mean energy of blocks above the absolute gate, a relative gate 10 LU below
  // that mean, then the mean energy of blocks above both gates.
  auto mean_above = [&](double gate) -> std::optional<double> {
    double energy = 0;
    int64_t n = 0;
    for (int i = 0; i < static_cast<int>(counts.size()); ++i) {
      if (!counts[i] || bin_center(i) < gate) continue;
      energy += counts[i] * std::pow(10.0, bin_center(i) / 10.0);
      n += counts[i];
    }
    if (n == 0) return std::nullopt;
    return 10.0 * std::log10(energy / static_cast<double>(n));
  };
  auto ungated = mean_above(kFloorLufs);
  if (!ungated) return std::nullopt;
  return mean_above(*ungated - 10.0);
}

std::string LoudnessHistogram::encode() const {
  std::string out;
  for (int i = 0; i < static_cast<int>(counts.size()); ++i) {
    if (!counts[i]) continue;
    uint32_t c = counts[i];
    out.push_back(static_cast<char>(i & 0xff));
    out.push_back(static_cast<char>(i >> 8));
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((c >> (8 * b)) & 0xff));
  }
  return out;
}

Result<LoudnessHistogram> LoudnessHistogram::decode(std::string_view bytes) {
  if (bytes.size() % 6 != 0) return Error::invalid("loudness histogram: truncated");
  LoudnessHistogram h;
  if (bytes.empty()) return h;
  h.counts.assign(kBins, 0);
  auto u8 = [&](std::size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])); };
  for (std::size_t p = 0; p < bytes.size(); p += 6) {
    uint32_t bin = u8(p) | (u8(p + 1) << 8);
    if (bin >= static_cast<uint32_t>(kBins)) return Error::invalid("loudness histogram: bin out of range");
    h.counts[bin] = u8(p + 2) | (u8(p + 3) << 8) | (u8(p + 4) << 16) | (u8(p + 5) << 24);
  }
  return h;
}

TruePeakMeter::TruePeakMeter(int sample_rate, int channels)
    : channels_(channels), factor_(sample_rate >= 192000 ? 1 : sample_rate >= 96000 ? 2 : 4),
      history_(static_cast<std::size_t>(channels)) {
  // Phase p/factor between sample n and n+1 from x[n-kTaps+1 .. n+kTaps], Blackman-windowed
  // sinc, each phase normalised to unity gain at DC.
  for (int p = 1; p < factor_; ++p) {
    const double frac = static_cast<double>(p) / factor_;
    std::vector<float> h(2 * kTaps);
    double sum = 0;
    std::vector<double> raw(2 * kTaps);
    for (int k = 0; k < 2 * kTaps; ++k) {
      const double t = (k - (kTaps - 1)) - frac;  // offset of tap k from the interpolation point
      const double sinc = t == 0 ? 1.0 : std::sin(M_PI * t) / (M_PI * t);
      const double w = (t + kTaps) / (2.0 * kTaps);  // 0..1 across the window
      const double blackman = 0.42 - 0.5 * std::cos(2 * M_PI * w) + 0.08 * std::cos(4 * M_PI * w);
      raw[k] = sinc * blackman;
      sum += raw[k];
    }
    for (int k = 0; k < 2 * kTaps; ++k) h[k] = static_cast<float>(raw[k] / sum);
    coeffs_.push_back(std::move(h));
  }
  for (auto& h : history_) h.assign(kTaps, 0.0f);
}

void TruePeakMeter::add(const float* pcm, std::size_t frames) {
  for (int c = 0; c < channels_; ++c) {
    auto& h = history_[static_cast<std::size_t>(c)];
    const std::size_t at = h.size();
    h.resize(at + frames);
    for (std::size_t i = 0; i < frames; ++i) {
      float v = pcm[i * static_cast<std::size_t>(channels_) + static_cast<std::size_t>(c)];
      h[at + i] = std::isfinite(v) ? v : 0.0f;
    }
    // Gaps n..n+1 need x[n+kTaps]: scan those, keep the context for the next chunk.
    if (h.size() > 2 * kTaps) scan(c, h.size() - kTaps);
  }
}

void TruePeakMeter::scan(int channel, std::size_t end) {
  auto& h = history_[static_cast<std::size_t>(channel)];
  // h[kTaps - 1] is the first sample whose following gap has not been looked at.
  const float* x = h.data();
  float peak = peak_;
  for (std::size_t n = kTaps - 1; n + 1 < end; ++n) {
    const float a = std::fabs(x[n]);
    if (a > peak) peak = a;
    const float near = std::max(a, std::fabs(x[n + 1]));
    if (near < 0.5f * peak || near == 0.0f) continue;
    const float* w = x + n + 1 - kTaps;
    for (const auto& coeff : coeffs_) {
      float y = 0;
      for (int k = 0; k < 2 * kTaps; ++k) y += coeff[static_cast<std::size_t>(k)] * w[k];
      peak = std::max(peak, std::fabs(y));
    }
  }
  peak_ = peak;
  // Keep the last kTaps samples before `end - 1` as context, plus everything after.
  const std::size_t keep_from = end - 1 - (kTaps - 1);
  h.erase(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(keep_from));
}

double TruePeakMeter::peak() const { return peak_; }

double TruePeakMeter::finish() {
  for (int c = 0; c < channels_; ++c) {
    auto& h = history_[static_cast<std::size_t>(c)];
    h.insert(h.end(), kTaps + 1, 0.0f);  // silence after the end
    scan(c, h.size() - kTaps);
  }
  return peak_;
}

Result<std::unique_ptr<LoudnessMeter>> LoudnessMeter::create(int sample_rate, int channels) {
  if (sample_rate < 8000 || sample_rate > 384000 || channels < 1 || channels > 8)
    return Error::invalid("loudness: unsupported rate or channel count");
  ebur128_state* s = ebur128_init(static_cast<unsigned>(channels), static_cast<unsigned long>(sample_rate),
                                  EBUR128_MODE_I | EBUR128_MODE_LRA);
  if (!s) return Error::internal("loudness: libebur128 could not start");
  return std::unique_ptr<LoudnessMeter>(new LoudnessMeter(s, sample_rate, channels));
}

LoudnessMeter::LoudnessMeter(void* state, int sample_rate, int channels)
    : state_(state), channels_(channels), true_peak_(sample_rate, channels), hop_frames_(static_cast<std::size_t>(sample_rate) / 10) {}

LoudnessMeter::~LoudnessMeter() {
  ebur128_state* s = st(state_);
  ebur128_destroy(&s);
}

Status LoudnessMeter::feed(const float* pcm, std::size_t frames) {
  if (ebur128_add_frames_float(st(state_), pcm, frames) != EBUR128_SUCCESS)
    return Error::internal("loudness: libebur128 refused samples");
  return {};
}

Status LoudnessMeter::add(const float* pcm, std::size_t frames) {
  true_peak_.add(pcm, frames);
  // Fed in 100 ms hops: after each, the momentary loudness is the loudness of the 400 ms block
  // that just ended, i.e. one gating block of the standard.
  while (frames > 0) {
    std::size_t n = std::min(frames, hop_frames_ - frames_in_hop_);
    SEGUE_TRY(feed(pcm, n));
    pcm += n * static_cast<std::size_t>(channels_);
    frames -= n;
    frames_in_hop_ += n;
    if (frames_in_hop_ == hop_frames_) {
      frames_in_hop_ = 0;
      if (++hops_ >= 4) {
        double m = 0;
        if (ebur128_loudness_momentary(st(state_), &m) == EBUR128_SUCCESS) histogram_.add(m);
      }
    }
  }
  return {};
}

Result<Loudness> LoudnessMeter::finish() {
  Loudness out;
  double global = 0;
  if (ebur128_loudness_global(st(state_), &global) == EBUR128_SUCCESS && std::isfinite(global))
    out.integrated_lufs = global;
  const double peak = true_peak_.finish();
  out.true_peak_dbtp = peak > 0 ? 20.0 * std::log10(peak) : -200.0;
  double lra = 0;
  if (ebur128_loudness_range(st(state_), &lra) == EBUR128_SUCCESS && std::isfinite(lra)) out.range_lu = lra;
  out.histogram = histogram_;
  return out;
}

double normalization_gain_db(std::optional<double> integrated_lufs, double true_peak_dbtp, double target) {
  if (!integrated_lufs) return 0;
  double gain = target - *integrated_lufs;
  if (gain > 0) gain = std::max(0.0, std::min(gain, -1.0 - true_peak_dbtp));
  return gain;
}

}  // namespace segue::audio
