#include "common/ids.h"

#include "common/crypto.h"

#include <cstring>

namespace segue {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}

bool is_base62_id(std::string_view s) {
  if (s.size() != kIdLength) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!ok) return false;
  }
  return true;
}

std::string base62_encode_128(const unsigned char bytes[16]) {
  // Repeated division of a 128-bit big-endian number by 62.
  unsigned char num[16];
  std::memcpy(num, bytes, 16);
  std::string out(kIdLength, '0');
  for (std::size_t pos = kIdLength; pos-- > 0;) {
    unsigned rem = 0;
    for (unsigned char& b : num) {
      unsigned cur = (rem << 8) | b;
      b = static_cast<unsigned char>(cur / 62);
      rem = cur % 62;
    }
    out[pos] = kAlphabet[rem];
  }
  return out;
}

std::string random_base62_id() {
  std::string buf = crypto::random_bytes(16);
  return base62_encode_128(reinterpret_cast<const unsigned char*>(buf.data()));
}

std::string derived_base62_id(std::string_view ns, std::string_view key) {
  std::string input(ns);
  input.push_back('\0');
  input.append(key);
  std::string digest = crypto::sha256(input);
  return base62_encode_128(reinterpret_cast<const unsigned char*>(digest.data()));
}

std::optional<std::string> parse_uri(std::string_view uri, std::string_view kind) {
  for (std::string_view scheme : {"segue:", "spotify:"}) {
    if (uri.substr(0, scheme.size()) != scheme) continue;
    std::string_view rest = uri.substr(scheme.size());
    if (rest.substr(0, kind.size()) != kind || rest.size() <= kind.size() ||
        rest[kind.size()] != ':')
      return std::nullopt;
    std::string_view id = rest.substr(kind.size() + 1);
    if (!is_base62_id(id)) return std::nullopt;
    return std::string(id);
  }
  return std::nullopt;
}

}  // namespace segue
