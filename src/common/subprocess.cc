#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace segue::subprocess {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Status make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::internal(std::string("pipe: ") + std::strerror(errno));
  read_end.fd = p[0];
  write_end.fd = p[1];
  return {};
}

// Between fork and exec only async-signal-safe system calls: no allocation, no locks.
[[noreturn]] void exec_child(char* const* argv, int out_fd, int err_fd, const Options& o) {
  ::setpgid(0, 0);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(126);
  ::close_range(3, ~0U, 0);
  if (o.nice > 0) ::setpriority(PRIO_PROCESS, 0, o.nice > 19 ? 19 : o.nice);
  if (o.max_address_space > 0) {
    struct rlimit r{o.max_address_space, o.max_address_space};
    ::setrlimit(RLIMIT_AS, &r);
  }
  struct rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execv(argv[0], argv);
  ::_exit(127);
}

}  // namespace

std::string Outcome::describe() const {
  if (cancelled) return "cancelled";
  if (timed_out) return "timed out after " + std::to_string(elapsed.count()) + " ms";
  if (signal != 0) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exited with status " + std::to_string(exit_code);
}

std::string self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

Result<Outcome> run(const std::vector<std::string>& argv, const Options& options) {
  if (argv.empty() || argv[0].empty()) return Error::invalid("subprocess: empty command");
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  Fd out_r, out_w, err_r, err_w;
  SEGUE_TRY(make_pipe(out_r, out_w));
  SEGUE_TRY(make_pipe(err_r, err_w));
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) return Error::internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(cargv.data(), out_w.fd, err_w.fd, options);
  // Also set the group from the parent: whichever runs first, kill(-pid) then reaches the child.
  ::setpgid(pid, pid);
  out_w.reset();
  err_w.reset();

  Outcome outcome;
  const auto deadline = start + options.timeout;
  bool overflow = false;
  char buf[65536];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      break;
    }
    if (options.cancel && options.cancel->load()) {
      outcome.cancelled = true;
      break;
    }
    pollfd fds[2];
    int n = 0;
    if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
    int rc = ::poll(fds, n, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (rc < 0 && errno != EINTR) break;
    for (int i = 0; i < n && rc > 0; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Fd& which = fds[i].fd == out_r.fd ? out_r : err_r;
      ssize_t got = ::read(which.fd, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        which.reset();
        continue;
      }
      if (&which == &out_r) {
        outcome.out.append(buf, static_cast<std::size_t>(got));
        if (outcome.out.size() > options.max_output) overflow = true;
      } else {
        outcome.err.append(buf, static_cast<std::size_t>(got));
        if (outcome.err.size() > 2 * options.max_error_output)
          outcome.err.erase(0, outcome.err.size() - options.max_error_output);
      }
    }
    if (overflow) break;
  }
  if (outcome.timed_out || outcome.cancelled || overflow) ::kill(-pid, SIGKILL);
  // The child may close its output and keep running: the deadline still holds.
  int status = 0;
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return Error::internal(std::string("waitpid: ") + std::strerror(errno));
    if (!outcome.timed_out && !outcome.cancelled) {
      if (std::chrono::steady_clock::now() >= deadline) outcome.timed_out = true;
      if (options.cancel && options.cancel->load()) outcome.cancelled = true;
      if (outcome.timed_out || outcome.cancelled) ::kill(-pid, SIGKILL);
    }
    ::usleep(2000);
  }
  // Grandchildren left in the group die with it.
  ::kill(-pid, SIGKILL);
  outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (outcome.err.size() > options.max_error_output)
    outcome.err.erase(0, outcome.err.size() - options.max_error_output);
  if (overflow) {
    outcome.exit_code = -1;
    outcome.signal = SIGKILL;
    outcome.err += "\n[output larger than " + std::to_string(options.max_output) + " bytes]";
    return outcome;
  }
  if (!outcome.timed_out && !outcome.cancelled) {
    if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  }
  return outcome;
}

}  // namespace segue::subprocess
