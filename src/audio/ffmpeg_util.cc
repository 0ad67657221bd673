#include "audio/ffmpeg_util.h"

#include <mutex>

namespace segue::audio::detail {

std::string av_error(const std::string& what, int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return what + ": " + buf;
}

void quiet_ffmpeg_logs() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_FATAL); });
}

}  // namespace segue::audio::detail
