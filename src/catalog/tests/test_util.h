// Helpers for catalog tests: temporary directories and encoded, tagged files.
#pragma once

#include <filesystem>
#include <string>

#include "audio/encoder.h"
#include "catalog/tag_writer.h"

namespace segue::catalog::testing {

// A fresh directory under /tmp named after the running test; removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Encodes `seconds` of a demo tune (seeded by the path) as `fmt` at `path` (creating folders)
// and writes `tags` to it. Fails the current test on error.
void make_tagged_file(const std::filesystem::path& path, audio::Format fmt, const TagWrite& tags,
                      double seconds = 1.0);

// A small JPEG of a solid colour.
std::string small_jpeg(unsigned char r, unsigned char g, unsigned char b);

}  // namespace segue::catalog::testing
