// The analysis worker as the server runs it (`segue worker analyze FILE` and `--stdin`), as a
// small binary for the service tests, which cannot start the segue executable. With
// SEGUE_TEST_HOSTILE=1 it plays a hostile file's decoder in the `--stdin` mode: a path with
// "crash" in it kills the process with SIGSEGV, one with "hang" never returns.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "analysis/analysis_service.h"

int main(int argc, char** argv) {
  if (argc != 4 || std::strcmp(argv[1], "worker") != 0 || std::strcmp(argv[2], "analyze") != 0) return 64;
  if (std::strcmp(argv[3], "--stdin") != 0) return segue::analysis::analyze_worker_main(argv[3]);
  const char* hostile = std::getenv("SEGUE_TEST_HOSTILE");
  if (!hostile || std::strcmp(hostile, "1") != 0) return segue::analysis::analyze_worker_loop(std::cin, std::cout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find("crash") != std::string::npos) ::raise(SIGSEGV);
    if (line.find("hang") != std::string::npos) ::pause();
    std::istringstream one(line + "\n");
    if (int rc = segue::analysis::analyze_worker_loop(one, std::cout); rc != 0) return rc;
  }
  return 0;
}
