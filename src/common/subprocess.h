// Runs a program in a child process with a time limit, capturing what it prints. Used to keep
// work on untrusted input (decoding audio files) out of the server process: a decoder that
// crashes or hangs takes down only its child, which is killed when its time is up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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

// A long-lived child that answers each request line with one response line, so work on many
// files pays for starting a process once (a binary linked with FFmpeg takes ~0.1 s of CPU to
// start). Isolation is the same: a crash, a hang past `options.timeout` (per request) or a
// cancel kills the child, that request fails with the outcome, and the next request starts a
// fresh child. Not thread-safe: one LineWorker per thread.
class LineWorker {
 public:
  LineWorker(std::vector<std::string> argv, Options options);
  ~LineWorker();
  LineWorker(const LineWorker&) = delete;
  LineWorker& operator=(const LineWorker&) = delete;

  struct Reply {
    bool ok = false;     // a line came back
    std::string line;    // without the newline
    Outcome outcome;     // when !ok: how the child ended (signal, exit status, timed_out, cancelled)
  };
  // `line` must not contain a newline (Error::invalid). Error::internal if no child can start.
  // `cancel`, if given, replaces options.cancel for this request.
  Result<Reply> request(std::string_view line, const std::atomic<bool>* cancel = nullptr);
  // Ends the child (closing its input; killed if it does not exit within a second).
  void stop();
  int started() const { return started_; }  // children started so far

 private:
  Status spawn();
  Outcome reap(bool kill_first);
  std::vector<std::string> argv_;
  Options options_;
  int pid_ = -1;
  int in_ = -1;   // our end of the child's stdin (a socket: writes never raise SIGPIPE)
  int out_ = -1;  // the child's stdout
  int err_ = -1;  // the child's stderr
  std::string out_buffer_;
  std::string err_tail_;
  int started_ = 0;
};

// The absolute path of the running executable (/proc/self/exe), to start workers of ourselves.
std::string self_executable();

}  // namespace segue::subprocess
