// Writes tags and embedded cover art with TagLib. Used by the demo library and by tests; the
// scanner never writes to the user's files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace segue::catalog {

struct TagWrite {
  // TagLib property names ("TITLE", "ARTIST", "ALBUMARTIST", "TRACKNUMBER" = "3/12",
  // "DISCNUMBER", "DATE", "GENRE", "COMPILATION" = "1", "MUSICBRAINZ_TRACKID",
  // "REPLAYGAIN_TRACK_GAIN" = "-6.5 dB", ...) to their values; a list for multi-valued fields.
  std::map<std::string, std::vector<std::string>> properties;
  // A JPEG to embed as the front cover (ID3v2 APIC, FLAC picture, Xiph
  // METADATA_BLOCK_PICTURE, MP4 covr); empty for none.
  std::string cover_jpeg;
};

// Replaces the tags of the audio file at `path` with `tags` and saves it. Error::invalid if
// TagLib cannot open the file or refuses a property, Error::internal if saving fails. Never
// throws. Blocking; worker threads only; not safe on a file another thread reads or writes.
Status write_tags(const std::string& path, const TagWrite& tags);

}  // namespace segue::catalog
