#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
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
[[noreturn]] void exec_child(char* const* argv, int in_fd, int out_fd, int err_fd, const Options& o) {
  ::setpgid(0, 0);
  if (in_fd < 0) in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(126);
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
  if (pid == 0) exec_child(cargv.data(), -1, out_w.fd, err_w.fd, options);
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

LineWorker::LineWorker(std::vector<std::string> argv, Options options)
    : argv_(std::move(argv)), options_(options) {}

LineWorker::~LineWorker() { stop(); }

Status LineWorker::spawn() {
  if (argv_.empty() || argv_[0].empty()) return Error::invalid("subprocess: empty command");
  std::vector<char*> cargv;
  for (const auto& a : argv_) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return Error::internal(std::string("socketpair: ") + std::strerror(errno));
  Fd in_parent{sv[0]}, in_child{sv[1]};
  Fd out_r, out_w, err_r, err_w;
  SEGUE_TRY(make_pipe(out_r, out_w));
  SEGUE_TRY(make_pipe(err_r, err_w));
  pid_t pid = ::fork();
  if (pid < 0) return Error::internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(cargv.data(), in_child.fd, out_w.fd, err_w.fd, options_);
  ::setpgid(pid, pid);
  pid_ = pid;
  in_ = in_parent.fd;
  out_ = out_r.fd;
  err_ = err_r.fd;
  in_parent.fd = out_r.fd = err_r.fd = -1;  // now owned by the worker
  out_buffer_.clear();
  err_tail_.clear();
  ++started_;
  return {};
}

Outcome LineWorker::reap(bool kill_first) {
  Outcome o;
  if (pid_ < 0) return o;
  if (kill_first) ::kill(-pid_, SIGKILL);
  // A child that closed its output may still be running: give it a moment, then kill it.
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (true) {
    pid_t w = ::waitpid(pid_, &status, WNOHANG);
    if (w == pid_) break;
    if (w < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    ::usleep(1000);
  }
  ::kill(-pid_, SIGKILL);  // anything it left in its group
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  for (int* fd : {&in_, &out_, &err_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  o.err = err_tail_;
  pid_ = -1;
  return o;
}

void LineWorker::stop() {
  if (pid_ < 0) return;
  ::shutdown(in_, SHUT_WR);  // end of input: a well-behaved worker exits
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t w = ::waitpid(pid_, &status, WNOHANG);
    if (w == pid_) {
      ::kill(-pid_, SIGKILL);
      for (int* fd : {&in_, &out_, &err_}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
      }
      pid_ = -1;
      return;
    }
    ::usleep(2000);
  }
  reap(true);
}

Result<LineWorker::Reply> LineWorker::request(std::string_view line, const std::atomic<bool>* cancel_flag) {
  const std::atomic<bool>* cancel_ptr = cancel_flag ? cancel_flag : options_.cancel;
  if (line.find('\n') != std::string_view::npos) return Error::invalid("subprocess: a request is one line");
  if (pid_ < 0) SEGUE_TRY(spawn());
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options_.timeout;
  Reply reply;
  std::string msg(line);
  msg.push_back('\n');
  for (std::size_t sent = 0; sent < msg.size();) {
    ssize_t n = ::send(in_, msg.data() + sent, msg.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // the child is gone
      reply.outcome = reap(true);
      reply.outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      return reply;
    }
    sent += static_cast<std::size_t>(n);
  }
  char buf[65536];
  while (true) {
    if (auto nl = out_buffer_.find('\n'); nl != std::string::npos) {
      reply.ok = true;
      reply.line = out_buffer_.substr(0, nl);
      out_buffer_.erase(0, nl + 1);
      return reply;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const bool cancelled = cancel_ptr && cancel_ptr->load();
    if (left.count() <= 0 || cancelled || out_buffer_.size() > options_.max_output) {
      reply.outcome = reap(true);
      reply.outcome.timed_out = left.count() <= 0;
      reply.outcome.cancelled = cancelled;
      if (out_buffer_.size() > options_.max_output) reply.outcome.err += "\n[output larger than " + std::to_string(options_.max_output) + " bytes]";
      reply.outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      return reply;
    }
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    int rc = ::poll(fds, err_ >= 0 ? 2 : 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (rc < 0 && errno != EINTR) return Error::internal(std::string("poll: ") + std::strerror(errno));
    if (rc <= 0) continue;
    if (err_ >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::read(err_, buf, sizeof buf);
      if (n > 0) {
        err_tail_.append(buf, static_cast<std::size_t>(n));
        if (err_tail_.size() > options_.max_error_output) err_tail_.erase(0, err_tail_.size() - options_.max_error_output);
      } else if (n == 0) {
        ::close(err_);
        err_ = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n > 0) {
        out_buffer_.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0) {  // the child closed its output: it died or exited mid-request
        reply.outcome = reap(false);
        reply.outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        return reply;
      }
    }
  }
}

}  // namespace segue::subprocess
