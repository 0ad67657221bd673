// Tempo ground truth and Segue's analysis speed (bench/audio/run.sh runs aubio on the same files).
//
//   segue_audio_bench generate DIR [CLIPS [SET [FAMILY]]]  writes CLIPS (48) WAV clips (44.1 kHz
//                                           mono), 20-30 s, of set SET (0) of FAMILY ("wide":
//                                           60-200 BPM, eight kinds; "upbeat": 118-170 BPM rock,
//                                           pop, syncopated, dance, breakbeat, shuffle, funk,
//                                           punk) and DIR/truth.tsv (file, bpm, kind, meter)
//   segue_audio_bench analyze DIR           decodes each clip with audio::decode_file (mono,
//                                           44100 Hz resampled to 22050 Hz), analyzes it on this thread and prints
//                                           RESULT lines: tempo, decode and analysis time
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audio/decoder.h"
#include "audio/encoder.h"
#include "audio/features.h"
#include "audio/tests/test_signals.h"

namespace {

using namespace segue::audio;
using segue::audio::testing::DrumSpec;
using segue::audio::testing::Groove;
using segue::audio::testing::Signal;

// Clips are written at the CD rate, as music files are; Segue decodes them to its analysis rate.
// (aubio 0.4.9 reads them at their own rate: at 22050 Hz its onset detector misses most of the
// clicks of a metronome, at 44100 Hz it does not, so 44100 Hz is the fair choice for it.)
constexpr int kRate = 44100;
constexpr int kAnalysisRate = 22050;

// CPU time of this thread: wall time overstates the cost on a loaded machine.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

struct Clip {
  std::string kind;
  Signal signal;
};

// Clip i of set `set`: the tempo walks 60..200 BPM by the golden ratio so neighbours differ, the
// kind cycles through eight musical situations, the length through 20..30 s. Other sets start
// the walk elsewhere and use other seeds (set 0 is the one the analyzer was tuned on).
Clip make_clip(int i, int set) {
  const double frac = std::fmod(0.5 + set * 0.2113 + i * 0.6180339887498949, 1.0);
  const double bpm = std::round((60 + 140 * frac) * 10) / 10;
  const double seconds = 20 + (i * 7) % 11;
  const int key = (i * 5) % 12;
  const bool major = i % 3 != 0;
  const auto seed = static_cast<uint32_t>(1000 * (set + 1) + i);
  DrumSpec d;
  d.bpm = bpm;
  d.seed = seed;
  switch (i % 8) {
    case 0:
      return {"drums", testing::drum_pattern(d, seconds, kRate)};
    case 1:
      d.swing = 1;
      d.jitter_ms = 4;
      return {"swing", testing::drum_pattern(d, seconds, kRate)};
    case 2:
      // Syncopated kicks with sixteenth hats when slow: the classic octave trap.
      d.syncopated = true;
      d.hat_division = bpm < 110 ? 4 : 2;
      return {"syncopated", testing::drum_pattern(d, seconds, kRate)};
    case 3:
      d.beats_per_bar = 3;
      return {"waltz+chords", testing::mix(testing::drum_pattern(d, seconds, kRate),
                                           testing::chord_progression(key, major, seconds, kRate, 3 * 60 / bpm * 2))};
    case 4:
      d.hat_division = 4;
      return {"drums+chords+melody",
              testing::mix(testing::mix(testing::drum_pattern(d, seconds, kRate),
                                        testing::chord_progression(key, major, seconds, kRate, 4 * 60 / bpm * 2)),
                           testing::melody(key, major, bpm, seconds, kRate, seed))};
    case 5:
      return {"clicks", testing::click_track(bpm, seconds, kRate, 4, i % 2 == 0)};
    case 6:
      // Sixteenth hats at slow tempos, eighths at fast ones: more octave traps.
      d.hat_division = bpm < 100 ? 4 : 2;
      d.gain = 0.8;
      return {"octave-trap", testing::mix(testing::drum_pattern(d, seconds, kRate),
                                          testing::melody(key, major, bpm, seconds, kRate, seed, 0.2))};
    default:
      d.jitter_ms = 10;
      d.swing = 0.4;
      return {"human+chords", testing::mix(testing::drum_pattern(d, seconds, kRate),
                                           testing::chord_progression(key, major, seconds, kRate, 4 * 60 / bpm))};
  }
}

// Clip i of the "upbeat" family's set `set`: pieces between 118 and 170 BPM, where a beat
// tracker is tempted to report half the tempo (rock and pop with eighth hats, syncopated and
// breakbeat grooves, four-on-the-floor dance, shuffles), with bass, chords and melodies. Tempo,
// swing, jitter, hat level and the kick's pitch are drawn from the set's seed.
Clip make_upbeat_clip(int i, int set) {
  const double frac = std::fmod(0.37 + set * 0.3877 + i * 0.6180339887498949, 1.0);
  const double bpm = std::round((118 + 52 * frac) * 10) / 10;
  const double seconds = 20 + (i * 7) % 11;
  const auto seed = static_cast<uint32_t>(50000 + 1000 * set + i);
  // Per-clip variation from the seed (a small LCG so it does not depend on the drum generator).
  uint32_t x = seed * 2654435761u + 12345u;
  auto draw = [&x] {
    x = x * 1664525u + 1013904223u;
    return static_cast<double>(x >> 8) / 16777216.0;  // [0,1)
  };
  const int key = static_cast<int>(draw() * 12);
  const bool major = draw() < 0.6;
  DrumSpec d;
  d.bpm = bpm;
  d.seed = seed;
  d.kick_hz = 42 + 20 * draw();
  d.hat_gain = 0.6 + 0.9 * draw();
  d.jitter_ms = draw() < 0.5 ? 0 : 2 + 8 * draw();
  const double bar = 4 * 60 / bpm;
  auto chords = [&](double gain) { return testing::chord_progression(key, major, seconds, kRate, bar, gain); };
  auto bass = [&](int per_beat, bool offbeat) {
    return testing::bass_line(key, major, bpm, seconds, kRate, seed, per_beat, offbeat);
  };
  auto lead = [&](double gain) { return testing::melody(key, major, bpm, seconds, kRate, seed, gain); };
  switch (i % 8) {
    case 0:  // rock: kick 1 and 3, snare 2 and 4, eighth hats, bass on the beats, chords
      return {"rock", testing::mix(testing::mix(testing::drum_pattern(d, seconds, kRate), bass(1, false)),
                                   chords(0.3))};
    case 1:  // pop: rock drums under louder chords, eighth bass and a melody
      d.gain = 0.7;
      d.hat_division = bpm < 130 ? 4 : 2;
      return {"pop", testing::mix(testing::mix(testing::mix(testing::drum_pattern(d, seconds, kRate), bass(2, false)),
                                               chords(0.5)),
                                  lead(0.25))};
    case 2:  // syncopated kicks (the "and" of 2 and 4), eighth hats, eighth bass
      d.syncopated = true;
      return {"syncopated", testing::mix(testing::drum_pattern(d, seconds, kRate), bass(2, false))};
    case 3:  // four-on-the-floor dance: open hats and bass on the off-beats, chords
      d.groove = Groove::kFourOnFloor;
      d.open_hats = true;
      d.hat_division = draw() < 0.5 ? 2 : 4;
      return {"dance", testing::mix(testing::mix(testing::drum_pattern(d, seconds, kRate), bass(1, true)),
                                    chords(0.25))};
    case 4:  // breakbeat: kick 1, "a" of 2, "and" of 3; snare 2 and 4; sixteenth hats when slower
      d.groove = Groove::kBreakbeat;
      d.hat_division = bpm < 140 ? 4 : 2;
      return {"breakbeat", testing::mix(testing::drum_pattern(d, seconds, kRate), lead(0.2))};
    case 5:  // shuffle: swung eighths, a human drummer, chords and a walking bass
      d.swing = 0.6 + 0.4 * draw();
      d.jitter_ms = 4 + 6 * draw();
      return {"shuffle", testing::mix(testing::mix(testing::drum_pattern(d, seconds, kRate), bass(1, false)),
                                      chords(0.35))};
    case 6:  // syncopated funk: sixteenth hats, eighth bass, chords
      d.syncopated = true;
      d.hat_division = 4;
      return {"funk", testing::mix(testing::mix(testing::drum_pattern(d, seconds, kRate), bass(2, false)),
                                   chords(0.3))};
    default:  // punk/pop-punk: fast rock with quarter hats (or none), a melody and eighth bass
      d.hat_division = draw() < 0.5 ? 1 : 0;
      return {"punk", testing::mix(testing::mix(testing::drum_pattern(d, seconds, kRate), bass(2, false)),
                                   lead(0.25))};
  }
}

int generate(const std::string& dir, int clips, int set, const std::string& family) {
  std::filesystem::create_directories(dir);
  std::ofstream truth(dir + "/truth.tsv");
  truth << "file\tbpm\tkind\tmeter\n";
  for (int i = 0; i < clips; ++i) {
    Clip c = family == "upbeat" ? make_upbeat_clip(i, set) : make_clip(i, set);
    Pcm pcm;
    pcm.sample_rate = kRate;
    pcm.channels = 1;
    pcm.samples = std::move(c.signal.samples);
    char name[64];
    std::snprintf(name, sizeof name, "clip%02d.wav", i);
    const segue::Status st = encode_pcm_file(dir + "/" + name, Format::kWav, pcm, 0);
    if (!st.ok()) {
      std::fprintf(stderr, "%s: %s\n", name, st.error().message.c_str());
      return 1;
    }
    truth << name << '\t' << c.signal.bpm << '\t' << c.kind << '\t' << c.signal.beats_per_bar << '\n';
  }
  std::fprintf(stderr, "wrote %d clips to %s\n", clips, dir.c_str());
  return 0;
}

int analyze(const std::string& dir) {
  std::ifstream truth(dir + "/truth.tsv");
  std::string line;
  std::getline(truth, line);  // header
  double audio_s = 0, decode_s = 0, analyze_s = 0, analyze_cpu_s = 0;
  while (std::getline(truth, line)) {
    std::istringstream fields(line);
    std::string file, bpm, kind, meter;
    std::getline(fields, file, '\t');
    std::getline(fields, bpm, '\t');
    std::getline(fields, kind, '\t');
    std::getline(fields, meter, '\t');
    DecodeOptions opt;
    opt.sample_rate = kAnalysisRate;
    opt.channels = 1;
    const auto t0 = std::chrono::steady_clock::now();
    auto pcm = decode_file(dir + "/" + file, opt);
    const auto t1 = std::chrono::steady_clock::now();
    if (!pcm.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), pcm.error().message.c_str());
      return 1;
    }
    const double c1 = thread_cpu_seconds();
    auto a = analyze_pcm(pcm->samples.data(), pcm->samples.size(), pcm->sample_rate);
    const auto t2 = std::chrono::steady_clock::now();
    analyze_cpu_s += thread_cpu_seconds() - c1;
    if (!a.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), a.error().message.c_str());
      return 1;
    }
    const double dec = std::chrono::duration<double>(t1 - t0).count();
    const double ana = std::chrono::duration<double>(t2 - t1).count();
    audio_s += a->duration;
    decode_s += dec;
    analyze_s += ana;
    std::printf("RESULT impl=segue file=%s truth=%s kind=%s meter=%s tempo=%.2f ts=%d seconds=%.2f decode_ms=%.2f analyze_ms=%.2f\n",
                file.c_str(), bpm.c_str(), kind.c_str(), meter.c_str(), a->tempo, a->time_signature,
                a->duration, dec * 1000, ana * 1000);
  }
  std::printf("RESULT impl=segue-total audio_s=%.2f decode_s=%.4f analyze_s=%.4f analyze_cpu_s=%.4f features_x_realtime=%.0f features_x_realtime_cpu=%.0f decode_and_features_x_realtime=%.0f\n",
              audio_s, decode_s, analyze_s, analyze_cpu_s, audio_s / analyze_s, audio_s / analyze_cpu_s,
              audio_s / (decode_s + analyze_s));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "generate" && argc >= 3)
    return generate(argv[2], argc >= 4 ? std::atoi(argv[3]) : 48, argc >= 5 ? std::atoi(argv[4]) : 0,
                    argc >= 6 ? argv[5] : "wide");
  if (mode == "analyze" && argc >= 3) return analyze(argv[2]);
  std::fprintf(stderr, "usage: %s generate DIR [CLIPS [SET [wide|upbeat]]] | analyze DIR\n", argv[0]);
  return 2;
}
