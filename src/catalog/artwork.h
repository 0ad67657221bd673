// Album art as JPEGs of the three sizes the Spotify API exposes, extracted from the audio file
// or the cover file, resized, and cached on disk.
#pragma once

#include <string>

#include "catalog/catalog.h"
#include "common/result.h"

namespace segue::catalog {

// Largest source picture read (embedded or cover file).
inline constexpr std::size_t kMaxArtworkBytes = 20u << 20;

class Artwork {
 public:
  // `catalog` must outlive this object. Cached JPEGs go to `<data_dir>/cache/images/`.
  Artwork(const Catalog& catalog, std::string data_dir);

  // The image `id` as a JPEG fitting `size` x `size` (never upscaled). `size` must be 640, 300
  // or 64 (Error::invalid otherwise). Served from `<data>/cache/images/<id>_<size>.jpg` when
  // that file is newer than its source; otherwise the source is read (at most
  // kMaxArtworkBytes), resized with audio::resize_image_to_jpeg and cached (written to a temp
  // file, then renamed, so concurrent readers never see half a file; a failing cache write is
  // logged, not returned). Errors: Error::not_found for an unknown id or a vanished source,
  // Error::invalid for undecodable art, Error::exhausted for an oversized source.
  // Blocking (disk, decoding): worker threads only; safe to call concurrently.
  Result<std::string> image_jpeg(const ImageId& id, int size) const;

  std::string cache_path(const ImageId& id, int size) const;

 private:
  const Catalog& catalog_;
  std::string cache_dir_;
};

}  // namespace segue::catalog
