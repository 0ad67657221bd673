#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace segue::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};

const char* level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "?";
}

void append_value(std::string& out, std::string_view v) {
  bool needs_quotes = v.empty();
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) needs_quotes = true;
  if (!needs_quotes) {
    out.append(v);
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
}
}  // namespace

void set_level(Level level) { g_level.store(level); }
Level level() { return g_level.load(); }

void write(Level lvl, std::string_view msg, const Fields& fields) {
  if (lvl < g_level.load(std::memory_order_relaxed)) return;
  write_raw(format_line(lvl, msg, fields));
}

void write_raw(std::string_view lines) {
  std::fwrite(lines.data(), 1, lines.size(), stderr);  // one call: lines do not interleave
}

void append_prefix(std::string& line, Level lvl, std::string_view msg) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  // gmtime_r and formatting once per second per thread; only the milliseconds change between.
  thread_local std::time_t cached_secs = -1;
  thread_local char cached[64];
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  char frac[8] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10), 'Z', 0, 0, 0};
  line += "ts=";
  line += cached;
  line.append(frac, 5);
  line += " level=";
  line += level_name(lvl);
  line += " msg=";
  append_value(line, msg);
}

void append_field(std::string& line, std::string_view key, std::string_view value) {
  line += ' ';
  line.append(key);
  line += '=';
  append_value(line, value);
}

std::string format_line(Level lvl, std::string_view msg, const Fields& fields) {
  std::string line;
  line.reserve(128);
  append_prefix(line, lvl, msg);
  for (const auto& [k, v] : fields) append_field(line, k, v);
  line += '\n';
  return line;
}

}  // namespace segue::log
