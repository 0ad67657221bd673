// The playlist service: playlists whose items are a sequence CRDT (crdt.h), stored as an
// append-only log of operations in SQLite. Every change is one write transaction (its ops, a
// version row, the playlist's new snapshot id), committed before the caller is told the new
// snapshot id, so an acknowledged change survives kill -9.
//
// Who may do what: the owner does everything; collaborators (added through an invite) edit
// the items; anyone may read a public playlist; a private playlist is invisible (not_found)
// to everyone else. Blocking (SQLite): worker threads only. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "playlist/crdt.h"
#include "store/database.h"

namespace segue::playlist {

std::vector<store::Migration> playlist_migrations();

struct PlaylistInfo {
  std::string id;  // base62
  UserId owner;
  std::string name;
  std::string description;
  bool is_public = true;
  bool collaborative = false;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::string snapshot_id;
  int64_t track_count = 0;
  int64_t followers = 0;
  bool has_image = false;
};

struct Item {
  std::string uri;  // "spotify:track:<id>"
  OpId entry;
  int64_t added_at_ms = 0;
  UserId added_by;
};

struct Version {
  int64_t number = 0;  // 1, 2, ... per playlist
  std::string snapshot_id;
  UserId user;
  int64_t at_ms = 0;
  std::string summary;  // "added 2 tracks", "restored version 3", ...
  int64_t ops = 0;
};

struct Invite {
  std::string token;  // shown once; only its hash is stored
  int64_t expires_at_ms = 0;
};

// What a change did, for real-time subscribers.
struct ChangeEvent {
  std::string playlist_id;
  std::string snapshot_id;
  std::string previous_snapshot_id;
  std::vector<Op> ops;
  bool is_public = false;
};

struct RemoveSpec {
  std::string uri;
  std::optional<std::vector<std::size_t>> positions;  // nullopt: every occurrence
};

class PlaylistService {
 public:
  // `now_ms` is injectable for tests.
  explicit PlaylistService(store::Database& db, std::function<int64_t()> now_ms = {});
  ~PlaylistService();

  // Called after each committed item change (from the worker thread that made it).
  void set_listener(std::function<void(const ChangeEvent&)> fn);
  // Called (on the changing thread, after the commit) with the id of a playlist that was
  // created or whose name, description, visibility or members changed: what a search index
  // of playlists needs. Several listeners may be added; add them before serving.
  void add_details_listener(std::function<void(const std::string& playlist_id)> fn);

  // For indexing (no viewer check): a playlist's details and member user ids (owner first),
  // nullopt if it does not exist; and every playlist id.
  struct Facts {
    PlaylistInfo info;
    std::vector<UserId> members;
  };
  Result<std::optional<Facts>> facts(std::string_view id);
  Result<std::vector<std::string>> all_ids();

  // ---- playlists ----
  // Error::invalid for an empty or over-long name (1-200 bytes) or description (<= 1000).
  Result<PlaylistInfo> create(const UserId& owner, std::string_view name, std::string_view description,
                              bool is_public, bool collaborative);
  // not_found unless `viewer` may read it.
  Result<PlaylistInfo> get(std::string_view id, const UserId& viewer);
  // Owner only (permission_denied for a collaborator, not_found for others).
  Status update_details(std::string_view id, const UserId& user, std::optional<std::string> name,
                        std::optional<std::string> description, std::optional<bool> is_public,
                        std::optional<bool> collaborative);
  // Playlists `owner` owns, collaborates on or follows that `viewer` may see, newest first.
  Result<std::vector<PlaylistInfo>> list_for(const UserId& owner, const UserId& viewer);

  // ---- items ----
  Result<std::vector<Item>> items(std::string_view id, const UserId& viewer);
  // The following return the new snapshot id. Positions refer to the list as of
  // `snapshot_id` when given (an older snapshot's positions are resolved there and applied
  // to the current list as identities), else to the current list. Error::invalid for
  // positions out of range, permission_denied for readers, not_found as for get(),
  // Error::invalid for an unknown snapshot id.
  Result<std::string> add(std::string_view id, const UserId& user, const std::vector<std::string>& uris,
                          std::optional<std::size_t> position, const std::optional<std::string>& snapshot_id);
  Result<std::string> remove(std::string_view id, const UserId& user, const std::vector<RemoveSpec>& specs,
                             const std::optional<std::string>& snapshot_id);
  Result<std::string> reorder(std::string_view id, const UserId& user, std::size_t range_start,
                              std::size_t range_length, std::size_t insert_before,
                              const std::optional<std::string>& snapshot_id);
  Result<std::string> replace(std::string_view id, const UserId& user, const std::vector<std::string>& uris);

  // ---- history ----
  Result<std::vector<Version>> versions(std::string_view id, const UserId& viewer);
  Result<std::vector<Item>> items_at(std::string_view id, const UserId& viewer, std::string_view snapshot_id);
  // Makes the list equal to the one at `snapshot_id` with new operations (removes, inserts
  // and moves), so every replica converges on it. Returns the new snapshot id.
  Result<std::string> restore(std::string_view id, const UserId& user, std::string_view snapshot_id);
  // The ops applied after `snapshot_id` (all ops if empty), in log order, and the current
  // snapshot id: what a client that has `snapshot_id` needs to catch up.
  struct OpsSince {
    std::string snapshot_id;
    std::vector<Op> ops;
  };
  Result<OpsSince> ops_since(std::string_view id, const UserId& viewer, std::string_view snapshot_id);

  // ---- sharing ----
  Result<Invite> create_invite(std::string_view id, const UserId& owner, int64_t ttl_ms);
  // Makes `user` a collaborator (and the playlist collaborative). not_found for an unknown,
  // expired or revoked token.
  Result<PlaylistInfo> accept_invite(std::string_view token, const UserId& user);
  // The owner adds `user` as a collaborator directly (invite by user). not_found for an
  // unknown user is the caller's check; permission_denied for anyone but the owner.
  Status add_collaborator(std::string_view id, const UserId& owner, const UserId& user);
  Result<std::vector<UserId>> collaborators(std::string_view id, const UserId& viewer);
  Status remove_collaborator(std::string_view id, const UserId& owner, const UserId& user);
  Status follow(std::string_view id, const UserId& user, bool follow);
  Result<std::vector<bool>> followed_by(std::string_view id, const std::vector<UserId>& users);

  // ---- cover image (JPEG bytes; the handler validates them) ----
  Status set_image(std::string_view id, const UserId& user, std::string jpeg);
  // The cover's bytes by playlist id alone: the id (128 random bits) is the capability, as
  // for album art, so that image URLs work without a bearer token.
  Result<std::string> cover(std::string_view id);

  enum class Access { kNone, kRead, kEdit, kOwner };

 private:
  struct Cached;
  struct Row;
  Result<Row> load_row(store::Connection& c, std::string_view id);
  Result<Access> access(store::Connection& c, const Row& row, const UserId& user);
  Result<std::shared_ptr<Cached>> cached(std::string_view id);
  Result<Sequence> sequence_at(std::string_view id, std::string_view snapshot_id);
  // The visible entries of `seq` with who added each and when (from `cached`'s log).
  static std::vector<Item> items_of(const Sequence& seq, const Cached& cached);
  // Runs `make_ops` against the cached sequence under its lock, commits the ops as one
  // version, and publishes the change.
  Result<std::string> change(std::string_view id, const UserId& user, Access need,
                             const std::function<Result<std::vector<Op>>(Sequence& current, Cached&)>& make_ops,
                             const std::function<std::string(const std::vector<Op>&)>& summary);

  store::Database& db_;
  std::function<int64_t()> now_ms_;
  std::function<void(const ChangeEvent&)> listener_;
  std::vector<std::function<void(const std::string&)>> details_listeners_;
  void notify_details(const std::string& id);
  Status notifying(std::string_view id, Status s) {
    if (s.ok()) notify_details(std::string(id));
    return s;
  }
  std::mutex mu_;  // guards cache_
  std::unordered_map<std::string, std::shared_ptr<Cached>> cache_;
};

// The replica id the server uses for the operations it makes on behalf of `user`.
ReplicaId replica_for(const UserId& user);

}  // namespace segue::playlist
