// Transcoding speed: every file of a directory to every tier with audio::transcode, one thread,
// timed in CPU seconds of this thread (x realtime per core = audio seconds / CPU seconds) and
// wall seconds. Prints one RESULT line per encode for bench/transcode/run.sh.
//
//   segue_transcode_bench IN_DIR OUT_DIR [verify]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "audio/transcoder.h"

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Tier {
  segue::audio::Format format;
  int kbps;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace segue::audio;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s IN_DIR OUT_DIR [verify]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path in_dir = argv[1], out_dir = argv[2];
  const bool verify = argc > 3 && std::string(argv[3]) == "verify";
  std::filesystem::create_directories(out_dir);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(in_dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const std::vector<Tier> tiers = {{Format::kOgg, 96},  {Format::kOgg, 160}, {Format::kOgg, 320}, {Format::kOpus, 96},
                                   {Format::kOpus, 160}, {Format::kM4a, 128}, {Format::kM4a, 256}};
  TranscodeOptions options;
  options.verify = verify;
  int failures = 0;
  for (const auto& t : tiers) {
    for (const auto& f : files) {
      const auto out = out_dir / (f.stem().string() + "-" + std::string(codec_name(t.format)) + std::to_string(t.kbps) +
                                  "." + std::string(extension(t.format)));
      const double cpu0 = thread_cpu_seconds();
      const auto wall0 = std::chrono::steady_clock::now();
      auto r = transcode(f.string(), out.string(), t.format, t.kbps, options);
      const double cpu = thread_cpu_seconds() - cpu0;
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
      if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", f.c_str(), r.error().message.c_str());
        ++failures;
        continue;
      }
      std::printf("RESULT impl=segue%s tier=%s%d file=%s audio_s=%.3f cpu_s=%.3f wall_s=%.3f bytes=%lld kbps=%d\n",
                  verify ? "-verify" : "", std::string(codec_name(t.format)).c_str(), t.kbps,
                  f.filename().c_str(), r->source_seconds, cpu, wall, static_cast<long long>(r->bytes), r->bitrate_kbps);
      std::fflush(stdout);
    }
  }
  return failures == 0 ? 0 : 1;
}
