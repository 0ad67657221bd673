// Transcodes one audio file into another format and bitrate, streaming: the source is decoded
// chunk by chunk (audio/decoder.h) straight into a StreamEncoder, so a long track never sits
// in memory as PCM. The output is written as `out_path + ".part"`, checked, fsynced and renamed
// onto `out_path`: a reader never sees a partial file under the final name.
//
// Source files are untrusted. A damaged file is an Error; a decoder that crashes or hangs is
// contained by running transcode() in a child process (`segue worker transcode`, see
// app/worker.h), which is what the transcode cache does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "audio/encoder.h"
#include "common/result.h"

namespace segue::audio {

// The codec names used on the wire and in the catalog ("vorbis", "opus", "aac", "mp3", "flac",
// "wav") for the formats an encoding can have. Inverse of codec_name().
std::string_view codec_name(Format fmt);
std::optional<Format> format_from_codec_name(std::string_view codec);
// The container ("ogg", "mp4", "mp3", "flac", "wav") and MIME type ("audio/ogg",
// "audio/ogg; codecs=opus", "audio/mp4"...) of a file in `fmt`, named as the catalog names them.
std::string_view container_name(Format fmt);
std::string_view mime_type(Format fmt);

struct TranscodeOptions {
  // Stop after this much audio: a file claiming days of audio must not fill the disk.
  double max_seconds = 6 * 3600;
  // Decode the output again and compare its duration and bitrate with what was asked.
  bool verify = true;
};

struct TranscodeReport {
  std::string source_codec;
  double source_seconds = 0;  // decoded length of the source
  double seconds = 0;         // decoded length of the output (source_seconds if not verified)
  int64_t bytes = 0;          // size of the output file
  int bitrate_kbps = 0;       // bytes * 8 / seconds, container overhead included
  int sample_rate = 0;        // of the output
  int channels = 0;           // of the output (1 or 2; more are downmixed)
};

// Transcodes `in_path` into `out_path` as `fmt` at `bitrate_kbps` (ignored by FLAC and WAV).
// Output rate: Opus 48 kHz; others keep the source rate up to 48 kHz, above that 48 kHz.
// Checks (with options.verify): the output decodes, its duration is the source's within
// 0.1 s, and its bitrate is not above 1.3x the request plus 16 kbps of container overhead.
// Errors: Error::not_found (no source), Error::invalid (not decodable audio, or a check
// failed), Error::unavailable (encoder missing), Error::internal (I/O). On error neither
// `out_path` nor its .part file is left behind (an existing `out_path` is untouched).
// Blocking and CPU-bound; any worker thread or a worker process.
Result<TranscodeReport> transcode(const std::string& in_path, const std::string& out_path, Format fmt,
                                  int bitrate_kbps, const TranscodeOptions& options = {});

}  // namespace segue::audio
