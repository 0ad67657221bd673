#include "app/worker.h"

#include <cstdio>
#include <iostream>
#include <string>

#include "analysis/analysis_service.h"
#include "audio/transcoder.h"
#include "common/strings.h"
#include "transcode/cache.h"

namespace segue::app {
namespace {

int print_line(const std::string& line, int status) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  return status;
}

// Writes OUT.part, checks it, renames it onto OUT (audio::transcode).
int worker_transcode(int argc, char** argv) {
  if (argc != 7)
    return print_line(transcode::error_to_json(Error::invalid("usage: segue worker transcode IN OUT FORMAT KBPS")), 2);
  auto format = audio::format_from_codec_name(argv[5]);
  auto kbps = strings::parse_int(argv[6]);
  if (!format) return print_line(transcode::error_to_json(Error::invalid(std::string("unknown format ") + argv[5])), 2);
  if (!kbps || *kbps < 0 || *kbps > 512)
    return print_line(transcode::error_to_json(Error::invalid("KBPS must be 0..512")), 2);
  auto report = audio::transcode(argv[3], argv[4], *format, static_cast<int>(*kbps));
  if (!report.ok()) return print_line(transcode::error_to_json(report.error()), 1);
  return print_line(transcode::report_to_json(*report), 0);
}

}  // namespace

int run_worker(int argc, char** argv) {
  const std::string kind = argc > 2 ? argv[2] : "";
  if (kind == "transcode") return worker_transcode(argc, argv);
  if (kind == "analyze") {
    if (argc != 4) return print_line(transcode::error_to_json(Error::invalid("usage: segue worker analyze FILE|--stdin")), 2);
    if (std::string(argv[3]) == "--stdin") return analysis::analyze_worker_loop(std::cin, std::cout);
    return analysis::analyze_worker_main(argv[3]);
  }
  return print_line(transcode::error_to_json(Error::invalid("unknown worker '" + kind + "' (known: transcode, analyze)")), 2);
}

}  // namespace segue::app
