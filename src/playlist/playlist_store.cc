// The playlist schema and every statement of the playlist module (see playlist_store.h).
#include "playlist/playlist_store.h"

#include <utility>

namespace segue::playlist {
namespace {

using store::Blob;
using store::Connection;
using store::Row;
using store::Value;

constexpr const char* kInviteColumns =
    "id, playlist_id, created_at, expires_at, max_uses, uses, COALESCE(invitee_name, '')";
Invite invite_of(const Row& r) {
  Invite inv;
  inv.id = r.text(0);
  inv.playlist_id = PlaylistId(r.text(1));
  inv.created_at_ms = r.i64(2);
  inv.expires_at_ms = r.i64(3);
  inv.max_uses = r.opt_i64(4);
  inv.uses = r.i64(5);
  inv.invitee_name = r.text(6);
  return inv;
}
// The condition for an invite that can still be accepted (parameter: now).
constexpr const char* kUsable = "revoked_at IS NULL AND expires_at >= ? AND (max_uses IS NULL OR uses < max_uses)";

// Usable invites that `where` (one parameter) selects, newest first.
Result<std::vector<Invite>> load_usable_invites_where(Connection& c, std::string_view where, Value key,
                                                      int64_t now_ms) {
  std::vector<Invite> out;
  SEGUE_TRY(c.query("SELECT " + std::string(kInviteColumns) + " FROM playlist_invites WHERE " + std::string(where) +
                        " AND " + kUsable + " ORDER BY created_at DESC, id",
                    {std::move(key), now_ms}, [&](const Row& r) { out.push_back(invite_of(r)); }));
  return out;
}

// Members by role ('collaborator' or 'follower', as written in the statements).
Result<bool> is_member(Connection& c, const PlaylistId& id, const UserId& user, std::string_view role) {
  SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT 1 FROM playlist_members WHERE playlist_id = ? AND user_id = ? "
                                             "AND role = '" + std::string(role) + "'",
                                             {id.str(), user.str()}));
  return v.has_value();
}
Status insert_member(Connection& c, const PlaylistId& id, const UserId& user, std::string_view role,
                     int64_t added_at_ms) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_members (playlist_id, user_id, role, added_at) "
                   "VALUES (?, ?, '" + std::string(role) + "', ?) ON CONFLICT DO NOTHING",
                   {id.str(), user.str(), added_at_ms}));
  return {};
}
Result<int64_t> delete_member(Connection& c, const PlaylistId& id, const UserId& user, std::string_view role) {
  return c.exec("DELETE FROM playlist_members WHERE playlist_id = ? AND user_id = ? AND role = '" +
                    std::string(role) + "'",
                {id.str(), user.str()});
}
Result<std::vector<UserId>> load_collaborators_ordered(Connection& c, const PlaylistId& id,
                                                       std::string_view order_by) {
  std::vector<UserId> out;
  SEGUE_TRY(c.query("SELECT user_id FROM playlist_members WHERE playlist_id = ? AND role = 'collaborator' "
                    "ORDER BY " + std::string(order_by),
                    {id.str()}, [&](const Row& r) { out.emplace_back(r.text(0)); }));
  return out;
}

// The earliest version with this snapshot id: `column` of it.
Result<std::optional<int64_t>> find_version(Connection& c, std::string_view column, const PlaylistId& id,
                                            const std::string& snapshot_id) {
  return c.query_int("SELECT " + std::string(column) +
                         " FROM playlist_versions WHERE playlist_id = ? AND snapshot_id = ? ORDER BY number LIMIT 1",
                     {id.str(), snapshot_id});
}

}  // namespace

std::vector<store::Migration> playlist_migrations() {
  std::vector<store::Migration> all = {{1, R"(
    CREATE TABLE playlists (
      id TEXT PRIMARY KEY,
      owner_id TEXT NOT NULL,
      name TEXT NOT NULL,
      description TEXT NOT NULL,
      public INTEGER NOT NULL,
      collaborative INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      snapshot_id TEXT NOT NULL,
      track_count INTEGER NOT NULL,
      log_length INTEGER NOT NULL
    );
    CREATE INDEX playlists_by_owner ON playlists (owner_id, created_at);
    -- The operation log: `seq` is the order the server accepted ops in.
    CREATE TABLE playlist_ops (
      playlist_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      lamport INTEGER NOT NULL,
      replica INTEGER NOT NULL,
      user_id TEXT NOT NULL,
      at_ms INTEGER NOT NULL,
      op BLOB NOT NULL,
      PRIMARY KEY (playlist_id, seq)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX playlist_ops_by_id ON playlist_ops (playlist_id, lamport, replica);
    CREATE TABLE playlist_versions (
      playlist_id TEXT NOT NULL,
      number INTEGER NOT NULL,
      snapshot_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      at_ms INTEGER NOT NULL,
      summary TEXT NOT NULL,
      last_seq INTEGER NOT NULL,
      ops INTEGER NOT NULL,
      PRIMARY KEY (playlist_id, number)
    ) WITHOUT ROWID;
    CREATE INDEX playlist_versions_by_snapshot ON playlist_versions (playlist_id, snapshot_id);
    CREATE TABLE playlist_members (
      playlist_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      role TEXT NOT NULL,  -- 'collaborator' or 'follower'
      added_at INTEGER NOT NULL,
      PRIMARY KEY (playlist_id, user_id, role)
    ) WITHOUT ROWID;
    CREATE INDEX playlist_members_by_user ON playlist_members (user_id, role);
    CREATE TABLE playlist_invites (
      token_hash TEXT PRIMARY KEY,
      playlist_id TEXT NOT NULL,
      created_by TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    );
    CREATE TABLE playlist_images (
      playlist_id TEXT PRIMARY KEY,
      jpeg BLOB NOT NULL,
      updated_at INTEGER NOT NULL
    );
  )"},
          // Invites get an id (to list and revoke them by), a use limit, revocation and an
          // optional addressee; removals bar old invites; covers get a rotating key.
          // Invites made before this migration keep working as before (no use limit).
          {2, R"(
    ALTER TABLE playlist_invites ADD COLUMN id TEXT;
    ALTER TABLE playlist_invites ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE playlist_invites ADD COLUMN max_uses INTEGER;
    ALTER TABLE playlist_invites ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE playlist_invites ADD COLUMN revoked_at INTEGER;
    ALTER TABLE playlist_invites ADD COLUMN invitee_name TEXT;
    UPDATE playlist_invites SET id = lower(hex(randomblob(16))), created_at = expires_at - 604800000;
    CREATE UNIQUE INDEX playlist_invites_by_id ON playlist_invites (id);
    CREATE INDEX playlist_invites_by_playlist ON playlist_invites (playlist_id, created_at);
    CREATE INDEX playlist_invites_by_name ON playlist_invites (invitee_name) WHERE invitee_name IS NOT NULL;
    -- The last time the owner removed a user from a playlist: invites made before it do not
    -- readmit them.
    CREATE TABLE playlist_removals (
      playlist_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      removed_at INTEGER NOT NULL,
      PRIMARY KEY (playlist_id, user_id)
    ) WITHOUT ROWID;
    ALTER TABLE playlist_images ADD COLUMN cover_key TEXT NOT NULL DEFAULT '';
    UPDATE playlist_images SET cover_key = lower(hex(randomblob(16)));
  )"},
          // Compaction: the ops up to `last_seq` folded into one snapshot of the sequence,
          // and who added each entry still visible there, when.
          {3, R"(
    CREATE TABLE playlist_bases (
      playlist_id TEXT PRIMARY KEY,
      last_seq INTEGER NOT NULL,
      state BLOB NOT NULL,
      op_count INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE playlist_base_added (
      playlist_id TEXT NOT NULL,
      lamport INTEGER NOT NULL,
      replica INTEGER NOT NULL,
      user_id TEXT NOT NULL,
      at_ms INTEGER NOT NULL,
      PRIMARY KEY (playlist_id, lamport, replica)
    ) WITHOUT ROWID;
  )"}};
  // PostgreSQL has no randomblob(): migration 2's random ids from its own generator.
  for (auto& m : all) {
    if (m.sql.find("randomblob") == std::string::npos) continue;
    std::string pg = store::postgres_schema(m.sql);
    const std::string from = "lower(hex(randomblob(16)))";
    for (std::size_t at; (at = pg.find(from)) != std::string::npos;)
      pg.replace(at, from.size(), "md5(random()::text || clock_timestamp()::text)");
    m.postgres = pg;
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// Playlists

Status insert_playlist(Connection& c, const PlaylistInfo& info) {
  SEGUE_TRY(c.exec("INSERT INTO playlists (id, owner_id, name, description, public, collaborative, "
                   "created_at, updated_at, snapshot_id, track_count, log_length) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
                   {info.id.str(), info.owner.str(), info.name, info.description, int64_t{info.is_public},
                    int64_t{info.collaborative}, info.created_at_ms, info.updated_at_ms, info.snapshot_id}));
  SEGUE_TRY(c.exec("INSERT INTO playlist_versions (playlist_id, number, snapshot_id, user_id, at_ms, "
                   "summary, last_seq, ops) VALUES (?, 0, ?, ?, ?, 'created the playlist', 0, 0)",
                   {info.id.str(), info.snapshot_id, info.owner.str(), info.created_at_ms}));
  return {};
}

Result<std::optional<PlaylistRow>> load_playlist(Connection& c, const PlaylistId& id) {
  std::optional<PlaylistRow> row;
  SEGUE_TRY(c.query(
      "SELECT p.owner_id, p.name, p.description, p.public, p.collaborative, p.created_at, p.updated_at, "
      "p.snapshot_id, p.track_count, p.log_length, "
      "(SELECT COUNT(*) FROM playlist_members m WHERE m.playlist_id = p.id AND m.role = 'follower'), "
      "(SELECT i.cover_key FROM playlist_images i WHERE i.playlist_id = p.id) "
      "FROM playlists p WHERE p.id = ?",
      {id.str()}, [&](const Row& r) {
        PlaylistRow out;
        out.info.id = id;
        out.info.owner = UserId(r.text(0));
        out.info.name = r.text(1);
        out.info.description = r.text(2);
        out.info.is_public = r.i64(3) != 0;
        out.info.collaborative = r.i64(4) != 0;
        out.info.created_at_ms = r.i64(5);
        out.info.updated_at_ms = r.i64(6);
        out.info.snapshot_id = r.text(7);
        out.info.track_count = r.i64(8);
        out.log_length = r.i64(9);
        out.info.followers = r.i64(10);
        out.info.has_image = !r.is_null(11);
        if (out.info.has_image) out.info.cover_key = r.text(11);
        row = std::move(out);
      }));
  return row;
}

Result<std::vector<PlaylistId>> load_playlist_ids(Connection& c) {
  std::vector<PlaylistId> out;
  SEGUE_TRY(c.query("SELECT id FROM playlists ORDER BY id", {}, [&](const Row& r) { out.emplace_back(r.text(0)); }));
  return out;
}

Result<std::vector<PlaylistId>> load_playlist_ids_of(Connection& c, const UserId& user) {
  std::vector<PlaylistId> ids;
  SEGUE_TRY(c.query(
      "SELECT id FROM (SELECT id, created_at AS t FROM playlists WHERE owner_id = ? "
      "UNION SELECT m.playlist_id, m.added_at FROM playlist_members m WHERE m.user_id = ?) AS mine "
      "GROUP BY id ORDER BY MAX(t) DESC, id",
      {user.str(), user.str()}, [&](const Row& r) { ids.emplace_back(r.text(0)); }));
  return ids;
}

Status update_playlist_details(Connection& c, const PlaylistId& id, const std::string& name,
                               const std::string& description, bool is_public, bool collaborative,
                               int64_t updated_at_ms) {
  SEGUE_TRY(c.exec("UPDATE playlists SET name = ?, description = ?, public = ?, collaborative = ?, "
                   "updated_at = ? WHERE id = ?",
                   {name, description, int64_t{is_public}, int64_t{collaborative}, updated_at_ms, id.str()}));
  return {};
}

Status make_collaborative(Connection& c, const PlaylistId& id, int64_t updated_at_ms) {
  SEGUE_TRY(c.exec("UPDATE playlists SET collaborative = 1, public = 0, updated_at = ? WHERE id = ?",
                   {updated_at_ms, id.str()}));
  return {};
}

Status update_playlist_items(Connection& c, const PlaylistId& id, const std::string& snapshot_id,
                             int64_t track_count, int64_t log_length, int64_t updated_at_ms) {
  SEGUE_TRY(c.exec("UPDATE playlists SET snapshot_id = ?, track_count = ?, log_length = ?, updated_at = ? "
                   "WHERE id = ?",
                   {snapshot_id, track_count, log_length, updated_at_ms, id.str()}));
  return {};
}

Result<int64_t> load_log_length(Connection& c, const PlaylistId& id) {
  SEGUE_ASSIGN_OR_RETURN(auto len, c.query_int("SELECT log_length FROM playlists WHERE id = ?", {id.str()}));
  return len.value_or(0);
}

Result<int64_t> lock_log_length(Connection& c, const PlaylistId& id) {
  // FOR UPDATE on PostgreSQL: a concurrent writer of the same playlist (another node) waits for
  // this transaction, then fails to serialize and runs again on what this one wrote. SQLite has
  // one writer: the plain read is already exclusive.
  SEGUE_ASSIGN_OR_RETURN(auto len, c.query_int(c.engine() == "postgres"
                                                   ? "SELECT log_length FROM playlists WHERE id = ? FOR UPDATE"
                                                   : "SELECT log_length FROM playlists WHERE id = ?",
                                               {id.str()}));
  if (!len) return Error::not_found("playlist not found");
  return *len;
}

Result<std::optional<std::string>> load_snapshot_id(Connection& c, const PlaylistId& id) {
  std::optional<std::string> out;
  SEGUE_TRY(c.query("SELECT snapshot_id FROM playlists WHERE id = ?", {id.str()},
                    [&](const Row& r) { out = r.text(0); }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The operation log

Status insert_op(Connection& c, const PlaylistId& id, int64_t seq, const OpId& op_id, const UserId& user,
                 int64_t at_ms, std::string encoded) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_ops (playlist_id, seq, lamport, replica, user_id, at_ms, op) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   {id.str(), seq, static_cast<int64_t>(op_id.lamport), static_cast<int64_t>(op_id.replica),
                    user.str(), at_ms, Blob{std::move(encoded)}}));
  return {};
}

Status for_each_op(Connection& c, const PlaylistId& id, int64_t after_seq, int64_t last_seq,
                   const std::function<void(const LoggedOp&)>& fn) {
  return c.query("SELECT op, user_id, at_ms, seq FROM playlist_ops WHERE playlist_id = ? AND seq > ? AND seq <= ? "
                 "ORDER BY seq",
                 {id.str(), after_seq, last_seq},
                 [&](const Row& r) { fn(LoggedOp{r.i64(3), r.blob(0), UserId(r.text(1)), r.i64(2)}); });
}

Status for_each_op_after(Connection& c, const PlaylistId& id, int64_t after_seq, int64_t limit,
                         const std::function<void(const LoggedOp&)>& fn) {
  return c.query("SELECT seq, op FROM playlist_ops WHERE playlist_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                 {id.str(), after_seq, limit}, [&](const Row& r) { fn(LoggedOp{r.i64(0), r.blob(1), {}, 0}); });
}

Status delete_ops_through(Connection& c, const PlaylistId& id, int64_t last_seq) {
  SEGUE_TRY(c.exec("DELETE FROM playlist_ops WHERE playlist_id = ? AND seq <= ?", {id.str(), last_seq}));
  return {};
}

// ---------------------------------------------------------------------------------------------
// Versions

Status insert_version(Connection& c, const PlaylistId& id, const Version& v, int64_t last_seq) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_versions (playlist_id, number, snapshot_id, user_id, at_ms, summary, "
                   "last_seq, ops) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {id.str(), v.number, v.snapshot_id, v.user.str(), v.at_ms, v.summary, last_seq, v.ops}));
  return {};
}

Result<std::vector<Version>> load_versions(Connection& c, const PlaylistId& id) {
  std::vector<Version> out;
  SEGUE_TRY(c.query("SELECT number, snapshot_id, user_id, at_ms, summary, ops FROM playlist_versions "
                    "WHERE playlist_id = ? ORDER BY number DESC",
                    {id.str()}, [&](const Row& r) {
                      out.push_back({r.i64(0), r.text(1), UserId(r.text(2)), r.i64(3), r.text(4), r.i64(5)});
                    }));
  return out;
}

Result<int64_t> load_newest_version_number(Connection& c, const PlaylistId& id) {
  SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int("SELECT MAX(number) FROM playlist_versions WHERE playlist_id = ?",
                                             {id.str()}));
  return n.value_or(0);
}

Result<int64_t> load_oldest_version_number(Connection& c, const PlaylistId& id) {
  SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int("SELECT MIN(number) FROM playlist_versions WHERE playlist_id = ?",
                                             {id.str()}));
  return n.value_or(0);
}

Result<std::optional<int64_t>> find_version_number(Connection& c, const PlaylistId& id,
                                                   const std::string& snapshot_id) {
  return find_version(c, "number", id, snapshot_id);
}

Result<std::optional<int64_t>> find_version_last_seq(Connection& c, const PlaylistId& id,
                                                     const std::string& snapshot_id) {
  return find_version(c, "last_seq", id, snapshot_id);
}

Result<std::optional<VersionMark>> load_version_below_newest(Connection& c, const PlaylistId& id, int64_t n) {
  std::optional<VersionMark> out;
  SEGUE_TRY(c.query("SELECT number, last_seq FROM playlist_versions WHERE playlist_id = ? "
                    "ORDER BY number DESC LIMIT 1 OFFSET ?",
                    {id.str(), n}, [&](const Row& r) { out = VersionMark{r.i64(0), r.i64(1)}; }));
  return out;
}

Status delete_versions_before(Connection& c, const PlaylistId& id, int64_t number) {
  SEGUE_TRY(c.exec("DELETE FROM playlist_versions WHERE playlist_id = ? AND number < ?", {id.str(), number}));
  return {};
}

// ---------------------------------------------------------------------------------------------
// The folded history

Result<std::optional<LogBase>> load_base(Connection& c, const PlaylistId& id) {
  std::optional<LogBase> out;
  SEGUE_TRY(c.query("SELECT last_seq, op_count, state FROM playlist_bases WHERE playlist_id = ?", {id.str()},
                    [&](const Row& r) { out = LogBase{r.i64(0), r.i64(1), r.blob(2)}; }));
  return out;
}

Status upsert_base(Connection& c, const PlaylistId& id, const LogBase& base) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_bases (playlist_id, last_seq, state, op_count) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (playlist_id) DO UPDATE SET last_seq = excluded.last_seq, state = excluded.state, "
                   "op_count = excluded.op_count",
                   {id.str(), base.last_seq, Blob{base.state}, base.op_count}));
  return {};
}

Result<std::vector<BaseAdded>> load_base_added(Connection& c, const PlaylistId& id) {
  std::vector<BaseAdded> out;
  SEGUE_TRY(c.query("SELECT lamport, replica, user_id, at_ms FROM playlist_base_added WHERE playlist_id = ?",
                    {id.str()}, [&](const Row& r) {
                      out.push_back({OpId{static_cast<uint64_t>(r.i64(0)), static_cast<uint64_t>(r.i64(1))},
                                     UserId(r.text(2)), r.i64(3)});
                    }));
  return out;
}

Status delete_base_added(Connection& c, const PlaylistId& id) {
  SEGUE_TRY(c.exec("DELETE FROM playlist_base_added WHERE playlist_id = ?", {id.str()}));
  return {};
}

Status insert_base_added(Connection& c, const PlaylistId& id, const BaseAdded& added) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_base_added (playlist_id, lamport, replica, user_id, at_ms) "
                   "VALUES (?, ?, ?, ?, ?)",
                   {id.str(), static_cast<int64_t>(added.entry.lamport), static_cast<int64_t>(added.entry.replica),
                    added.user.str(), added.at_ms}));
  return {};
}

// ---------------------------------------------------------------------------------------------
// Members and removals

Result<bool> is_collaborator(Connection& c, const PlaylistId& id, const UserId& user) {
  return is_member(c, id, user, "collaborator");
}

Result<bool> is_follower(Connection& c, const PlaylistId& id, const UserId& user) {
  return is_member(c, id, user, "follower");
}

Result<std::vector<UserId>> load_collaborators_by_join(Connection& c, const PlaylistId& id) {
  return load_collaborators_ordered(c, id, "added_at, user_id");
}

Result<std::vector<UserId>> load_collaborators_by_id(Connection& c, const PlaylistId& id) {
  return load_collaborators_ordered(c, id, "user_id");
}

Status insert_collaborator(Connection& c, const PlaylistId& id, const UserId& user, int64_t added_at_ms) {
  return insert_member(c, id, user, "collaborator", added_at_ms);
}

Status insert_follower(Connection& c, const PlaylistId& id, const UserId& user, int64_t added_at_ms) {
  return insert_member(c, id, user, "follower", added_at_ms);
}

Result<int64_t> delete_collaborator(Connection& c, const PlaylistId& id, const UserId& user) {
  return delete_member(c, id, user, "collaborator");
}

Status delete_follower(Connection& c, const PlaylistId& id, const UserId& user) {
  SEGUE_TRY(delete_member(c, id, user, "follower"));
  return {};
}

Status delete_collaborators(Connection& c, const PlaylistId& id) {
  SEGUE_TRY(c.exec("DELETE FROM playlist_members WHERE playlist_id = ? AND role = 'collaborator'", {id.str()}));
  return {};
}

Result<std::optional<int64_t>> load_removed_at(Connection& c, const PlaylistId& id, const UserId& user) {
  return c.query_int("SELECT removed_at FROM playlist_removals WHERE playlist_id = ? AND user_id = ?",
                     {id.str(), user.str()});
}

Status upsert_removal(Connection& c, const PlaylistId& id, const UserId& user, int64_t removed_at_ms) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_removals (playlist_id, user_id, removed_at) VALUES (?, ?, ?) "
                   "ON CONFLICT (playlist_id, user_id) DO UPDATE SET removed_at = excluded.removed_at",
                   {id.str(), user.str(), removed_at_ms}));
  return {};
}

// ---------------------------------------------------------------------------------------------
// Invites

Status insert_link_invite(Connection& c, const Invite& inv, const std::string& token_hash,
                          const UserId& created_by) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_invites (token_hash, playlist_id, created_by, expires_at, id, created_at, "
                   "max_uses, uses) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                   {token_hash, inv.playlist_id.str(), created_by.str(), inv.expires_at_ms, inv.id,
                    inv.created_at_ms, store::opt(inv.max_uses)}));
  return {};
}

Status insert_named_invite(Connection& c, const Invite& inv, const std::string& token_hash,
                           const UserId& created_by) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_invites (token_hash, playlist_id, created_by, expires_at, id, created_at, "
                   "max_uses, uses, invitee_name) VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?)",
                   {token_hash, inv.playlist_id.str(), created_by.str(), inv.expires_at_ms, inv.id,
                    inv.created_at_ms, inv.invitee_name}));
  return {};
}

Result<std::vector<Invite>> load_usable_invites(Connection& c, const PlaylistId& id, int64_t now_ms) {
  return load_usable_invites_where(c, "playlist_id = ?", id.str(), now_ms);
}

Result<std::vector<Invite>> load_usable_invites_for_name(Connection& c, const std::string& invitee_name,
                                                         int64_t now_ms) {
  return load_usable_invites_where(c, "invitee_name = ?", invitee_name, now_ms);
}

Result<std::optional<StoredInvite>> load_invite(Connection& c, InviteKey by, const std::string& key) {
  std::optional<StoredInvite> out;
  SEGUE_TRY(c.query("SELECT " + std::string(kInviteColumns) + ", revoked_at FROM playlist_invites WHERE " +
                        std::string(by == InviteKey::kTokenHash ? "token_hash = ?" : "id = ?"),
                    {key}, [&](const Row& r) { out = StoredInvite{invite_of(r), r.opt_i64(7)}; }));
  return out;
}

Status count_invite_use(Connection& c, const std::string& invite_id) {
  SEGUE_TRY(c.exec("UPDATE playlist_invites SET uses = uses + 1 WHERE id = ?", {invite_id}));
  return {};
}

Result<int64_t> mark_invite_revoked(Connection& c, const PlaylistId& id, const std::string& invite_id,
                                    int64_t now_ms) {
  return c.exec("UPDATE playlist_invites SET revoked_at = ? WHERE playlist_id = ? AND id = ? AND revoked_at IS NULL",
                {now_ms, id.str(), invite_id});
}

Status mark_invites_revoked(Connection& c, const PlaylistId& id, int64_t now_ms) {
  SEGUE_TRY(c.exec("UPDATE playlist_invites SET revoked_at = ? WHERE playlist_id = ? AND revoked_at IS NULL",
                   {now_ms, id.str()}));
  return {};
}

Status delete_unusable_invites(Connection& c, const PlaylistId& id, int64_t now_ms) {
  SEGUE_TRY(c.exec("DELETE FROM playlist_invites WHERE playlist_id = ? AND NOT (" + std::string(kUsable) + ")",
                   {id.str(), now_ms}));
  return {};
}

Status delete_named_invite(Connection& c, const PlaylistId& id, const std::string& invitee_name) {
  SEGUE_TRY(c.exec("DELETE FROM playlist_invites WHERE playlist_id = ? AND invitee_name = ?",
                   {id.str(), invitee_name}));
  return {};
}

// ---------------------------------------------------------------------------------------------
// Covers

Result<std::optional<StoredCover>> load_cover(Connection& c, const PlaylistId& id) {
  std::optional<StoredCover> out;
  SEGUE_TRY(c.query("SELECT i.jpeg, i.cover_key, p.public FROM playlist_images i JOIN playlists p ON p.id = i.playlist_id "
                    "WHERE i.playlist_id = ?",
                    {id.str()}, [&](const Row& r) { out = StoredCover{r.blob(0), r.text(1), r.i64(2) != 0}; }));
  return out;
}

Status upsert_cover(Connection& c, const PlaylistId& id, const std::string& jpeg, int64_t updated_at_ms,
                    const std::string& cover_key) {
  SEGUE_TRY(c.exec("INSERT INTO playlist_images (playlist_id, jpeg, updated_at, cover_key) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (playlist_id) DO UPDATE SET jpeg = excluded.jpeg, updated_at = excluded.updated_at, "
                   "cover_key = excluded.cover_key",
                   {id.str(), Blob{jpeg}, updated_at_ms, cover_key}));
  return {};
}

Status update_cover_key(Connection& c, const PlaylistId& id, const std::string& cover_key) {
  SEGUE_TRY(c.exec("UPDATE playlist_images SET cover_key = ? WHERE playlist_id = ?", {cover_key, id.str()}));
  return {};
}

}  // namespace segue::playlist
