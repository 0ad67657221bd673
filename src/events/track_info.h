// What the counting consumers need to know of a track: its album and artists. The events
// module does not depend on the catalog; the caller injects a lookup (e.g. over the catalog
// snapshot). It is called on consumer threads, so it must be thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "events/event.h"

namespace segue::events {

struct TrackInfo {
  AlbumId album;                 // empty if unknown
  std::vector<ArtistId> artists;
};

// nullopt for a track the catalog does not know (then only the track itself is counted).
using TrackLookup = std::function<std::optional<TrackInfo>(const TrackId&)>;

enum class ItemKind { kTrack = 0, kAlbum = 1, kArtist = 2 };

struct CountedItem {
  ItemKind kind;
  std::string id;
};

// The items one event adds a play to: none unless counts_as_play and not private; else the
// track, and with a lookup its album and each of its artists once.
std::vector<CountedItem> counted_items(const Event& e, const TrackLookup& lookup);

}  // namespace segue::events
