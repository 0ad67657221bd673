// Private helpers around TagLib shared by tag_reader.cc and tag_writer.cc.
#pragma once

#include <taglib/tstring.h>

#include <string>

#include "common/strings.h"

namespace segue::catalog::detail {

inline std::string to_utf8(const TagLib::String& s) {
  return strings::sanitize_utf8(s.to8Bit(true));
}

}  // namespace segue::catalog::detail
