#include "audio/analyzer.h"

#include <boost/json.hpp>
#include <cmath>
#include <vector>

#include "audio/decoder.h"
#include "audio/ffmpeg_util.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace segue::audio {
namespace {

namespace json = boost::json;
using namespace detail;

// Downmixes interleaved PCM to mono and resamples it to the analysis rate, chunk by chunk.
class MonoResampler {
 public:
  Status init(int in_rate, int out_rate) {
    AVChannelLayout mono;
    av_channel_layout_default(&mono, 1);
    SwrContext* raw = nullptr;
    int rc = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, out_rate, &mono, AV_SAMPLE_FMT_FLT, in_rate, 0, nullptr);
    swr_.reset(raw);
    if (rc < 0 || !swr_ || (rc = swr_init(swr_.get())) < 0) return Error::internal(av_error("analysis resampler", rc));
    return {};
  }
  Status add(const float* pcm, std::size_t frames, int channels) {
    mono_.resize(frames);
    for (std::size_t i = 0; i < frames; ++i) {
      float s = 0;
      for (int c = 0; c < channels; ++c) s += pcm[i * channels + c];
      s /= static_cast<float>(channels);
      mono_[i] = std::isfinite(s) ? s : 0.0f;
    }
    return convert(mono_.data(), static_cast<int>(frames));
  }
  Status flush() { return convert(nullptr, 0); }
  std::vector<float>& out() { return out_; }

 private:
  Status convert(const float* in, int frames) {
    const int room = swr_get_out_samples(swr_.get(), frames) + 64;
    const std::size_t at = out_.size();
    out_.resize(at + static_cast<std::size_t>(room));
    uint8_t* o[1] = {reinterpret_cast<uint8_t*>(out_.data() + at)};
    const uint8_t* i[1] = {reinterpret_cast<const uint8_t*>(in)};
    int got = swr_convert(swr_.get(), o, room, in ? i : nullptr, frames);
    if (got < 0) return Error::internal(av_error("analysis resample", got));
    out_.resize(at + static_cast<std::size_t>(got));
    return {};
  }
  SwrPtr swr_;
  std::vector<float> mono_;
  std::vector<float> out_;
};

// ---- JSON out ----

json::value num(double v) { return std::isfinite(v) ? json::value(std::round(v * 1e5) / 1e5) : json::value(nullptr); }

json::array intervals(const std::vector<TimeInterval>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& t : v) a.push_back(json::object{{"start", num(t.start)}, {"duration", num(t.duration)}, {"confidence", num(t.confidence)}});
  return a;
}

template <std::size_t N>
json::array floats(const std::array<float, N>& v) {
  json::array a;
  for (float f : v) a.push_back(num(f));
  return a;
}

json::object music_json(const AudioAnalysis& m) {
  json::object o;
  o["sample_rate"] = m.sample_rate;
  o["num_samples"] = m.num_samples;
  o["duration"] = num(m.duration);
  o["end_of_fade_in"] = num(m.end_of_fade_in);
  o["start_of_fade_out"] = num(m.start_of_fade_out);
  o["loudness"] = num(m.loudness);
  o["tempo"] = num(m.tempo);
  o["tempo_confidence"] = num(m.tempo_confidence);
  o["time_signature"] = m.time_signature;
  o["time_signature_confidence"] = num(m.time_signature_confidence);
  o["key"] = m.key;
  o["key_confidence"] = num(m.key_confidence);
  o["mode"] = m.mode;
  o["mode_confidence"] = num(m.mode_confidence);
  for (auto [name, value] : {std::pair{"energy", m.energy}, {"danceability", m.danceability}, {"valence", m.valence},
                             {"acousticness", m.acousticness}, {"instrumentalness", m.instrumentalness},
                             {"speechiness", m.speechiness}, {"liveness", m.liveness}})
    o[name] = num(value);
  o["bars"] = intervals(m.bars);
  o["beats"] = intervals(m.beats);
  o["tatums"] = intervals(m.tatums);
  json::array sections;
  for (const auto& s : m.sections) {
    sections.push_back(json::object{{"start", num(s.start)}, {"duration", num(s.duration)}, {"confidence", num(s.confidence)},
                                    {"loudness", num(s.loudness)}, {"tempo", num(s.tempo)},
                                    {"tempo_confidence", num(s.tempo_confidence)}, {"key", s.key},
                                    {"key_confidence", num(s.key_confidence)}, {"mode", s.mode},
                                    {"mode_confidence", num(s.mode_confidence)}, {"time_signature", s.time_signature},
                                    {"time_signature_confidence", num(s.time_signature_confidence)}});
  }
  o["sections"] = std::move(sections);
  json::array segments;
  segments.reserve(m.segments.size());
  for (const auto& s : m.segments) {
    segments.push_back(json::object{{"start", num(s.start)}, {"duration", num(s.duration)}, {"confidence", num(s.confidence)},
                                    {"loudness_start", num(s.loudness_start)}, {"loudness_max", num(s.loudness_max)},
                                    {"loudness_max_time", num(s.loudness_max_time)}, {"loudness_end", num(s.loudness_end)},
                                    {"pitches", floats(s.pitches)}, {"timbre", floats(s.timbre)}});
  }
  o["segments"] = std::move(segments);
  return o;
}

// ---- JSON in: every value checked ----

struct Reader {
  std::string error;
  double number(const json::object& o, const char* key, double lo, double hi, double fallback = 0) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return fallback;  // non-finite values were written as null
    if (!v->is_number()) {
      fail(key, "expected a number");
      return fallback;
    }
    double d = v->to_number<double>();
    if (!(d >= lo && d <= hi)) {
      fail(key, "out of range");
      return fallback;
    }
    return d;
  }
  int integer(const json::object& o, const char* key, int lo, int hi, int fallback = 0) {
    return static_cast<int>(number(o, key, lo, hi, fallback));
  }
  const json::object* object(const json::value& v, const char* what) {
    if (!v.is_object()) fail(what, "expected an object");
    return v.if_object();
  }
  const json::array* array(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_array()) {
      fail(key, "expected an array");
      return nullptr;
    }
    return &v->as_array();
  }
  void fail(const char* key, const char* what) {
    if (error.empty()) error = std::string(key) + ": " + what;
  }
};

constexpr double kMaxSeconds = 1e6;

std::vector<TimeInterval> read_intervals(Reader& r, const json::object& o, const char* key) {
  std::vector<TimeInterval> out;
  const auto* a = r.array(o, key);
  if (!a) return out;
  out.reserve(a->size());
  for (const auto& v : *a) {
    const auto* t = r.object(v, key);
    if (!t) break;
    out.push_back({r.number(*t, "start", 0, kMaxSeconds), r.number(*t, "duration", 0, kMaxSeconds),
                   r.number(*t, "confidence", 0, 1)});
  }
  return out;
}

template <std::size_t N>
std::array<float, N> read_floats(Reader& r, const json::object& o, const char* key, double lo, double hi) {
  std::array<float, N> out{};
  const auto* a = r.array(o, key);
  if (!a) return out;
  if (a->size() != N) {
    r.fail(key, "wrong length");
    return out;
  }
  for (std::size_t i = 0; i < N; ++i) {
    const auto& v = (*a)[i];
    if (v.is_null()) continue;
    if (!v.is_number() || !(v.to_number<double>() >= lo && v.to_number<double>() <= hi)) {
      r.fail(key, "out of range");
      return out;
    }
    out[i] = static_cast<float>(v.to_number<double>());
  }
  return out;
}

AudioAnalysis read_music(Reader& r, const json::object& o) {
  AudioAnalysis m;
  m.sample_rate = r.integer(o, "sample_rate", 0, 768000);
  m.num_samples = static_cast<std::size_t>(r.number(o, "num_samples", 0, 1e12));
  m.duration = r.number(o, "duration", 0, kMaxSeconds);
  m.end_of_fade_in = r.number(o, "end_of_fade_in", 0, kMaxSeconds);
  m.start_of_fade_out = r.number(o, "start_of_fade_out", 0, kMaxSeconds);
  m.loudness = r.number(o, "loudness", -200, 50, -60);
  m.tempo = r.number(o, "tempo", 0, 1000);
  m.tempo_confidence = r.number(o, "tempo_confidence", 0, 1);
  m.time_signature = r.integer(o, "time_signature", 1, 16, 4);
  m.time_signature_confidence = r.number(o, "time_signature_confidence", 0, 1);
  m.key = r.integer(o, "key", -1, 11, -1);
  m.key_confidence = r.number(o, "key_confidence", 0, 1);
  m.mode = r.integer(o, "mode", -1, 1, -1);
  m.mode_confidence = r.number(o, "mode_confidence", 0, 1);
  m.energy = r.number(o, "energy", 0, 1);
  m.danceability = r.number(o, "danceability", 0, 1);
  m.valence = r.number(o, "valence", 0, 1);
  m.acousticness = r.number(o, "acousticness", 0, 1);
  m.instrumentalness = r.number(o, "instrumentalness", 0, 1);
  m.speechiness = r.number(o, "speechiness", 0, 1);
  m.liveness = r.number(o, "liveness", 0, 1);
  m.bars = read_intervals(r, o, "bars");
  m.beats = read_intervals(r, o, "beats");
  m.tatums = read_intervals(r, o, "tatums");
  if (const auto* a = r.array(o, "sections")) {
    for (const auto& v : *a) {
      const auto* s = r.object(v, "sections");
      if (!s) break;
      Section x;
      x.start = r.number(*s, "start", 0, kMaxSeconds);
      x.duration = r.number(*s, "duration", 0, kMaxSeconds);
      x.confidence = r.number(*s, "confidence", 0, 1);
      x.loudness = r.number(*s, "loudness", -200, 50, -60);
      x.tempo = r.number(*s, "tempo", 0, 1000);
      x.tempo_confidence = r.number(*s, "tempo_confidence", 0, 1);
      x.key = r.integer(*s, "key", -1, 11, -1);
      x.key_confidence = r.number(*s, "key_confidence", 0, 1);
      x.mode = r.integer(*s, "mode", -1, 1, -1);
      x.mode_confidence = r.number(*s, "mode_confidence", 0, 1);
      x.time_signature = r.integer(*s, "time_signature", 1, 16, 4);
      x.time_signature_confidence = r.number(*s, "time_signature_confidence", 0, 1);
      m.sections.push_back(x);
    }
  }
  if (const auto* a = r.array(o, "segments")) {
    m.segments.reserve(a->size());
    for (const auto& v : *a) {
      const auto* s = r.object(v, "segments");
      if (!s) break;
      Segment x;
      x.start = r.number(*s, "start", 0, kMaxSeconds);
      x.duration = r.number(*s, "duration", 0, kMaxSeconds);
      x.confidence = r.number(*s, "confidence", 0, 1);
      x.loudness_start = r.number(*s, "loudness_start", -200, 50, -60);
      x.loudness_max = r.number(*s, "loudness_max", -200, 50, -60);
      x.loudness_max_time = r.number(*s, "loudness_max_time", 0, kMaxSeconds);
      x.loudness_end = r.number(*s, "loudness_end", -200, 50, -60);
      x.pitches = read_floats<12>(r, *s, "pitches", 0, 1);
      x.timbre = read_floats<12>(r, *s, "timbre", -1e6, 1e6);
      m.segments.push_back(x);
    }
  }
  return m;
}

}  // namespace

Result<TrackAnalysis> analyze_file(const std::string& path, const AnalyzeOptions& options) {
  if (options.analysis_rate < 8000 || options.analysis_rate > 96000) return Error::invalid("analysis rate must be 8000..96000");
  std::unique_ptr<LoudnessMeter> meter;
  std::unique_ptr<Fingerprinter> printer;
  MonoResampler mono;
  Status fp_error;
  DecodeOptions dopts;
  dopts.max_seconds = options.max_seconds;
  auto info = decode_file(path, dopts, [&](const float* pcm, std::size_t frames, const StreamInfo& si) -> Status {
    if (!meter) {
      SEGUE_ASSIGN_OR_RETURN(meter, LoudnessMeter::create(si.sample_rate, si.channels));
      auto fp = Fingerprinter::create(si.sample_rate, si.channels);
      if (fp.ok()) printer = std::move(*fp);
      SEGUE_TRY(mono.init(si.sample_rate, options.analysis_rate));
    }
    SEGUE_TRY(meter->add(pcm, frames));
    if (printer) SEGUE_TRY(printer->add(pcm, frames));
    return mono.add(pcm, frames, si.channels);
  });
  if (!info.ok()) return info.error();
  if (!meter) return Error::invalid("no audio could be decoded");
  SEGUE_TRY(mono.flush());

  TrackAnalysis out;
  out.version = kAnalyzerVersion;
  out.codec = info->codec;
  out.source_sample_rate = info->source_sample_rate;
  out.damaged_packets = info->damaged_packets;
  out.duration_s = static_cast<double>(info->frames_decoded) / info->sample_rate;
  SEGUE_ASSIGN_OR_RETURN(out.loudness, meter->finish());
  if (printer) {
    auto fp = printer->finish();
    if (fp.ok()) out.fingerprint = std::move(*fp);
  }
  auto& samples = mono.out();
  if (samples.empty()) return Error::invalid("no audio could be decoded");
  SEGUE_ASSIGN_OR_RETURN(out.music, analyze_pcm(samples.data(), samples.size(), options.analysis_rate));
  return out;
}

json::value to_json(const TrackAnalysis& a) {
  json::object o;
  o["version"] = a.version;
  o["duration_s"] = num(a.duration_s);
  o["codec"] = a.codec;
  o["source_sample_rate"] = a.source_sample_rate;
  o["damaged_packets"] = a.damaged_packets;
  json::object l;
  l["integrated_lufs"] = a.loudness.integrated_lufs ? num(*a.loudness.integrated_lufs) : json::value(nullptr);
  l["true_peak_dbtp"] = num(a.loudness.true_peak_dbtp);
  l["range_lu"] = num(a.loudness.range_lu);
  json::array hist;
  for (std::size_t i = 0; i < a.loudness.histogram.counts.size(); ++i)
    if (a.loudness.histogram.counts[i]) hist.push_back(json::array{i, a.loudness.histogram.counts[i]});
  l["histogram"] = std::move(hist);
  o["loudness"] = std::move(l);
  if (a.fingerprint) {
    json::array items;
    items.reserve(a.fingerprint->items.size());
    for (uint32_t v : a.fingerprint->items) items.push_back(v);
    o["fingerprint"] = json::object{{"item_seconds", a.fingerprint->item_seconds}, {"items", std::move(items)}};
  } else {
    o["fingerprint"] = nullptr;
  }
  o["music"] = music_json(a.music);
  return o;
}

Result<TrackAnalysis> track_analysis_from_json(const json::value& v) try {
  Reader r;
  const auto* o = r.object(v, "analysis");
  if (!o) return Error::invalid("analysis: expected an object");
  TrackAnalysis a;
  const auto* version = o->if_contains("version");
  if (!version || !version->is_string() || version->as_string().size() > 100) return Error::invalid("analysis: version missing");
  a.version = version->as_string().c_str();
  a.duration_s = r.number(*o, "duration_s", 0, kMaxSeconds);
  if (const auto* c = o->if_contains("codec"); c && c->is_string() && c->as_string().size() < 64) a.codec = c->as_string().c_str();
  a.source_sample_rate = r.integer(*o, "source_sample_rate", 0, 768000);
  a.damaged_packets = r.integer(*o, "damaged_packets", 0, 1 << 30);
  const auto* l = o->if_contains("loudness");
  if (!l || !l->is_object()) return Error::invalid("analysis: loudness missing");
  const auto& lo = l->as_object();
  if (const auto* il = lo.if_contains("integrated_lufs"); il && !il->is_null())
    a.loudness.integrated_lufs = r.number(lo, "integrated_lufs", -200, 50);
  a.loudness.true_peak_dbtp = r.number(lo, "true_peak_dbtp", -200, 100, -200);
  a.loudness.range_lu = r.number(lo, "range_lu", 0, 200);
  if (const auto* hist = r.array(lo, "histogram")) {
    for (const auto& pair : *hist) {
      const auto* p = pair.if_array();
      if (!p || p->size() != 2 || !(*p)[0].is_number() || !(*p)[1].is_number()) return Error::invalid("analysis: bad histogram");
      auto bin = (*p)[0].to_number<int64_t>();
      auto count = (*p)[1].to_number<int64_t>();
      if (bin < 0 || bin >= LoudnessHistogram::kBins || count < 0 || count > UINT32_MAX) return Error::invalid("analysis: bad histogram");
      if (a.loudness.histogram.counts.empty()) a.loudness.histogram.counts.assign(LoudnessHistogram::kBins, 0);
      a.loudness.histogram.counts[static_cast<std::size_t>(bin)] = static_cast<uint32_t>(count);
    }
  }
  if (const auto* f = o->if_contains("fingerprint"); f && !f->is_null()) {
    const auto* fo = r.object(*f, "fingerprint");
    if (!fo) return Error::invalid("analysis: bad fingerprint");
    Fingerprint fp;
    fp.item_seconds = r.number(*fo, "item_seconds", 1e-3, 10, 0);
    if (const auto* items = r.array(*fo, "items")) {
      fp.items.reserve(items->size());
      for (const auto& it : *items) {
        if (!it.is_number()) return Error::invalid("analysis: bad fingerprint item");
        auto x = it.to_number<int64_t>();
        if (x < 0 || x > UINT32_MAX) return Error::invalid("analysis: bad fingerprint item");
        fp.items.push_back(static_cast<uint32_t>(x));
      }
    }
    a.fingerprint = std::move(fp);
  }
  const auto* m = o->if_contains("music");
  if (!m || !m->is_object()) return Error::invalid("analysis: music missing");
  a.music = read_music(r, m->as_object());
  if (!r.error.empty()) return Error::invalid("analysis: " + r.error);
  return a;
} catch (const std::exception& e) {
  // to_number throws for a number that does not fit the type asked for.
  return Error::invalid(std::string("analysis: ") + e.what());
}

}  // namespace segue::audio
