#include <cstdint>
#include <string_view>

#include "audio/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = segue::audio::resize_image_to_jpeg(bytes, 64);
  if (r.ok() && r->size() < 4) __builtin_trap();
  return 0;
}
