// Tag reading goes through files: write the input under each audio extension and read it.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "catalog/tag_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/segue-fuzz-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  static const char* kExts[] = {"mp3", "flac", "ogg", "opus", "m4a", "wav"};
  const char* ext = kExts[size % 6];
  std::string path = dir + "/input." + ext;
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto tags = segue::catalog::read_tags(path);
  auto pic = segue::catalog::read_embedded_picture(path, 1 << 20);
  (void)tags;
  (void)pic;
  std::remove(path.c_str());
  return 0;
}
