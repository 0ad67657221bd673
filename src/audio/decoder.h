// Decodes audio files with the FFmpeg libraries (libavformat, libavcodec, libswresample) into
// interleaved float PCM, streamed to a sink chunk by chunk so that a long file never has to fit
// in memory. Reads whatever this FFmpeg build reads (MP3, FLAC, Vorbis, Opus, AAC, ALAC, WAV...).
//
// Files are untrusted: a damaged packet is skipped (up to a limit), a file that is not audio is
// an Error. A decoder that crashes or hangs on a hostile file is contained by the caller running
// it in a subprocess (see audio/isolation.h), not here.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "audio/synth.h"
#include "common/result.h"

namespace segue::audio {

struct DecodeOptions {
  int sample_rate = 0;     // output rate; 0 keeps the file's rate
  int channels = 0;        // 1 or 2; 0 keeps the file's layout up to 2. Downmixes use
                           // libswresample's matrix (stereo to mono: each side at -3 dB)
  double max_seconds = 0;  // stop after this much output; 0 = the whole file
};

struct StreamInfo {
  int sample_rate = 0;       // of the PCM handed to the sink
  int channels = 0;          // of the PCM handed to the sink
  int source_sample_rate = 0;
  int source_channels = 0;
  std::string codec;          // FFmpeg's codec name: "mp3", "flac", "vorbis", "opus", "aac"...
  double duration_s = 0;      // the container's duration, 0 if unknown
  int64_t frames_decoded = 0;  // frames handed to the sink
  int damaged_packets = 0;    // packets that failed to decode and were skipped
};

// Receives `frames` frames of interleaved float samples (frames * channels values). Return an
// Error to stop decoding; decode_file() then returns that Error.
using PcmSink = std::function<Status(const float* interleaved, std::size_t frames, const StreamInfo& info)>;

// Decodes the first audio stream of `path`. Error::not_found if the file is missing,
// Error::invalid if it holds no decodable audio or too many packets are damaged. Blocking and
// CPU-bound: call from a worker thread.
Result<StreamInfo> decode_file(const std::string& path, const DecodeOptions& options, const PcmSink& sink);

// Convenience: the whole decoded file in memory, cut at `options.max_seconds` if set. Without a
// limit, output longer than 20 minutes is refused (Error::invalid): a file claiming days of audio
// must not exhaust memory. Long files go through the streaming overload.
Result<Pcm> decode_file(const std::string& path, const DecodeOptions& options = {});

}  // namespace segue::audio
