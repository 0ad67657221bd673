// analyze_pcm(): runs the stages of audio/dsp_analysis.h and derives the descriptive features.
// Definitions and limits: docs/audio-features.md.
#include "audio/features.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "audio/dsp_analysis.h"

namespace segue::audio {
namespace {

using dsp::Spectra;

double clamp01(double v) { return std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0; }
double finite_or(double v, double fallback) { return std::isfinite(v) ? v : fallback; }

double percentile(std::vector<float> v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Statistics of the audible frames that the descriptive features are built from.
struct Stats {
  int active = 0;          // frames above the gate
  double active_seconds = 0;
  double loudness_db = -60;
  double centroid_hz = 0;  // power-weighted mean
  double flatness = 0;
  double high_ratio = 0;
  double dynamic_range_db = 0;  // 90th minus 10th percentile of the frame level
  double onset_rate = 0;        // onsets per audible second
  double envelope_sd_db = 0;    // standard deviation of the speech-band level (smoothed 60 ms)
  double syllabic = 0;          // share of the speech-band envelope's change at 2..8 Hz
  double pause_share = 0;       // audible-region frames at least 25 dB under the typical level
  double speech_band_share = 0; // share of power in 300..3400 Hz
  double floor_level_db = 0;    // 10th percentile level minus the median level
  double floor_flatness = 0;    // flatness of the quietest tenth of the frames
};

Stats gather_stats(const Spectra& s, const std::vector<Segment>& segments) {
  Stats st;
  if (s.frames == 0) return st;
  const double p95 = percentile(s.power_db, 0.95);
  const double gate = std::max(-60.0, p95 - 40.0);
  std::vector<float> levels;
  double power_sum = 0, centroid_w = 0, flat = 0, high = 0, speech_w = 0;
  int first = -1, last = -1;
  for (int t = 0; t < s.frames; ++t) {
    if (s.power_db[t] < gate) continue;
    if (first < 0) first = t;
    last = t;
    const double p = std::pow(10.0, s.power_db[t] / 10.0);
    levels.push_back(s.power_db[t]);
    power_sum += p;
    centroid_w += p * s.centroid[t];
    flat += s.flatness[t];
    high += p * s.high_ratio[t];
    speech_w += std::pow(10.0, s.speech_db[t] / 10.0);
    ++st.active;
  }
  if (st.active == 0 || power_sum <= 0) return st;
  st.active_seconds = st.active / s.frame_rate;
  st.loudness_db = std::max(-60.0, 10.0 * std::log10(power_sum / st.active));
  st.centroid_hz = centroid_w / power_sum;
  st.flatness = flat / st.active;
  st.high_ratio = high / power_sum;
  st.speech_band_share = std::clamp(speech_w / power_sum, 0.0, 1.0);
  st.dynamic_range_db = percentile(levels, 0.9) - percentile(levels, 0.1);

  int onsets = 0;
  for (const Segment& seg : segments)
    if (seg.confidence > 0.05 && seg.start > 0) ++onsets;
  st.onset_rate = onsets / std::max(1.0, st.active_seconds);

  // Over the audible region (first to last audible frame): pauses and syllable-rate modulation
  // of the speech band, and the quiet floor.
  const double median = percentile(levels, 0.5);
  std::vector<float> region_levels;
  std::vector<double> env;
  int pauses = 0;
  for (int t = first; t <= last; ++t) {
    region_levels.push_back(s.power_db[t]);
    if (s.power_db[t] < median - 25) ++pauses;
    env.push_back(std::max(static_cast<double>(s.speech_db[t]), median - 50.0));
  }
  st.pause_share = static_cast<double>(pauses) / static_cast<double>(region_levels.size());
  // Syllabic modulation: the envelope smoothed over ~60 ms minus the envelope smoothed over
  // ~0.5 s holds the 2..8 Hz part; its variance over the variance of the envelope smoothed at
  // 60 ms (everything slower than ~8 Hz).
  const int n = static_cast<int>(env.size());
  auto smooth = [&](int half) {
    std::vector<double> prefix(static_cast<std::size_t>(n) + 1, 0.0);
    for (int t = 0; t < n; ++t) prefix[t + 1] = prefix[t] + env[t];
    std::vector<double> out(static_cast<std::size_t>(n));
    for (int t = 0; t < n; ++t) {
      const int a = std::max(0, t - half), b = std::min(n, t + half + 1);
      out[t] = (prefix[b] - prefix[a]) / (b - a);
    }
    return out;
  };
  const std::vector<double> fast = smooth(std::max(1, static_cast<int>(0.03 * s.frame_rate)));
  const std::vector<double> slow = smooth(std::max(2, static_cast<int>(0.25 * s.frame_rate)));
  double mean_fast = 0;
  for (double v : fast) mean_fast += v / n;
  double var_band = 0, var_all = 0;
  for (int t = 0; t < n; ++t) {
    var_band += (fast[t] - slow[t]) * (fast[t] - slow[t]);
    var_all += (fast[t] - mean_fast) * (fast[t] - mean_fast);
  }
  st.syllabic = var_all > 1e-9 ? var_band / var_all : 0.0;
  st.envelope_sd_db = std::sqrt(var_all / n);

  st.floor_level_db = percentile(region_levels, 0.1) - median;
  const double floor_cut = percentile(region_levels, 0.1);
  double ff = 0;
  int fc = 0;
  for (int t = first; t <= last; ++t) {
    if (s.power_db[t] <= floor_cut && s.power_db[t] > -90) {
      ff += s.flatness[t];
      ++fc;
    }
  }
  st.floor_flatness = fc > 0 ? ff / fc : 0.0;
  return st;
}

// Start of the first and end of the last half-second block within 6 dB of the median block
// level: where a fade-in ends and a fade-out starts.
void find_fades(const Spectra& s, double duration, AudioAnalysis& a) {
  a.end_of_fade_in = 0;
  a.start_of_fade_out = duration;
  const int per = std::max(1, static_cast<int>(std::lround(0.5 * s.frame_rate)));
  std::vector<float> blocks;
  for (int b = 0; b * per < s.frames; ++b)
    blocks.push_back(static_cast<float>(dsp::mean_loudness_db(s, b * per, (b + 1) * per)));
  if (blocks.size() < 4) return;
  std::vector<float> loud;
  for (float v : blocks)
    if (v > -60) loud.push_back(v);
  if (loud.empty()) return;
  const double ref = percentile(loud, 0.5) - 6.0;
  int first = 0, last = static_cast<int>(blocks.size()) - 1;
  while (first < last && blocks[first] < ref) ++first;
  while (last > first && blocks[last] < ref) --last;
  a.end_of_fade_in = first * per / s.frame_rate;
  a.start_of_fade_out = std::min(duration, (last + 1) * per / s.frame_rate);
}

void fill_rhythm(const dsp::Rhythm& r, double duration, AudioAnalysis& a) {
  a.tempo = r.tempo;
  a.tempo_confidence = clamp01(r.tempo_confidence);
  a.time_signature = r.time_signature;
  a.time_signature_confidence = clamp01(r.time_signature_confidence);
  const std::size_t nb = r.beats.size();
  if (nb == 0) return;
  const double ibi = r.tempo > 0 ? 60.0 / r.tempo : 0.5;
  for (std::size_t i = 0; i < nb; ++i) {
    const double start = r.beats[i];
    const double end = i + 1 < nb ? r.beats[i + 1] : std::min(duration, start + ibi);
    a.beats.push_back({start, std::max(0.0, end - start), clamp01(r.beat_strength[i])});
    for (int k = 0; k < r.tatums_per_beat; ++k) {
      const double len = (end - start) / r.tatums_per_beat;
      a.tatums.push_back({start + k * len, std::max(0.0, len), clamp01(r.beat_strength[i] * (k == 0 ? 1.0 : 0.8))});
    }
  }
  const int m = r.time_signature;
  for (std::size_t i = static_cast<std::size_t>(r.downbeat_phase); i < nb; i += static_cast<std::size_t>(m)) {
    const double start = r.beats[i];
    const double end = i + m < nb ? r.beats[i + m] : std::min(duration, start + m * ibi);
    if (end <= start) continue;
    a.bars.push_back({start, end - start, clamp01(r.beat_strength[i] * (0.5 + 0.5 * r.time_signature_confidence))});
  }
}

void fill_features(const Stats& st, AudioAnalysis& a, const dsp::Rhythm& r) {
  if (st.active == 0) return;  // silence: every feature stays 0
  const double loud = clamp01((st.loudness_db + 35.0) / 30.0);          // -35 dB .. -5 dB
  const double busy = clamp01(st.onset_rate / 6.0);                      // 0 .. 6 onsets/s
  const double noisy = clamp01(st.flatness / 0.3);
  const double bright = clamp01(std::log2(std::max(st.centroid_hz, 1.0) / 250.0) / 4.0);  // 250 Hz .. 4 kHz
  a.energy = clamp01(0.5 * loud + 0.2 * busy + 0.15 * noisy + 0.15 * bright);

  const bool has_beat = a.tempo > 0;
  const double tempo_fit =
      has_beat ? std::exp(-0.5 * std::pow(std::log2(a.tempo / 118.0) / 0.4, 2)) : 0.0;
  a.danceability = has_beat ? clamp01(0.35 * r.pulse_strength + 0.25 * a.tempo_confidence +
                                      0.2 * r.regularity + 0.2 * tempo_fit)
                            : 0.0;

  // Speech: a level that swings by many dB at syllable rate, pauses, power in the speech band,
  // and no steady pulse.
  const double swings = clamp01(st.envelope_sd_db / 10.0);
  const double syllabic = clamp01(st.syllabic / 0.2);
  const double pauses = clamp01(st.pause_share / 0.2);
  const double band = clamp01((st.speech_band_share - 0.4) / 0.4);
  const double unpulsed = 1.0 - clamp01((a.tempo_confidence - 0.15) / 0.4);
  a.speechiness = clamp01(swings * syllabic * unpulsed * (0.3 + 0.35 * pauses + 0.35 * band));

  a.instrumentalness = clamp01(1.0 - 1.5 * a.speechiness);

  const double mode_term =
      a.key < 0 ? 0.5 : (a.mode == 1 ? 0.5 + 0.5 * a.mode_confidence : 0.5 - 0.5 * a.mode_confidence);
  const double tempo_term = has_beat ? clamp01((a.tempo - 60.0) / 120.0) : 0.0;
  a.valence = clamp01(0.35 * mode_term + 0.2 * tempo_term + 0.25 * a.energy + 0.2 * bright);

  const double dyn = clamp01(st.dynamic_range_db / 25.0);
  const double hf = clamp01(st.high_ratio / 0.1);
  a.acousticness = clamp01(0.35 * (1.0 - noisy) + 0.35 * dyn + 0.3 * (1.0 - hf));

  // An audience: a noise floor close to the music (applause, crowd) that stays noise-like.
  const double floor_close = clamp01((st.floor_level_db + 30.0) / 20.0);  // -30 dB .. -10 dB
  const double floor_noisy = clamp01(st.floor_flatness / 0.4);
  a.liveness = clamp01(0.1 + 0.8 * floor_close * floor_noisy);
}

void sanitize(AudioAnalysis& a) {
  a.loudness = std::clamp(finite_or(a.loudness, -60), -60.0, 0.0);
  a.tempo = std::max(0.0, finite_or(a.tempo, 0));
  for (double* v : {&a.tempo_confidence, &a.time_signature_confidence, &a.key_confidence,
                    &a.mode_confidence, &a.energy, &a.danceability, &a.valence, &a.acousticness,
                    &a.instrumentalness, &a.speechiness, &a.liveness})
    *v = clamp01(*v);
  a.end_of_fade_in = finite_or(a.end_of_fade_in, 0);
  a.start_of_fade_out = finite_or(a.start_of_fade_out, a.duration);
  for (auto* list : {&a.beats, &a.bars, &a.tatums})
    for (TimeInterval& t : *list) {
      t.start = finite_or(t.start, 0);
      t.duration = finite_or(t.duration, 0);
      t.confidence = clamp01(t.confidence);
    }
  for (Section& s : a.sections) {
    s.loudness = std::clamp(finite_or(s.loudness, -60), -60.0, 0.0);
    s.tempo = std::max(0.0, finite_or(s.tempo, 0));
    for (double* v : {&s.confidence, &s.tempo_confidence, &s.key_confidence, &s.mode_confidence,
                      &s.time_signature_confidence})
      *v = clamp01(*v);
  }
  for (Segment& s : a.segments) {
    s.confidence = clamp01(s.confidence);
    for (double* v : {&s.loudness_start, &s.loudness_max, &s.loudness_end})
      *v = std::clamp(finite_or(*v, -60), -60.0, 0.0);
    s.loudness_max_time = finite_or(s.loudness_max_time, 0);
    for (float& v : s.pitches) v = std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f;
    for (float& v : s.timbre) v = std::isfinite(v) ? v : 0.0f;
  }
}

}  // namespace

Result<AudioAnalysis> analyze_pcm(const float* mono, std::size_t n, int sample_rate) {
  if (mono == nullptr || n == 0) return Error::invalid("analyze_pcm: no samples");
  if (sample_rate < 8000)
    return Error::invalid("analyze_pcm: sample rate " + std::to_string(sample_rate) + " Hz is below 8000 Hz");
  // Untrusted decoders may hand over NaNs or out-of-range samples: work on a cleaned copy.
  std::vector<float> clean;
  const float* x = mono;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(mono[i]) || std::fabs(mono[i]) > 1.0f) {
      clean.assign(mono, mono + n);
      for (float& v : clean) v = std::isfinite(v) ? std::clamp(v, -1.0f, 1.0f) : 0.0f;
      x = clean.data();
      break;
    }
  }

  AudioAnalysis a;
  a.sample_rate = sample_rate;
  a.num_samples = n;
  a.duration = static_cast<double>(n) / sample_rate;

  const Spectra s = dsp::compute_spectra(x, n, sample_rate);
  a.segments = dsp::find_segments(s);
  const Stats st = gather_stats(s, a.segments);
  a.loudness = st.loudness_db;
  find_fades(s, a.duration, a);

  const dsp::Rhythm r = dsp::analyze_rhythm(s);
  fill_rhythm(r, a.duration, a);

  const dsp::KeyEstimate k = dsp::estimate_key(s, 0, s.chroma_frames);
  a.key = k.key;
  a.mode = k.mode;
  a.key_confidence = k.key_confidence;
  a.mode_confidence = k.mode_confidence;

  a.sections = dsp::find_sections(s, r, a.duration);
  fill_features(st, a, r);
  sanitize(a);
  return a;
}

}  // namespace segue::audio
