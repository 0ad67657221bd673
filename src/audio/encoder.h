// Encodes PCM into audio files with the FFmpeg libraries (no CLI tools).
#pragma once

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

// Writes `pcm` to `path` (created or truncated) as `fmt`. `bitrate_kbps` applies to the lossy
// formats and is ignored by FLAC and WAV. Fails with Error::invalid for empty or malformed PCM,
// Error::unavailable if this FFmpeg lacks the encoder, Error::internal on encoder/IO failures
// (a partially written file may remain). Blocking and CPU-bound; any worker thread.
Status encode_pcm_file(const std::string& path, Format fmt, const Pcm& pcm, int bitrate_kbps);

}  // namespace segue::audio
