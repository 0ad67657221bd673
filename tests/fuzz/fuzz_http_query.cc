#include <cstdint>
#include <string_view>

#include "net/router.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto q = segue::net::parse_query(s);
  auto d = segue::net::decode_path_segment(s);
  // A decoded segment never contains NUL (it could reach a path otherwise).
  if (d && d->find('\0') != std::string::npos) __builtin_trap();
  (void)q;
  return 0;
}
