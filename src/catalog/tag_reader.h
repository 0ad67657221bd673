// Reads tags and audio properties of one file with TagLib, with fallbacks from the file and
// folder names for untagged files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/model.h"
#include "common/result.h"

namespace segue::catalog {

// Everything the scanner needs from one file. All strings are valid UTF-8.
struct TagInfo {
  std::string title;
  std::vector<std::string> artists;  // ordered; never empty after read_tags()
  std::vector<std::string> artist_sort_names;
  std::string album;
  std::vector<std::string> album_artists;  // may be empty: the scanner decides the fallback
  int track_number = 0;
  int track_total = 0;
  int disc_number = 0;
  int disc_total = 0;
  std::string date;  // normalised "YYYY", "YYYY-MM" or "YYYY-MM-DD"; ORIGINALDATE before DATE
  std::vector<std::string> genres;
  bool compilation = false;
  bool explicit_content = false;
  std::optional<std::string> isrc;
  std::optional<std::string> musicbrainz_track_id;
  std::optional<std::string> musicbrainz_album_id;
  std::vector<std::string> musicbrainz_artist_ids;
  std::vector<std::string> musicbrainz_album_artist_ids;
  ReplayGain replay_gain;
  bool has_embedded_art = false;

  int64_t duration_ms = 0;
  int bitrate_kbps = 0;
  int sample_rate = 0;
  int channels = 0;
  std::string codec;
  std::string container;
  std::string mime_type;
  bool lossless = false;

  // True when title/album/artist came from the file and folder names.
  bool title_from_filename = false;
  bool album_from_folder = false;
  bool artist_from_folder = false;
};

// Reads `path`, which must be a readable regular file. Errors (all with a human reason):
// Error::not_found (missing), Error::permission_denied (unreadable), Error::invalid (not a
// regular file, empty, unsupported extension, TagLib rejects it as truncated/corrupt, or
// "no audio stream" when the duration is zero). Never throws. Blocking; worker threads only.
// TagLib keeps no global state we touch, so several threads may read different files at once.
Result<TagInfo> read_tags(const std::string& path);

// Fills empty title/track/album/artist from the names: "03 - Title.mp3" gives track 3 and
// title "Title"; the parent folder is the album, the grandparent the artist. Pure function.
void apply_filename_fallbacks(const std::string& path, TagInfo& info);

// The bytes of the front cover (or first picture) embedded in `path`, at most `max_bytes`.
// Error::not_found if the file has no picture, Error::exhausted if it is larger than
// `max_bytes`, other errors as read_tags(). Blocking; worker threads only.
Result<std::string> read_embedded_picture(const std::string& path, std::size_t max_bytes);

// Parses "3", "3/12" into {3, 12}; unparseable parts are 0. Exposed for tests.
std::pair<int, int> parse_number_pair(std::string_view s);
// Parses "-6.5 dB", "+0.3dB", "0.98" into a number. Exposed for tests.
std::optional<double> parse_gain(std::string_view s);
// Normalises a date tag ("2007", "2007-05", "2007-05-03T10:00", "2007/05/03") to
// "YYYY[-MM[-DD]]", or "" if it does not start with a year.
std::string normalize_date(std::string_view s);

}  // namespace segue::catalog
