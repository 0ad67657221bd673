// Encodes PCM into audio files with the FFmpeg libraries (no CLI tools).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "audio/synth.h"
#include "common/result.h"

namespace segue::audio {

enum class Format {
  kMp3,   // libmp3lame in an MP3 file (CBR at the given bitrate)
  kFlac,  // lossless FLAC, 16 bit
  kOgg,   // libvorbis in Ogg (ABR at the given bitrate)
  kOpus,  // libopus in Ogg at 48 kHz (resampled with libswresample)
  kM4a,   // FFmpeg's native AAC encoder in an MP4 (.m4a) container
  kWav,   // PCM signed 16-bit little-endian in RIFF/WAVE
};

// "mp3", "flac", "ogg", "opus", "m4a", "wav": the usual file extension (without the dot).
std::string_view extension(Format fmt);
// Inverse of extension(); also accepts "oga" and "mp4".
std::optional<Format> format_from_extension(std::string_view ext);

// Encodes a stream of PCM chunks into a file, so that a long track never has to sit in memory:
// open() once, write() chunks of any size, then finish(). Owns the output file: destroying an
// encoder that was not finished closes the file, which is then incomplete (callers write to a
// temporary name and rename on success; see audio/transcoder.h). Not thread-safe: one thread at
// a time. Blocking and CPU-bound; any worker thread.
class StreamEncoder {
 public:
  // Creates or truncates `path` as `fmt` for interleaved float PCM of `channels` (1 or 2) at
  // `sample_rate` (8..192 kHz). Opus is resampled to 48 kHz; the other formats keep the rate
  // unless `output_rate` (8..192 kHz) is given. `bitrate_kbps` applies to the lossy formats. Error::invalid for bad parameters,
  // Error::unavailable if this FFmpeg lacks the encoder, Error::internal on encoder/IO failures.
  static Result<std::unique_ptr<StreamEncoder>> open(const std::string& path, Format fmt, int sample_rate,
                                                     int channels, int bitrate_kbps, int output_rate = 0);
  ~StreamEncoder();
  StreamEncoder(const StreamEncoder&) = delete;
  StreamEncoder& operator=(const StreamEncoder&) = delete;

  // Encodes `frames` frames (frames * channels values). Errors are final.
  Status write(const float* interleaved, std::size_t frames);
  // Drains the resampler and encoder and writes the trailer. After success the file is
  // complete (but not fsynced). Call once.
  Status finish();

  int64_t frames_in() const;  // input frames accepted so far

  struct Impl;

 private:
  explicit StreamEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Writes `pcm` to `path` (created or truncated) as `fmt` (a StreamEncoder fed in one chunk). `bitrate_kbps` applies to the lossy
// formats and is ignored by FLAC and WAV. Fails with Error::invalid for empty or malformed PCM,
// Error::unavailable if this FFmpeg lacks the encoder, Error::internal on encoder/IO failures
// (a partially written file may remain). Blocking and CPU-bound; any worker thread.
Status encode_pcm_file(const std::string& path, Format fmt, const Pcm& pcm, int bitrate_kbps);

}  // namespace segue::audio
