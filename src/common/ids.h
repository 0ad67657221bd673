// Identifiers: 22-character base62 ids as Spotify uses, in distinct types per entity so that a
// track id can never be passed where a user id goes.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace segue {

inline constexpr std::size_t kIdLength = 22;

// True if `s` is exactly 22 characters of [0-9A-Za-z].
bool is_base62_id(std::string_view s);

// A fresh random id (128 bits of CSPRNG output, base62, zero-padded to 22 characters).
std::string random_base62_id();

// A deterministic id derived from `key` (first 128 bits of SHA-256 of the namespace and key):
// the same key always yields the same id, which keeps ids stable across rescans.
std::string derived_base62_id(std::string_view ns, std::string_view key);

// Encodes 16 bytes as 22 base62 characters.
std::string base62_encode_128(const unsigned char bytes[16]);

template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string v) : v_(std::move(v)) {}
  const std::string& str() const { return v_; }
  bool empty() const { return v_.empty(); }
  auto operator<=>(const StrongId&) const = default;

 private:
  std::string v_;
};

using TrackId = StrongId<struct TrackIdTag>;
using AlbumId = StrongId<struct AlbumIdTag>;
using ArtistId = StrongId<struct ArtistIdTag>;
using UserId = StrongId<struct UserIdTag>;
using FileId = StrongId<struct FileIdTag>;
using ImageId = StrongId<struct ImageIdTag>;
using ClientId = StrongId<struct ClientIdTag>;
using PlaylistId = StrongId<struct PlaylistIdTag>;
// A Spotify Connect device's id (the devices a user's playback can be transferred between).
using DeviceId = StrongId<struct DeviceIdTag>;

// Parses "segue:track:ID" (or "spotify:track:ID" for SDK compatibility) into the id for `kind`.
std::optional<std::string> parse_uri(std::string_view uri, std::string_view kind);

}  // namespace segue

template <typename Tag>
struct std::hash<segue::StrongId<Tag>> {
  std::size_t operator()(const segue::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
