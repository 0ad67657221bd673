// Structured logging: one line per event, `key=value` pairs after a timestamp and level.
// Thread-safe; writes to stderr.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace segue::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void set_level(Level level);
Level level();

using Fields = std::vector<std::pair<std::string_view, std::string>>;

// Writes `ts=... level=... msg="..." k=v ...`; values with spaces or quotes are quoted.
void write(Level level, std::string_view msg, const Fields& fields = {});

// The line write() would print, with its trailing newline, for callers that buffer lines.
std::string format_line(Level level, std::string_view msg, const Fields& fields = {});
// Building blocks of a line, for hot paths that append to their own buffer without
// allocating: the "ts=... level=... msg=..." prefix, then " key=value" per field, then '\n'.
void append_prefix(std::string& line, Level level, std::string_view msg);
void append_field(std::string& line, std::string_view key, std::string_view value);
// Writes already formatted lines in one call.
void write_raw(std::string_view lines);

inline void info(std::string_view msg, const Fields& f = {}) { write(Level::kInfo, msg, f); }
inline void warn(std::string_view msg, const Fields& f = {}) { write(Level::kWarn, msg, f); }
inline void error(std::string_view msg, const Fields& f = {}) { write(Level::kError, msg, f); }
inline void debug(std::string_view msg, const Fields& f = {}) { write(Level::kDebug, msg, f); }

}  // namespace segue::log
