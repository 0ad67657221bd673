// The analysis worker as the server runs it (`segue worker analyze FILE`), as a small binary
// for the service tests, which cannot start the segue executable.
#include <cstring>

#include "audio/analysis_service.h"

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "worker") == 0 && std::strcmp(argv[2], "analyze") == 0)
    return segue::audio::analyze_worker_main(argv[3]);
  return 64;
}
