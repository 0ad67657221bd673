// For tests that need a real Redis: the one SEGUE_TEST_REDIS names (scripts/test.sh starts one
// for its PostgreSQL pass), else a throwaway one started with scripts/redis-test.sh (the test
// target defines SEGUE_REDIS_TEST_SCRIPT), removed by the destructor. url() is empty, with
// skip_reason() saying why, when neither is possible (redis-server not installed).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace segue::redis::testing {

class TestRedis {
 public:
  TestRedis() {
    if (const char* env = std::getenv("SEGUE_TEST_REDIS"); env && *env) {
      url_ = env;
      return;
    }
#ifdef SEGUE_REDIS_TEST_SCRIPT
    if (std::system("command -v redis-server >/dev/null 2>&1") != 0) {
      why_ = "SEGUE_TEST_REDIS is not set and redis-server is not installed (scripts/setup.sh installs it)";
      return;
    }
    char tmpl[] = "/tmp/segue-redis-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      why_ = "cannot create a directory for Redis";
      return;
    }
    dir_ = tmpl;
    url_ = run("start");
    if (url_.empty()) why_ = "scripts/redis-test.sh start failed";
#else
    why_ = "SEGUE_TEST_REDIS is not set";
#endif
  }
  ~TestRedis() {
    if (!dir_.empty()) run("stop");
  }
  TestRedis(const TestRedis&) = delete;
  TestRedis& operator=(const TestRedis&) = delete;

  const std::string& url() const { return url_; }
  const std::string& skip_reason() const { return why_; }
  // True for a Redis started here (not SEGUE_TEST_REDIS's): a test may reconfigure or restart it.
  bool owned() const { return !dir_.empty() && !url_.empty(); }
  // Stops and starts the throwaway Redis again (same socket, same data directory); false when
  // the Redis is SEGUE_TEST_REDIS's (not ours to restart).
  bool restart() {
    if (dir_.empty()) return false;
    std::string pid_file = dir_ + "/redis.pid";
    std::system(("kill \"$(cat '" + pid_file + "')\"; while kill -0 \"$(cat '" + pid_file +
                 "')\" 2>/dev/null; do sleep 0.05; done").c_str());
    return !run("start").empty();
  }

 private:
  std::string run(const std::string& cmd) {
    std::string line;
#ifdef SEGUE_REDIS_TEST_SCRIPT
    if (FILE* p = ::popen((std::string(SEGUE_REDIS_TEST_SCRIPT) + " " + cmd + " '" + dir_ + "'").c_str(), "r")) {
      char buf[512];
      if (std::fgets(buf, sizeof buf, p)) line = buf;
      ::pclose(p);
    }
#endif
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }
  std::string url_, why_, dir_;
};

}  // namespace segue::redis::testing
