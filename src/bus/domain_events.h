// Domain events: what a service tells the rest of the process (and, with a networked bus,
// other nodes) after a change has committed. Typed values, one struct per kind, carried as a
// DomainEvent variant; every event has a serialisable form (encode/decode, JSON) so that a bus
// that crosses processes (the scale-out issue's Redis one) carries the same values.
//
// Who publishes what (docs/architecture.md, "Domain events"):
//   PlaylistItemsChanged     playlist::PlaylistService, after an item change commits
//   PlaylistDetailsChanged   playlist::PlaylistService, after a create, a details, membership or
//                            visibility change commits
//   LibraryChanged           user::Library, after saving or removing tracks or albums commits
//   CatalogSnapshotPublished catalog::Catalog, after reload() made a new snapshot visible
//   UsersRevoked             auth::AuthService, when users' tokens or credentials were revoked or
//                            changed (by this process, or seen by its revocation watcher)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace segue::bus {

// A committed change of a playlist's items.
struct PlaylistItemsChanged {
  PlaylistId playlist_id;
  std::string snapshot_id;           // after the change
  std::string previous_snapshot_id;  // before it
  // The change's operations in the playlist CRDT's binary encoding (playlist::encode_ops,
  // docs/formats/playlist-crdt.md); the bus does not know what an operation is.
  std::string ops;
  bool is_public = false;
  bool operator==(const PlaylistItemsChanged&) const = default;
};

// A playlist was created, or its name, description, visibility or members changed: whoever
// indexes playlists re-reads it, and real-time subscriptions re-check access.
struct PlaylistDetailsChanged {
  PlaylistId playlist_id;
  bool operator==(const PlaylistDetailsChanged&) const = default;
};

// A user saved or removed tracks or albums in Your Library.
struct LibraryChanged {
  enum class Kind { kTracks, kAlbums };
  UserId user;
  Kind kind = Kind::kTracks;
  std::vector<std::string> ids;
  bool saved = true;  // false: removed
  bool operator==(const LibraryChanged&) const = default;
};

// The catalog published a new snapshot (read it with Catalog::snapshot(): at least this one).
struct CatalogSnapshotPublished {
  uint64_t generation = 0;  // increases with every snapshot the catalog publishes
  uint64_t tracks = 0;
  bool operator==(const CatalogSnapshotPublished&) const = default;
};

// These users' tokens or credentials were revoked or changed: their live connections re-check
// their tokens (in the database: the event may come from another node).
struct UsersRevoked {
  std::vector<UserId> users;
  bool operator==(const UsersRevoked&) const = default;
};

using DomainEvent =
    std::variant<PlaylistItemsChanged, PlaylistDetailsChanged, LibraryChanged, CatalogSnapshotPublished, UsersRevoked>;

// The event's kind as named in its serialised form ("playlist_items_changed", ...).
std::string_view kind_name(const DomainEvent& e);

// Whether a bus between nodes carries the event to the other nodes (docs/architecture.md,
// "Domain events"). Playlist and library changes and UsersRevoked do: another node's WebSocket
// subscribers and search index follow them, and its connections re-check their tokens against
// the database (not its token cache, which may not have heard of the revocation yet).
// CatalogSnapshotPublished does not: it is about this process's memory (each node publishes
// snapshots of its own catalog; its generation means nothing elsewhere).
bool crosses_nodes(const DomainEvent& e);

// The serialised form: one JSON object {"kind": ..., fields...}; binary fields in base64.
std::string encode(const DomainEvent& e);
// Error::invalid for anything encode() did not make (unknown kind, missing or mistyped field).
Result<DomainEvent> decode(std::string_view text);

}  // namespace segue::bus
