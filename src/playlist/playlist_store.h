// The playlist module's SQL: the schema migrations (`playlist_migrations()`, declared in
// service.h, is defined in playlist_store.cc) and every statement PlaylistService runs, as
// functions over a store::Connection that take and return typed values. Portable SQL only
// (`?` placeholders, TEXT/INTEGER/BLOB, INSERT ... ON CONFLICT), times in milliseconds since the
// Unix epoch, booleans as 0/1, invite tokens only as SHA-256 hex digests (the callers hash them).
//
// The store deals in bytes where the CRDT is stored: an op row holds encode_ops() of its
// operation and a base holds Sequence::encode_snapshot(); PlaylistService encodes, decodes and
// applies them. Nothing here opens a transaction, checks access or decides a rule: the service
// does, and calls these inside its db.read()/db.write() callbacks, on the thread that called
// read()/write(). They touch only the database and what the caller passes in, so a write
// callback that calls them may run again (PostgreSQL retries a SERIALIZABLE conflict).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "playlist/crdt.h"
#include "playlist/service.h"
#include "store/database.h"

namespace segue::playlist {

// ---- Playlists (table playlists) ----

// A playlist row: its details (with the follower count and the cover key) and the length of
// its operation log.
struct PlaylistRow {
  PlaylistInfo info;
  int64_t log_length = 0;
};

// Inserts a new playlist without items (track_count and log_length 0) and its version 0
// ("created the playlist").
Status insert_playlist(store::Connection& c, const PlaylistInfo& info);
Result<std::optional<PlaylistRow>> load_playlist(store::Connection& c, const PlaylistId& id);
Result<std::vector<PlaylistId>> load_playlist_ids(store::Connection& c);  // ordered by id
// The playlists `user` owns or is a member of (collaborator or follower), newest first (by
// creation or by joining).
Result<std::vector<PlaylistId>> load_playlist_ids_of(store::Connection& c, const UserId& user);
Status update_playlist_details(store::Connection& c, const PlaylistId& id, const std::string& name,
                               const std::string& description, bool is_public, bool collaborative,
                               int64_t updated_at_ms);
// Collaborative and private.
Status make_collaborative(store::Connection& c, const PlaylistId& id, int64_t updated_at_ms);
// After a change of the items.
Status update_playlist_items(store::Connection& c, const PlaylistId& id, const std::string& snapshot_id,
                             int64_t track_count, int64_t log_length, int64_t updated_at_ms);
Result<int64_t> load_log_length(store::Connection& c, const PlaylistId& id);  // 0: no such playlist
// The log's length for a writer about to append, locked against other processes' writers until
// the transaction ends (PostgreSQL); Error::not_found for no such playlist.
Result<int64_t> lock_log_length(store::Connection& c, const PlaylistId& id);
Result<std::optional<std::string>> load_snapshot_id(store::Connection& c, const PlaylistId& id);

// ---- The operation log (playlist_ops) ----

// One row of the log.
struct LoggedOp {
  int64_t seq = 0;
  std::string op;  // encode_ops() of the operation(s)
  UserId user;     // who made it (not read by for_each_op_after)
  int64_t at_ms = 0;  // when (likewise)
};

Status insert_op(store::Connection& c, const PlaylistId& id, int64_t seq, const OpId& op_id, const UserId& user,
                 int64_t at_ms, std::string encoded);
// Calls `fn` with each row with after_seq < seq <= last_seq, in seq order.
Status for_each_op(store::Connection& c, const PlaylistId& id, int64_t after_seq, int64_t last_seq,
                   const std::function<void(const LoggedOp&)>& fn);
// Calls `fn` with at most `limit` rows (seq and op only) with seq > after_seq, in seq order.
Status for_each_op_after(store::Connection& c, const PlaylistId& id, int64_t after_seq, int64_t limit,
                         const std::function<void(const LoggedOp&)>& fn);
// Deletes the ops with seq <= last_seq.
Status delete_ops_through(store::Connection& c, const PlaylistId& id, int64_t last_seq);

// ---- Versions (playlist_versions) ----

// `v.ops` operations whose log ends at `last_seq`.
Status insert_version(store::Connection& c, const PlaylistId& id, const Version& v, int64_t last_seq);
Result<std::vector<Version>> load_versions(store::Connection& c, const PlaylistId& id);  // newest first
// The newest and the oldest version's numbers (0 without versions).
Result<int64_t> load_newest_version_number(store::Connection& c, const PlaylistId& id);
Result<int64_t> load_oldest_version_number(store::Connection& c, const PlaylistId& id);
// The earliest version with this snapshot id: its number, or where its ops end.
Result<std::optional<int64_t>> find_version_number(store::Connection& c, const PlaylistId& id,
                                                   const std::string& snapshot_id);
Result<std::optional<int64_t>> find_version_last_seq(store::Connection& c, const PlaylistId& id,
                                                     const std::string& snapshot_id);
// The version `n` places below the newest (0: the newest), nullopt if there are not that many.
struct VersionMark {
  int64_t number = 0;
  int64_t last_seq = 0;
};
Result<std::optional<VersionMark>> load_version_below_newest(store::Connection& c, const PlaylistId& id,
                                                             int64_t n);
// Deletes the versions numbered below `number`.
Status delete_versions_before(store::Connection& c, const PlaylistId& id, int64_t number);

// ---- The folded history (playlist_bases, playlist_base_added) ----

struct LogBase {
  int64_t last_seq = 0;  // the log's ops up to here are folded into `state`
  int64_t op_count = 0;  // Sequence::to_ops().size() of the state
  std::string state;     // Sequence::encode_snapshot()
};
Result<std::optional<LogBase>> load_base(store::Connection& c, const PlaylistId& id);
Status upsert_base(store::Connection& c, const PlaylistId& id, const LogBase& base);

// Who added an entry of the base, and when.
struct BaseAdded {
  OpId entry;
  UserId user;
  int64_t at_ms = 0;
};
Result<std::vector<BaseAdded>> load_base_added(store::Connection& c, const PlaylistId& id);
Status delete_base_added(store::Connection& c, const PlaylistId& id);
Status insert_base_added(store::Connection& c, const PlaylistId& id, const BaseAdded& added);

// ---- Members (playlist_members) and removals (playlist_removals) ----

Result<bool> is_collaborator(store::Connection& c, const PlaylistId& id, const UserId& user);
Result<bool> is_follower(store::Connection& c, const PlaylistId& id, const UserId& user);
// Collaborators in the order they joined (then by id); and ordered by id.
Result<std::vector<UserId>> load_collaborators_by_join(store::Connection& c, const PlaylistId& id);
Result<std::vector<UserId>> load_collaborators_by_id(store::Connection& c, const PlaylistId& id);
// These insert nothing for an existing member of that role.
Status insert_collaborator(store::Connection& c, const PlaylistId& id, const UserId& user, int64_t added_at_ms);
Status insert_follower(store::Connection& c, const PlaylistId& id, const UserId& user, int64_t added_at_ms);
// Returns the number of rows deleted.
Result<int64_t> delete_collaborator(store::Connection& c, const PlaylistId& id, const UserId& user);
Status delete_follower(store::Connection& c, const PlaylistId& id, const UserId& user);
Status delete_collaborators(store::Connection& c, const PlaylistId& id);  // every one of the playlist
// The last time the owner removed `user`.
Result<std::optional<int64_t>> load_removed_at(store::Connection& c, const PlaylistId& id, const UserId& user);
Status upsert_removal(store::Connection& c, const PlaylistId& id, const UserId& user, int64_t removed_at_ms);

// ---- Invites (playlist_invites) ----

// An invite is usable while it is not revoked, not expired at `now_ms` and not used up.

// A link usable `inv.max_uses` times, found by `token_hash`.
Status insert_link_invite(store::Connection& c, const Invite& inv, const std::string& token_hash,
                          const UserId& created_by);
// An invite for `inv.invitee_name` (lower case), usable once; `token_hash` is never shown.
Status insert_named_invite(store::Connection& c, const Invite& inv, const std::string& token_hash,
                           const UserId& created_by);
// Usable invites, newest first (Invite::token is not stored: empty).
Result<std::vector<Invite>> load_usable_invites(store::Connection& c, const PlaylistId& id, int64_t now_ms);
Result<std::vector<Invite>> load_usable_invites_for_name(store::Connection& c, const std::string& invitee_name,
                                                         int64_t now_ms);
// One invite, whether usable or not, found by its token's hash or by its id.
struct StoredInvite {
  Invite invite;
  std::optional<int64_t> revoked_at_ms;
};
enum class InviteKey { kTokenHash, kId };
Result<std::optional<StoredInvite>> load_invite(store::Connection& c, InviteKey by, const std::string& key);
// Counts one use.
Status count_invite_use(store::Connection& c, const std::string& invite_id);
// Revokes one invite of the playlist unless already revoked; returns the number revoked.
Result<int64_t> mark_invite_revoked(store::Connection& c, const PlaylistId& id, const std::string& invite_id,
                                    int64_t now_ms);
// Revokes every invite of the playlist not yet revoked.
Status mark_invites_revoked(store::Connection& c, const PlaylistId& id, int64_t now_ms);
// Deletes the playlist's invites that are no longer usable; and its invite for a name.
Status delete_unusable_invites(store::Connection& c, const PlaylistId& id, int64_t now_ms);
Status delete_named_invite(store::Connection& c, const PlaylistId& id, const std::string& invitee_name);

// ---- Covers (playlist_images) ----

struct StoredCover {
  std::string jpeg;
  std::string cover_key;
  bool is_public = false;  // the playlist's
};
Result<std::optional<StoredCover>> load_cover(store::Connection& c, const PlaylistId& id);
// Inserts or replaces the cover and its key.
Status upsert_cover(store::Connection& c, const PlaylistId& id, const std::string& jpeg, int64_t updated_at_ms,
                    const std::string& cover_key);
Status update_cover_key(store::Connection& c, const PlaylistId& id, const std::string& cover_key);

}  // namespace segue::playlist
