#include "audio/transcoder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "audio/decoder.h"

namespace segue::audio {
namespace {

// Output durations may differ from the source's by the codec's frame padding when the
// container cannot trim it exactly; anything beyond this is a broken encoding.
constexpr double kDurationTolerance = 0.1;

Status fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Error::internal("open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Error::internal("fsync " + path + ": " + std::strerror(err));
  return {};
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Removes the .part file unless released (every early return of transcode()).
struct PartFile {
  std::string path;
  bool keep = false;
  ~PartFile() {
    if (!keep) ::unlink(path.c_str());
  }
};

}  // namespace

std::string_view codec_name(Format fmt) {
  switch (fmt) {
    case Format::kMp3: return "mp3";
    case Format::kFlac: return "flac";
    case Format::kOgg: return "vorbis";
    case Format::kOpus: return "opus";
    case Format::kM4a: return "aac";
    case Format::kWav: return "wav";
  }
  return "";
}

std::optional<Format> format_from_codec_name(std::string_view codec) {
  if (codec == "mp3") return Format::kMp3;
  if (codec == "flac") return Format::kFlac;
  if (codec == "vorbis") return Format::kOgg;
  if (codec == "opus") return Format::kOpus;
  if (codec == "aac") return Format::kM4a;
  if (codec == "wav") return Format::kWav;
  return std::nullopt;
}

std::string_view container_name(Format fmt) {
  switch (fmt) {
    case Format::kMp3: return "mp3";
    case Format::kFlac: return "flac";
    case Format::kOgg: return "ogg";
    case Format::kOpus: return "ogg";
    case Format::kM4a: return "mp4";
    case Format::kWav: return "wav";
  }
  return "";
}

std::string_view mime_type(Format fmt) {
  switch (fmt) {
    case Format::kMp3: return "audio/mpeg";
    case Format::kFlac: return "audio/flac";
    case Format::kOgg: return "audio/ogg";
    case Format::kOpus: return "audio/ogg; codecs=opus";
    case Format::kM4a: return "audio/mp4";
    case Format::kWav: return "audio/wav";
  }
  return "application/octet-stream";
}

Result<TranscodeReport> transcode(const std::string& in_path, const std::string& out_path, Format fmt,
                                  int bitrate_kbps, const TranscodeOptions& options) {
  if (out_path.empty()) return Error::invalid("empty output path");
  const bool lossy = fmt != Format::kFlac && fmt != Format::kWav;
  if (lossy && (bitrate_kbps < 8 || bitrate_kbps > 512)) return Error::invalid("bitrate must be 8..512 kbps");
  PartFile part{out_path + ".part"};
  ::unlink(part.path.c_str());

  std::unique_ptr<StreamEncoder> encoder;
  TranscodeReport report;
  DecodeOptions dopts;
  dopts.max_seconds = options.max_seconds;
  auto info = decode_file(in_path, dopts, [&](const float* pcm, std::size_t frames, const StreamInfo& i) -> Status {
    if (!encoder) {
      // Opened on the first chunk, when the decoder knows the rate and channel count.
      const int out_rate = i.sample_rate > 48000 ? 48000 : 0;
      SEGUE_ASSIGN_OR_RETURN(encoder, StreamEncoder::open(part.path, fmt, i.sample_rate, i.channels,
                                                          bitrate_kbps, out_rate));
    }
    return encoder->write(pcm, frames);
  });
  if (!info.ok()) return info.error();
  if (!encoder || info->frames_decoded == 0) return Error::invalid("no audio could be decoded");
  SEGUE_TRY(encoder->finish());
  encoder.reset();  // closes the file

  report.source_codec = info->codec;
  report.source_seconds = static_cast<double>(info->frames_decoded) / info->sample_rate;
  report.seconds = report.source_seconds;
  struct stat st{};
  if (::stat(part.path.c_str(), &st) != 0) return Error::internal("stat " + part.path + ": " + std::strerror(errno));
  report.bytes = st.st_size;

  if (options.verify) {
    int64_t frames = 0;
    auto out_info = decode_file(part.path, {}, [&](const float*, std::size_t n, const StreamInfo&) -> Status {
      frames += static_cast<int64_t>(n);
      return {};
    });
    if (!out_info.ok()) return Error::internal("the encoded file does not decode: " + out_info.error().message);
    report.seconds = static_cast<double>(frames) / out_info->sample_rate;
    report.sample_rate = out_info->sample_rate;
    report.channels = out_info->channels;
    if (std::abs(report.seconds - report.source_seconds) > kDurationTolerance)
      return Error::internal("the encoded file lasts " + std::to_string(report.seconds) + " s, the source " +
                             std::to_string(report.source_seconds) + " s");
  } else {
    report.sample_rate = fmt == Format::kOpus ? 48000 : std::min(info->sample_rate, 48000);
    report.channels = info->channels;
  }
  if (report.seconds > 0)
    report.bitrate_kbps = static_cast<int>(std::lround(static_cast<double>(report.bytes) * 8 / report.seconds / 1000));
  // Very short files are dominated by headers; only judge the bitrate from a few seconds on.
  if (options.verify && lossy && report.seconds >= 5 && report.bitrate_kbps > bitrate_kbps * 1.3 + 16)
    return Error::internal("the encoded file has " + std::to_string(report.bitrate_kbps) + " kbps, " +
                           std::to_string(bitrate_kbps) + " were asked for");

  SEGUE_TRY(fsync_path(part.path, O_RDONLY));
  if (::rename(part.path.c_str(), out_path.c_str()) != 0)
    return Error::internal("rename onto " + out_path + ": " + std::strerror(errno));
  part.keep = true;
  // The rename itself is durable once the directory is synced.
  SEGUE_TRY(fsync_path(parent_dir(out_path), O_RDONLY | O_DIRECTORY));
  return report;
}

}  // namespace segue::audio
