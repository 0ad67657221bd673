// The catalog's domain model: artists, albums, tracks, the audio files behind tracks, and
// cover images. Plain values; ids are 22-character base62 strings derived from stable keys
// (see scanner.h for the derivation rules).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"

namespace segue::catalog {

struct Artist {
  ArtistId id;
  std::string name;
  std::string sort_name;
  std::optional<std::string> musicbrainz_id;
};

struct Album {
  AlbumId id;
  std::string name;
  std::vector<ArtistId> artist_ids;  // album artists, in tag order
  std::optional<int> year;
  std::string release_date;            // "YYYY", "YYYY-MM" or "YYYY-MM-DD"; "" if unknown
  std::string release_date_precision;  // "year", "month" or "day"; "" if unknown
  std::vector<std::string> genres;
  int total_tracks = 0;
  int total_discs = 1;
  bool is_compilation = false;
  std::optional<ImageId> image_id;
  int64_t added_at_ms = 0;  // first time a scan saw the album
  std::optional<std::string> musicbrainz_id;
};

struct ReplayGain {
  std::optional<double> track_gain_db;
  std::optional<double> track_peak;
  std::optional<double> album_gain_db;
  std::optional<double> album_peak;
};

struct Track {
  TrackId id;
  std::string title;
  std::vector<ArtistId> artist_ids;  // ordered, first is the main artist
  AlbumId album_id;
  int track_number = 0;  // 0 if unknown
  int disc_number = 1;
  int64_t duration_ms = 0;
  bool explicit_content = false;
  std::vector<std::string> genres;
  std::optional<std::string> isrc;
  std::optional<std::string> musicbrainz_id;
  ReplayGain replay_gain;
  std::vector<FileId> file_ids;  // one today; several once transcoded copies are tracked
};

struct AudioFile {
  FileId id;
  TrackId track_id;
  std::string path;           // absolute
  std::string relative_path;  // relative to its library root
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string codec;      // "mp3", "flac", "vorbis", "opus", "aac", "alac", "wav"
  std::string container;  // "mp3", "flac", "ogg", "mp4", "wav"
  std::string mime_type;  // "audio/mpeg", "audio/flac", "audio/ogg", "audio/ogg; codecs=opus", ...
  int bitrate_kbps = 0;
  int sample_rate = 0;
  int channels = 0;
  bool lossless = false;
};

enum class ImageSource {
  kEmbedded,   // picture inside the audio file at `path`
  kCoverFile,  // image file at `path` (cover.jpg and friends)
};

struct Image {
  ImageId id;
  ImageSource source = ImageSource::kCoverFile;
  std::string path;
  int width = 0;   // 0 if unknown
  int height = 0;  // 0 if unknown
};

}  // namespace segue::catalog
