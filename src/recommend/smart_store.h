// The `smart_playlists` table (one row per smart playlist: its owner, its rules as canonical
// JSON, when it was last refreshed and a hash of the URIs it then held), and the read-only
// queries for an owner's listening the rules need. SQL for SQLite and PostgreSQL alike; worker
// threads only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "recommend/smart_rules.h"
#include "store/database.h"

namespace segue::recommend {

std::vector<store::Migration> smart_playlist_migrations();

struct StoredSmart {
  PlaylistId playlist;
  UserId owner;
  std::string rules;  // canonical JSON (smart::to_json)
  int64_t refreshed_at_ms = 0;
  std::string last_uris_hash;
};

// Inserts or replaces the rules of `playlist` (a refresh is then due: refreshed_at 0).
Status put_smart(store::Connection& c, const PlaylistId& playlist, const UserId& owner, const std::string& rules);
Result<std::optional<StoredSmart>> load_smart(store::Connection& c, const PlaylistId& playlist);
Result<std::vector<StoredSmart>> list_smart(store::Connection& c);
// `owner`'s smart playlists, by playlist id (the service orders them by creation).
Result<std::vector<StoredSmart>> list_smart_of(store::Connection& c, const UserId& owner);
Status mark_refreshed(store::Connection& c, const PlaylistId& playlist, int64_t at_ms, const std::string& uris_hash);
Status delete_smart(store::Connection& c, const PlaylistId& playlist);

// Adds `user`'s plays per track to `out`:
// - from the event pipeline's top-items consumer (`event_user_top`, kind 0 = track: `plays`,
//   `last_played`), a read of another module's derived table (events/top_items.h owns it; this
//   query only reads its documented columns) on the consumer's database;
// - from imported listening history (`listens`, matched rows), on the main database.
Status add_event_plays(store::Connection& c, const UserId& user, smart::UserFacts& out);
Status add_imported_plays(store::Connection& c, const UserId& user, smart::UserFacts& out);

}  // namespace segue::recommend
