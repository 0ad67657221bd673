#include "recommend/smart_store.h"

#include <algorithm>

namespace segue::recommend {

using store::Connection;
using store::Row;

std::vector<store::Migration> smart_playlist_migrations() {
  return {{1, R"(
    CREATE TABLE smart_playlists (
      playlist_id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      rules TEXT NOT NULL,
      refreshed_at INTEGER NOT NULL DEFAULT 0,
      last_uris_hash TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX smart_playlists_owner ON smart_playlists (owner);
  )"}};
}

Status put_smart(Connection& c, const PlaylistId& playlist, const UserId& owner, const std::string& rules) {
  SEGUE_TRY(c.exec("INSERT INTO smart_playlists (playlist_id, owner, rules, refreshed_at, last_uris_hash) "
                   "VALUES (?, ?, ?, 0, '') ON CONFLICT (playlist_id) DO UPDATE SET owner = excluded.owner, "
                   "rules = excluded.rules, refreshed_at = 0, last_uris_hash = ''",
                   {playlist.str(), owner.str(), rules}));
  return {};
}

namespace {
StoredSmart row_of(const Row& r) {
  return StoredSmart{PlaylistId(r.text(0)), UserId(r.text(1)), r.text(2), r.i64(3), r.text(4)};
}
constexpr const char* kColumns = "SELECT playlist_id, owner, rules, refreshed_at, last_uris_hash FROM smart_playlists";
}  // namespace

Result<std::optional<StoredSmart>> load_smart(Connection& c, const PlaylistId& playlist) {
  std::optional<StoredSmart> out;
  SEGUE_TRY(c.query(std::string(kColumns) + " WHERE playlist_id = ?", {playlist.str()},
                    [&](const Row& r) { out = row_of(r); }));
  return out;
}

Result<std::vector<StoredSmart>> list_smart(Connection& c) {
  std::vector<StoredSmart> out;
  SEGUE_TRY(c.query(std::string(kColumns) + " ORDER BY owner, playlist_id", {},
                    [&](const Row& r) { out.push_back(row_of(r)); }));
  return out;
}

Result<std::vector<StoredSmart>> list_smart_of(Connection& c, const UserId& owner) {
  std::vector<StoredSmart> out;
  SEGUE_TRY(c.query(std::string(kColumns) + " WHERE owner = ? ORDER BY playlist_id", {owner.str()},
                    [&](const Row& r) { out.push_back(row_of(r)); }));
  return out;
}

Status mark_refreshed(Connection& c, const PlaylistId& playlist, int64_t at_ms, const std::string& uris_hash) {
  SEGUE_TRY(c.exec("UPDATE smart_playlists SET refreshed_at = ?, last_uris_hash = ? WHERE playlist_id = ?",
                   {at_ms, uris_hash, playlist.str()}));
  return {};
}

Status delete_smart(Connection& c, const PlaylistId& playlist) {
  SEGUE_TRY(c.exec("DELETE FROM smart_playlists WHERE playlist_id = ?", {playlist.str()}));
  return {};
}

Status add_event_plays(Connection& c, const UserId& user, smart::UserFacts& out) {
  return c.query("SELECT id, plays, last_played FROM event_user_top WHERE user_id = ? AND kind = 0", {user.str()},
                 [&](const Row& r) {
                   auto& p = out.plays[r.text(0)];
                   p.count += r.i64(1);
                   p.last_ms = std::max(p.last_ms, r.i64(2));
                 });
}

Status add_imported_plays(Connection& c, const UserId& user, smart::UserFacts& out) {
  return c.query("SELECT track_id, COUNT(*), MAX(listened_at) FROM listens WHERE user_id = ? AND track_id IS NOT NULL "
                 "GROUP BY track_id",
                 {user.str()}, [&](const Row& r) {
                   auto& p = out.plays[r.text(0)];
                   p.count += r.i64(1);
                   p.last_ms = std::max(p.last_ms, r.i64(2));
                 });
}

}  // namespace segue::recommend
