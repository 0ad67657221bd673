// Runs a program in a child process with a time limit, capturing what it prints. Used to keep
// work on untrusted input (decoding audio files) out of the server process: a decoder that
// crashes or hangs takes down only its child, which is killed when its time is up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace segue::subprocess {

struct Options {
  std::chrono::milliseconds timeout{60'000};
  int nice = 0;                          // added niceness (0..19): background work yields to streaming
  uint64_t max_address_space = 0;        // RLIMIT_AS in bytes; 0 = unlimited
  std::size_t max_output = 64 << 20;     // stdout beyond this is an error (the child is killed)
  std::size_t max_error_output = 16 << 10;  // the last this many bytes of stderr are kept
  // When set and it becomes true, the child is killed within ~100 ms and the outcome says
  // `cancelled` (the server shutting down must not wait for a long decode).
  const std::atomic<bool>* cancel = nullptr;
};

struct Outcome {
  int exit_code = -1;   // valid when signal == 0 and !timed_out
  int signal = 0;       // the signal that ended the child, 0 if it exited
  bool timed_out = false;
  bool cancelled = false;
  std::string out;      // everything on stdout
  std::string err;      // the tail of stderr
  std::chrono::milliseconds elapsed{0};

  bool succeeded() const { return !timed_out && !cancelled && signal == 0 && exit_code == 0; }
  // "exited with status 3", "killed by signal 11 (Segmentation fault)", "timed out after 5000 ms".
  std::string describe() const;
};

// Runs argv[0] (an absolute path) with argv, stdin from /dev/null, in its own process group
// and with no descriptors inherited but 0-2. Returns the outcome whatever the child did;
// Error::internal only if the child could not be started or waited for, Error::invalid for an
// empty argv. Blocking: call from a worker thread.
Result<Outcome> run(const std::vector<std::string>& argv, const Options& options);

// The absolute path of the running executable (/proc/self/exe), to start workers of ourselves.
std::string self_executable();

}  // namespace segue::subprocess
