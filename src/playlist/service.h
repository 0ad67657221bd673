// The playlist service: playlists whose items are a sequence CRDT (crdt.h), stored as an
// append-only log of operations in SQLite. Every change is one write transaction (its ops, a
// version row, the playlist's new snapshot id), committed before the caller is told the new
// snapshot id, so an acknowledged change survives kill -9.
//
// Who may do what: the owner does everything; collaborators (added through an invite) edit
// the items while the playlist is collaborative; anyone may read a public playlist; a private
// playlist is invisible (not_found) to everyone else. Ending collaboration (collaborative ->
// false, or making the playlist public) ends membership: the collaborator rows are deleted
// and every outstanding invite is revoked, so turning collaboration back on readmits nobody.
//
// History: the log keeps the operations of the newest kKeepVersions versions; older ones are
// folded into a base snapshot of the sequence (compact(), run after changes), so versions(),
// items_at(), restore() and ops_since() reach back that far and no further.
//
// Blocking (SQLite): worker threads only. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bus/event_bus.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/result.h"
#include "playlist/crdt.h"
#include "store/database.h"

namespace segue::playlist {

std::vector<store::Migration> playlist_migrations();

struct PlaylistInfo {
  PlaylistId id;  // base62
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
  std::string cover_key;  // set when has_image; goes in a private playlist's cover URL
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
  std::string id;     // names the invite for listing and revoking; not a secret
  std::string token;  // shown once; only its hash is stored (empty for an invite by name)
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
  std::optional<int64_t> max_uses;  // nullopt: unlimited (only invites made before limits)
  int64_t uses = 0;
  std::string invitee_name;  // an invite by login name: only that user may accept it
  PlaylistId playlist_id;
};

// Rows of the playlist store (playlist_store.h).
struct PlaylistRow;
enum class InviteKey;

struct RemoveSpec {
  std::string uri;
  std::optional<std::vector<std::size_t>> positions;  // nullopt: every occurrence
};

class PlaylistService {
 public:
  // Publishes to `events` (when given), on the changing thread, after the commit and before the
  // change returns:
  // - bus::PlaylistItemsChanged after each committed item change (its ops encoded with
  //   encode_ops);
  // - bus::PlaylistDetailsChanged when a playlist was created or its name, description,
  //   visibility or members changed: what a search index of playlists needs, and what real-time
  //   subscriptions re-check access on. It follows every membership or visibility change:
  //   update_details (visibility, collaboration turned on or off, which ends membership),
  //   create_invite / invite_by_name (they make the playlist collaborative), accept_invite /
  //   accept_named_invite, add_collaborator, remove_collaborator (removed or left), follow and
  //   unfollow.
  // `now_ms` is injectable for tests.
  explicit PlaylistService(store::Database& db, bus::EventBus* events = nullptr, std::function<int64_t()> now_ms = {});
  ~PlaylistService();

  // For indexing (no viewer check): a playlist's details and member user ids (owner first),
  // nullopt if it does not exist; and every playlist id.
  struct Facts {
    PlaylistInfo info;
    std::vector<UserId> members;
  };
  Result<std::optional<Facts>> facts(const PlaylistId& id);
  Result<std::vector<PlaylistId>> all_ids();

  // ---- playlists ----
  // Error::invalid for an empty or over-long name (1-200 bytes) or description (<= 1000).
  Result<PlaylistInfo> create(const UserId& owner, std::string_view name, std::string_view description,
                              bool is_public, bool collaborative);
  // not_found unless `viewer` may read it.
  Result<PlaylistInfo> get(const PlaylistId& id, const UserId& viewer);
  // Owner only (permission_denied for a collaborator, not_found for others).
  Status update_details(const PlaylistId& id, const UserId& user, std::optional<std::string> name,
                        std::optional<std::string> description, std::optional<bool> is_public,
                        std::optional<bool> collaborative);
  // Playlists `owner` owns, collaborates on or follows that `viewer` may see, newest first.
  Result<std::vector<PlaylistInfo>> list_for(const UserId& owner, const UserId& viewer);

  // ---- items ----
  Result<std::vector<Item>> items(const PlaylistId& id, const UserId& viewer);
  // The following return the new snapshot id. Positions refer to the list as of
  // `snapshot_id` when given (an older snapshot's positions are resolved there and applied
  // to the current list as identities), else to the current list. Error::invalid for
  // positions out of range, permission_denied for readers, not_found as for get(),
  // Error::invalid for an unknown snapshot id.
  Result<std::string> add(const PlaylistId& id, const UserId& user, const std::vector<std::string>& uris,
                          std::optional<std::size_t> position, const std::optional<std::string>& snapshot_id);
  Result<std::string> remove(const PlaylistId& id, const UserId& user, const std::vector<RemoveSpec>& specs,
                             const std::optional<std::string>& snapshot_id);
  Result<std::string> reorder(const PlaylistId& id, const UserId& user, std::size_t range_start,
                              std::size_t range_length, std::size_t insert_before,
                              const std::optional<std::string>& snapshot_id);
  Result<std::string> replace(const PlaylistId& id, const UserId& user, const std::vector<std::string>& uris);

  // ---- history ----
  Result<std::vector<Version>> versions(const PlaylistId& id, const UserId& viewer);
  Result<std::vector<Item>> items_at(const PlaylistId& id, const UserId& viewer, std::string_view snapshot_id);
  // Makes the list equal to the one at `snapshot_id` with new operations (removes, inserts
  // and moves), so every replica converges on it. Returns the new snapshot id.
  Result<std::string> restore(const PlaylistId& id, const UserId& user, std::string_view snapshot_id);
  // The ops applied after `snapshot_id` (all ops if empty), in log order, and the current
  // snapshot id: what a client that has `snapshot_id` needs to catch up.
  struct OpsSince {
    std::string snapshot_id;
    std::vector<Op> ops;
  };
  Result<OpsSince> ops_since(const PlaylistId& id, const UserId& viewer, std::string_view snapshot_id);
  // For ops_since an unknown or folded `snapshot_id` is not_found, so a caller can start
  // again from "", which always works: a compacted playlist's ops start with its base as
  // operations (Sequence::to_ops).
  //
  // One page of the same: at most `limit` ops, starting after `snapshot_id` ("" for all) or
  // after `cursor` (the previous page's `next`); `next` is empty on the last page.
  // `snapshot_id` is the playlist's current snapshot, read with the page. Error::conflict
  // when `snapshot_id` is not a kept version of a compacted playlist, or a compaction
  // happened since `cursor` was given: the client must refetch the whole list.
  struct OpsPage {
    std::string snapshot_id;
    std::vector<Op> ops;
    std::string next;
  };
  Result<OpsPage> ops_page(const PlaylistId& id, const UserId& viewer, std::string_view snapshot_id,
                           std::string_view cursor, std::size_t limit);
  // Folds the operations of versions older than the newest `keep_versions` into the base
  // snapshot and deletes them (and those versions' rows). Runs by itself after a change once
  // the history holds more than keep + slack versions (kKeepVersions, kCompactSlack by
  // default; set_history_limit changes them, for tests).
  Status compact(const PlaylistId& id, int64_t keep_versions);
  static constexpr int64_t kKeepVersions = 200;
  static constexpr int64_t kCompactSlack = 50;
  void set_history_limit(int64_t keep_versions, int64_t slack);

  // How this node brought its in-memory playlists up to date: full replays of a log (first use,
  // eviction, or ops folded away by another node's compaction) and catch-ups that applied only
  // the ops another node appended.
  struct CacheStats {
    uint64_t full_loads = 0;
    uint64_t catch_ups = 0;
  };
  CacheStats cache_stats() const { return {full_loads_.load(), catch_ups_.load()}; }
  // segue_playlist_cache_loads{kind="full"|"catch_up"}: the counts above.
  void register_metrics(MetricsRegistry& metrics) const;

  // ---- sharing ----
  // An invite link (owner only), usable `max_uses` times (1..kMaxInviteUses) until it
  // expires. Creating one is the owner turning collaboration on: the playlist becomes
  // collaborative (and so private, Spotify's model) now, not when someone accepts.
  static constexpr int64_t kMaxInviteUses = 100;
  Result<Invite> create_invite(const PlaylistId& id, const UserId& owner, int64_t ttl_ms, int64_t max_uses = 1);
  // Makes `user` a collaborator. Never changes the playlist's visibility or collaborative
  // flag. not_found (one message for all) for an unknown, expired, revoked or used-up token,
  // an invite whose playlist is no longer collaborative, or a user the owner removed after
  // the invite was made. Accepting again as a member (or as the owner) uses nothing.
  Result<PlaylistInfo> accept_invite(std::string_view token, const UserId& user);
  // The owner's invites that can still be accepted (not expired, revoked or used up),
  // newest first; and revoking one (not_found for an id not of this playlist).
  Result<std::vector<Invite>> invites(const PlaylistId& id, const UserId& owner);
  Status revoke_invite(const PlaylistId& id, const UserId& owner, std::string_view invite_id);
  // An invite addressed to a login name (the name need not exist: the owner learns nothing
  // about which names do). Makes the playlist collaborative like create_invite.
  Result<Invite> invite_by_name(const PlaylistId& id, const UserId& owner, std::string_view login_name,
                                int64_t ttl_ms);
  // The usable invites addressed to `login_name`, and accepting one of them as `user`
  // (whose login name is `login_name`; not_found otherwise, with accept_invite's rules).
  Result<std::vector<Invite>> invites_for_name(std::string_view login_name);
  Result<PlaylistInfo> accept_named_invite(std::string_view invite_id, const UserId& user,
                                           std::string_view login_name);
  // The owner adds `user` (an existing user id; the caller checks) as a collaborator
  // directly. Like create_invite, this makes the playlist collaborative and private.
  // permission_denied for anyone but the owner.
  Status add_collaborator(const PlaylistId& id, const UserId& owner, const UserId& user);
  Result<std::vector<UserId>> collaborators(const PlaylistId& id, const UserId& viewer);
  // The owner removes a collaborator (who then cannot rejoin through any invite made before
  // the removal; a new invite, or add_collaborator, readmits them), or a collaborator leaves.
  Status remove_collaborator(const PlaylistId& id, const UserId& owner, const UserId& user);
  Status follow(const PlaylistId& id, const UserId& user, bool follow);
  Result<std::vector<bool>> followed_by(const PlaylistId& id, const std::vector<UserId>& users);

  // ---- cover image (JPEG bytes; the handler validates them) ----
  Status set_image(const PlaylistId& id, const UserId& user, std::string jpeg);
  // The cover's bytes without a bearer token (image URLs are fetched by <img> tags): a public
  // playlist's cover by its id alone; a private one's only with its cover key
  // (PlaylistInfo::cover_key, 128 random bits, in the image URL readers get). The key
  // changes with every new cover, when the playlist goes private, and when a collaborator
  // is removed or leaves or collaboration ends, so old URLs stop working for people who
  // lost access. not_found (one message) for a missing cover or a wrong or missing key.
  struct Cover {
    std::string jpeg;
    bool is_public = false;
  };
  Result<Cover> cover(const PlaylistId& id, std::string_view key);

  enum class Access { kNone, kRead, kEdit, kOwner };

 private:
  struct Cached;
  using Row = PlaylistRow;
  Result<Row> load_row(store::Connection& c, const PlaylistId& id);
  Result<Access> access(store::Connection& c, const Row& row, const UserId& user);
  Result<Row> owner_row_for_invite(store::Connection& c, const PlaylistId& id, const UserId& owner, bool& changed);
  Result<PlaylistInfo> accept(InviteKey by, const std::string& key,
                              std::optional<std::string_view> login_name, const UserId& user);
  // The playlist's row if `viewer` may read it (not_found otherwise).
  Result<Row> readable_row(const PlaylistId& id, const UserId& viewer);
  // The cached sequence, reloaded from the database when it is behind `log_length` (the row's,
  // read by the caller): another node on the same database changed the playlist since.
  Result<std::shared_ptr<Cached>> cached(const PlaylistId& id, int64_t log_length);
  // Brings `entry` (its lock held) up to the log's end by applying the ops appended after it;
  // false when they are not all in the log any more (folded by a compaction) or do not apply.
  Result<bool> catch_up(const PlaylistId& id, Cached& entry);
  Result<Sequence> sequence_at(const PlaylistId& id, std::string_view snapshot_id);
  // The visible entries of `seq` with who added each and when (from `cached`'s log).
  static std::vector<Item> items_of(const Sequence& seq, const Cached& cached);
  // Runs `make_ops` against the cached sequence under its lock, commits the ops as one
  // version, and publishes the change.
  Result<std::string> change(const PlaylistId& id, const UserId& user, Access need,
                             const std::function<Result<std::vector<Op>>(Sequence& current, Cached&)>& make_ops,
                             const std::function<std::string(const std::vector<Op>&)>& summary);

  store::Database& db_;
  bus::EventBus* events_;
  std::function<int64_t()> now_ms_;
  void notify_details(const PlaylistId& id);
  Status notifying(const PlaylistId& id, Status s) {
    if (s.ok()) notify_details(id);
    return s;
  }
  int64_t keep_versions_ = kKeepVersions;
  int64_t compact_slack_ = kCompactSlack;
  std::atomic<uint64_t> full_loads_{0}, catch_ups_{0};
  std::mutex mu_;  // guards cache_
  std::unordered_map<PlaylistId, std::shared_ptr<Cached>> cache_;
};

// The replica id the server uses for the operations it makes on behalf of `user`.
ReplicaId replica_for(const UserId& user);

}  // namespace segue::playlist
