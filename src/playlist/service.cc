#include "playlist/service.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "common/crypto.h"
#include "common/strings.h"

namespace segue::playlist {
namespace {

using store::Blob;
using store::Connection;

constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxDescription = 1000;
constexpr std::size_t kMaxItems = 10000;  // Spotify's limit per playlist
constexpr std::size_t kMaxCached = 256;

struct OpIdHash {
  std::size_t operator()(const OpId& id) const noexcept {
    return std::hash<uint64_t>()(id.lamport * 0x9E3779B97F4A7C15ULL ^ id.replica);
  }
};

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status check_label(std::string_view text, std::size_t max, std::string_view what, bool allow_empty) {
  if ((!allow_empty && text.empty()) || text.size() > max)
    return Error::invalid(std::string(what) + " must be " + (allow_empty ? "at most " : "1 to ") +
                          std::to_string(max) + " bytes");
  if (!strings::is_valid_utf8(text)) return Error::invalid(std::string(what) + " is not valid UTF-8");
  return {};
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

// The summary of a batch of ops for the version history.
std::string describe(const std::vector<Op>& ops) {
  std::size_t ins = 0, mov = 0, rem = 0;
  for (const auto& op : ops) {
    if (op.kind == Op::Kind::kInsert) ++ins;
    else if (op.kind == Op::Kind::kMove) ++mov;
    else ++rem;
  }
  std::vector<std::string> parts;
  if (ins) parts.push_back("added " + plural(ins, "track"));
  if (rem) parts.push_back("removed " + plural(rem, "track"));
  if (mov) parts.push_back("moved " + plural(mov, "track"));
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

// Builders of ops made by the server for `replica`, applied to `seq` at once.
Result<Op> apply_insert(Sequence& seq, ReplicaId replica, const Anchor& at, std::string_view value) {
  Op op;
  op.id = {seq.max_lamport() + 1, replica};
  op.kind = Op::Kind::kInsert;
  op.insert.at = at;
  op.insert.value = std::string(value);
  SEGUE_TRY(seq.apply(op));
  return op;
}
Result<Op> apply_move(Sequence& seq, ReplicaId replica, const OpId& entry, const Anchor& to) {
  Op op;
  op.id = {seq.max_lamport() + 1, replica};
  op.kind = Op::Kind::kMove;
  op.move.entry = entry;
  op.move.to = to;
  SEGUE_TRY(seq.apply(op));
  return op;
}
Result<Op> apply_remove(Sequence& seq, ReplicaId replica, const OpId& entry) {
  Op op;
  op.id = {seq.max_lamport() + 1, replica};
  op.kind = Op::Kind::kRemove;
  op.remove.entry = entry;
  SEGUE_TRY(seq.apply(op));
  return op;
}

// Replays playlist `id`'s op log up to `last_seq` into `seq`; `on_op` sees each applied op
// with its row (columns: op, user_id, at_ms, seq).
Status replay_log(Connection& c, std::string_view id, int64_t last_seq, Sequence& seq,
                  const std::function<void(const Op&, const store::Row&)>& on_op = {}) {
  std::optional<Status> bad;
  SEGUE_TRY(c.query("SELECT op, user_id, at_ms, seq FROM playlist_ops WHERE playlist_id = ? AND seq <= ? ORDER BY seq",
                    {std::string(id), last_seq}, [&](const store::Row& r) {
                      if (bad) return;
                      auto ops = decode_ops(r.blob(0));
                      if (!ops) {
                        bad = Error::corruption("playlist " + std::string(id) + ": undecodable op at seq " +
                                                std::to_string(r.i64(3)));
                        return;
                      }
                      for (const auto& op : *ops) {
                        if (Status st = seq.apply(op); !st.ok()) {
                          bad = st;
                          return;
                        }
                        if (on_op) on_op(op, r);
                      }
                    }));
  if (bad) return *bad;
  return {};
}

// The anchor right after `entry` in the current list (the start if nullopt).
Anchor anchor_after(const Sequence& seq, const std::optional<OpId>& entry) {
  if (!entry) return seq.anchor_at(0);
  auto pos = seq.position_of(*entry);
  return seq.anchor_at(pos ? *pos + 1 : seq.size());
}

}  // namespace

std::vector<store::Migration> playlist_migrations() {
  return {{1, R"(
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
  )"}};
}

ReplicaId replica_for(const UserId& user) {
  std::string h = crypto::sha256("segue-playlist-replica:" + user.str());
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(h[i]);
  return v;
}

struct PlaylistService::Row {
  PlaylistInfo info;
  int64_t log_length = 0;
};

// A playlist's live sequence and what the log says about its entries.
struct PlaylistService::Cached {
  std::mutex mu;
  Sequence seq{0};
  int64_t log_length = 0;
  int64_t versions = 0;
  std::string snapshot_id;
  struct Added {
    UserId user;
    int64_t at_ms;
  };
  std::unordered_map<OpId, Added, OpIdHash> added;  // insert op -> who and when
};

PlaylistService::PlaylistService(store::Database& db, std::function<int64_t()> now_ms)
    : db_(db), now_ms_(now_ms ? std::move(now_ms) : system_now_ms) {}

PlaylistService::~PlaylistService() = default;

void PlaylistService::set_listener(std::function<void(const ChangeEvent&)> fn) { listener_ = std::move(fn); }

void PlaylistService::add_details_listener(std::function<void(const std::string&)> fn) {
  details_listeners_.push_back(std::move(fn));
}

void PlaylistService::notify_details(const std::string& id) {
  for (const auto& fn : details_listeners_) fn(id);
}

Result<std::optional<PlaylistService::Facts>> PlaylistService::facts(std::string_view id) {
  std::optional<Facts> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    auto row = load_row(c, id);
    if (!row.ok()) {
      if (row.error().code == ErrorCode::kNotFound) return {};
      return row.error();
    }
    Facts f;
    f.info = std::move(row->info);
    f.members.push_back(f.info.owner);
    SEGUE_TRY(c.query("SELECT user_id FROM playlist_members WHERE playlist_id = ? AND role = 'collaborator' "
                      "ORDER BY user_id",
                      {std::string(id)}, [&](const store::Row& r) { f.members.emplace_back(r.text(0)); }));
    out = std::move(f);
    return {};
  }));
  return out;
}

Result<std::vector<std::string>> PlaylistService::all_ids() {
  std::vector<std::string> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    return c.query("SELECT id FROM playlists ORDER BY id", {}, [&](const store::Row& r) { out.push_back(r.text(0)); });
  }));
  return out;
}

Result<PlaylistService::Row> PlaylistService::load_row(Connection& c, std::string_view id) {
  std::optional<Row> row;
  SEGUE_TRY(c.query(
      "SELECT p.owner_id, p.name, p.description, p.public, p.collaborative, p.created_at, p.updated_at, "
      "p.snapshot_id, p.track_count, p.log_length, "
      "(SELECT COUNT(*) FROM playlist_members m WHERE m.playlist_id = p.id AND m.role = 'follower'), "
      "EXISTS (SELECT 1 FROM playlist_images i WHERE i.playlist_id = p.id) "
      "FROM playlists p WHERE p.id = ?",
      {std::string(id)}, [&](const store::Row& r) {
        Row out;
        out.info.id = std::string(id);
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
        out.info.has_image = r.i64(11) != 0;
        row = std::move(out);
      }));
  if (!row) return Error::not_found("playlist not found");
  return *std::move(row);
}

Result<PlaylistService::Access> PlaylistService::access(Connection& c, const Row& row, const UserId& user) {
  if (row.info.owner == user) return Access::kOwner;
  SEGUE_ASSIGN_OR_RETURN(auto collab, c.query_int(
      "SELECT 1 FROM playlist_members WHERE playlist_id = ? AND user_id = ? AND role = 'collaborator'",
      {row.info.id, user.str()}));
  if (collab) return Access::kEdit;
  return row.info.is_public ? Access::kRead : Access::kNone;
}

Result<PlaylistInfo> PlaylistService::create(const UserId& owner, std::string_view name,
                                             std::string_view description, bool is_public,
                                             bool collaborative) {
  SEGUE_TRY(check_label(name, kMaxName, "name", false));
  SEGUE_TRY(check_label(description, kMaxDescription, "description", true));
  PlaylistInfo info;
  info.id = random_base62_id();
  info.owner = owner;
  info.name = std::string(name);
  info.description = std::string(description);
  // Spotify: a collaborative playlist is never public.
  info.collaborative = collaborative;
  info.is_public = collaborative ? false : is_public;
  info.created_at_ms = info.updated_at_ms = now_ms_();
  info.snapshot_id = Sequence(0).digest();
  SEGUE_TRY(db_.write([&](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO playlists (id, owner_id, name, description, public, collaborative, "
                     "created_at, updated_at, snapshot_id, track_count, log_length) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
                     {info.id, owner.str(), info.name, info.description, int64_t{info.is_public},
                      int64_t{info.collaborative}, info.created_at_ms, info.updated_at_ms, info.snapshot_id}));
    SEGUE_TRY(c.exec("INSERT INTO playlist_versions (playlist_id, number, snapshot_id, user_id, at_ms, "
                     "summary, last_seq, ops) VALUES (?, 0, ?, ?, ?, 'created the playlist', 0, 0)",
                     {info.id, info.snapshot_id, owner.str(), info.created_at_ms}));
    return {};
  }));
  notify_details(info.id);
  return info;
}

Result<PlaylistInfo> PlaylistService::get(std::string_view id, const UserId& viewer) {
  std::optional<PlaylistInfo> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, viewer));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    out = std::move(row.info);
    return {};
  }));
  return *std::move(out);
}

Status PlaylistService::update_details(std::string_view id, const UserId& user,
                                       std::optional<std::string> name,
                                       std::optional<std::string> description,
                                       std::optional<bool> is_public, std::optional<bool> collaborative) {
  if (name) SEGUE_TRY(check_label(*name, kMaxName, "name", false));
  if (description) SEGUE_TRY(check_label(*description, kMaxDescription, "description", true));
  return notifying(id, db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, user));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (a != Access::kOwner) return Error::permission_denied("only the owner can change the playlist's details");
    bool pub = is_public.value_or(row.info.is_public);
    bool collab = collaborative.value_or(row.info.collaborative);
    if (pub && collab) {
      if (is_public && collaborative) return Error::invalid("a collaborative playlist cannot be public");
      if (collaborative) pub = false;  // becoming collaborative makes it private
      else collab = false;             // becoming public ends collaboration
    }
    SEGUE_TRY(c.exec("UPDATE playlists SET name = ?, description = ?, public = ?, collaborative = ?, "
                     "updated_at = ? WHERE id = ?",
                     {name.value_or(row.info.name), description.value_or(row.info.description),
                      int64_t{pub}, int64_t{collab}, now_ms_(), std::string(id)}));
    return {};
  }));
}

Result<std::vector<PlaylistInfo>> PlaylistService::list_for(const UserId& owner, const UserId& viewer) {
  std::vector<PlaylistInfo> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    std::vector<std::string> ids;
    SEGUE_TRY(c.query(
        "SELECT id FROM (SELECT id, created_at AS t FROM playlists WHERE owner_id = ? "
        "UNION SELECT m.playlist_id, m.added_at FROM playlist_members m WHERE m.user_id = ?) "
        "GROUP BY id ORDER BY MAX(t) DESC, id",
        {owner.str(), owner.str()}, [&](const store::Row& r) { ids.push_back(r.text(0)); }));
    for (const auto& pid : ids) {
      auto row = load_row(c, pid);
      if (!row) continue;
      SEGUE_ASSIGN_OR_RETURN(auto a, access(c, *row, viewer));
      if (a != Access::kNone) out.push_back(std::move(row->info));
    }
    return {};
  }));
  return out;
}

Result<std::shared_ptr<PlaylistService::Cached>> PlaylistService::cached(std::string_view id) {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(std::string(id));
    if (it != cache_.end()) return it->second;
  }
  auto fresh = std::make_shared<Cached>();
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_TRY(replay_log(c, id, INT64_MAX, fresh->seq, [&](const Op& op, const store::Row& r) {
      if (op.kind == Op::Kind::kInsert) fresh->added.emplace(op.id, Cached::Added{UserId(r.text(1)), r.i64(2)});
      fresh->log_length = r.i64(3);
    }));
    SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int("SELECT MAX(number) FROM playlist_versions WHERE playlist_id = ?",
                                               {std::string(id)}));
    fresh->versions = n.value_or(0);
    return {};
  }));
  fresh->snapshot_id = fresh->seq.digest();
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCached) cache_.erase(cache_.begin());
  auto [it, inserted] = cache_.emplace(std::string(id), fresh);
  return it->second;
}

Result<Sequence> PlaylistService::sequence_at(std::string_view id, std::string_view snapshot_id) {
  std::optional<Sequence> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto last, c.query_int(
        "SELECT last_seq FROM playlist_versions WHERE playlist_id = ? AND snapshot_id = ? ORDER BY number LIMIT 1",
        {std::string(id), std::string(snapshot_id)}));
    if (!last) return Error::invalid("snapshot_id: unknown snapshot of this playlist");
    Sequence seq(0);
    SEGUE_TRY(replay_log(c, id, *last, seq));
    out = std::move(seq);
    return {};
  }));
  return *std::move(out);
}

Result<std::string> PlaylistService::change(
    std::string_view id, const UserId& user, Access need,
    const std::function<Result<std::vector<Op>>(Sequence&, Cached&)>& make_ops,
    const std::function<std::string(const std::vector<Op>&)>& summary) {
  Row row;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, user));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (a < need) return Error::permission_denied("you cannot edit this playlist");
    return {};
  }));
  SEGUE_ASSIGN_OR_RETURN(auto entry, cached(id));
  ChangeEvent event;
  {
    std::lock_guard lock(entry->mu);
    auto ops = make_ops(entry->seq, *entry);
    auto evict = [&] {
      std::lock_guard cache_lock(mu_);
      auto it = cache_.find(std::string(id));
      if (it != cache_.end() && it->second == entry) cache_.erase(it);
    };
    if (!ops) {
      evict();  // some ops may have been applied before the failure
      return ops.error();
    }
    if (ops->empty()) return entry->snapshot_id;
    if (entry->seq.size() > kMaxItems) {
      evict();
      return Error::invalid("a playlist holds at most " + std::to_string(kMaxItems) + " tracks");
    }
    const int64_t now = now_ms_();
    const std::string snapshot = entry->seq.digest();
    const int64_t first_seq = entry->log_length + 1;
    const int64_t version = entry->versions + 1;
    Status s = db_.write([&](Connection& c) -> Status {
      int64_t seq = first_seq;
      for (const auto& op : *ops) {
        SEGUE_TRY(c.exec("INSERT INTO playlist_ops (playlist_id, seq, lamport, replica, user_id, at_ms, op) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         {std::string(id), seq++, static_cast<int64_t>(op.id.lamport),
                          static_cast<int64_t>(op.id.replica), user.str(), now, Blob{encode_ops({op})}}));
      }
      SEGUE_TRY(c.exec("INSERT INTO playlist_versions (playlist_id, number, snapshot_id, user_id, at_ms, summary, "
                       "last_seq, ops) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       {std::string(id), version, snapshot, user.str(), now, summary(*ops), seq - 1,
                        static_cast<int64_t>(ops->size())}));
      SEGUE_TRY(c.exec("UPDATE playlists SET snapshot_id = ?, track_count = ?, log_length = ?, updated_at = ? "
                       "WHERE id = ?",
                       {snapshot, static_cast<int64_t>(entry->seq.size()), seq - 1, now, std::string(id)}));
      return {};
    });
    if (!s.ok()) {
      evict();
      return s.error();
    }
    event.previous_snapshot_id = entry->snapshot_id;
    entry->log_length = first_seq + static_cast<int64_t>(ops->size()) - 1;
    entry->versions = version;
    entry->snapshot_id = snapshot;
    for (const auto& op : *ops)
      if (op.kind == Op::Kind::kInsert) entry->added.emplace(op.id, Cached::Added{user, now});
    event.playlist_id = std::string(id);
    event.snapshot_id = snapshot;
    event.ops = std::move(*ops);
    event.is_public = row.info.is_public;
  }
  if (listener_) listener_(event);
  return event.snapshot_id;
}

std::vector<Item> PlaylistService::items_of(const Sequence& seq, const Cached& cached) {
  std::vector<Item> out;
  for (const auto& e : seq.entries()) {
    Item it;
    it.uri = std::string(e.value);
    it.entry = e.id;
    if (auto a = cached.added.find(e.id); a != cached.added.end()) {
      it.added_at_ms = a->second.at_ms;
      it.added_by = a->second.user;
    }
    out.push_back(std::move(it));
  }
  return out;
}

Result<std::vector<Item>> PlaylistService::items(std::string_view id, const UserId& viewer) {
  SEGUE_TRY(get(id, viewer));
  SEGUE_ASSIGN_OR_RETURN(auto entry, cached(id));
  std::lock_guard lock(entry->mu);
  return items_of(entry->seq, *entry);
}

Result<std::string> PlaylistService::add(std::string_view id, const UserId& user,
                                         const std::vector<std::string>& uris,
                                         std::optional<std::size_t> position,
                                         const std::optional<std::string>& snapshot_id) {
  if (uris.empty()) return Error::invalid("uris: at least one track is required");
  if (uris.size() > kMaxItems) return Error::invalid("uris: at most " + std::to_string(kMaxItems) + " tracks");
  std::optional<Sequence> old;
  if (snapshot_id) {
    auto at = sequence_at(id, *snapshot_id);
    if (!at) return at.error();
    old = std::move(*at);
  }
  const ReplicaId replica = replica_for(user);
  return change(id, user, Access::kEdit, [&](Sequence& cur, Cached&) -> Result<std::vector<Op>> {
    const Sequence& base = old ? *old : cur;
    std::size_t pos = position.value_or(base.size());
    if (pos > base.size())
      return Error::invalid("position: " + std::to_string(pos) + " is beyond the end of the playlist (" +
                            std::to_string(base.size()) + " tracks)");
    Anchor anchor = base.anchor_at(pos);
    std::vector<Op> ops;
    for (const auto& uri : uris) {
      SEGUE_ASSIGN_OR_RETURN(auto op, apply_insert(cur, replica, anchor, uri));
      anchor.left = op.id;  // the next one goes right after this one
      ops.push_back(std::move(op));
    }
    return ops;
  }, describe);
}

Result<std::string> PlaylistService::remove(std::string_view id, const UserId& user,
                                            const std::vector<RemoveSpec>& specs,
                                            const std::optional<std::string>& snapshot_id) {
  if (specs.empty()) return Error::invalid("tracks: at least one track is required");
  if (specs.size() > kMaxItems) return Error::invalid("tracks: too many tracks");
  std::optional<Sequence> old;
  if (snapshot_id) {
    auto at = sequence_at(id, *snapshot_id);
    if (!at) return at.error();
    old = std::move(*at);
  }
  const ReplicaId replica = replica_for(user);
  return change(id, user, Access::kEdit, [&](Sequence& cur, Cached&) -> Result<std::vector<Op>> {
    const Sequence& base = old ? *old : cur;
    std::vector<OpId> targets;
    for (const auto& spec : specs) {
      if (spec.positions) {
        for (std::size_t p : *spec.positions) {
          if (p >= base.size()) return Error::invalid("positions: " + std::to_string(p) + " is out of range");
          Entry e = base.at(p);
          if (e.value != spec.uri)
            return Error::invalid("positions: the track at " + std::to_string(p) + " is not " + spec.uri);
          targets.push_back(e.id);
        }
      } else {
        for (const auto& e : base.entries())
          if (e.value == spec.uri) targets.push_back(e.id);
      }
    }
    std::vector<Op> ops;
    std::unordered_set<OpId, OpIdHash> done;
    for (const auto& t : targets) {
      if (!done.insert(t).second || !cur.position_of(t)) continue;  // already gone
      SEGUE_ASSIGN_OR_RETURN(auto op, apply_remove(cur, replica, t));
      ops.push_back(std::move(op));
    }
    return ops;
  }, describe);
}

Result<std::string> PlaylistService::reorder(std::string_view id, const UserId& user, std::size_t range_start,
                                             std::size_t range_length, std::size_t insert_before,
                                             const std::optional<std::string>& snapshot_id) {
  if (range_length == 0) return Error::invalid("range_length: must be at least 1");
  std::optional<Sequence> old;
  if (snapshot_id) {
    auto at = sequence_at(id, *snapshot_id);
    if (!at) return at.error();
    old = std::move(*at);
  }
  const ReplicaId replica = replica_for(user);
  return change(id, user, Access::kEdit, [&](Sequence& cur, Cached&) -> Result<std::vector<Op>> {
    const Sequence& base = old ? *old : cur;
    const std::size_t n = base.size();
    if (range_start >= n || range_length > n - range_start)
      return Error::invalid("range_start and range_length: the range is outside the playlist (" +
                            std::to_string(n) + " tracks)");
    if (insert_before > n) return Error::invalid("insert_before: beyond the end of the playlist");
    std::vector<Op> ops;
    if (insert_before >= range_start && insert_before <= range_start + range_length) return ops;  // no-op
    std::vector<OpId> moving;
    for (std::size_t i = 0; i < range_length; ++i) moving.push_back(base.at(range_start + i).id);
    Anchor anchor = base.anchor_at(insert_before);
    for (const auto& e : moving) {
      if (!cur.position_of(e)) continue;  // removed since the snapshot: nothing to move
      SEGUE_ASSIGN_OR_RETURN(auto op, apply_move(cur, replica, e, anchor));
      anchor.left = op.id;  // moves chain in the range's order
      ops.push_back(std::move(op));
    }
    return ops;
  }, describe);
}

Result<std::string> PlaylistService::replace(std::string_view id, const UserId& user,
                                             const std::vector<std::string>& uris) {
  if (uris.size() > kMaxItems) return Error::invalid("uris: at most " + std::to_string(kMaxItems) + " tracks");
  const ReplicaId replica = replica_for(user);
  return change(id, user, Access::kEdit, [&](Sequence& cur, Cached&) -> Result<std::vector<Op>> {
    std::vector<Op> ops;
    for (const auto& e : cur.entries()) {
      SEGUE_ASSIGN_OR_RETURN(auto op, apply_remove(cur, replica, e.id));
      ops.push_back(std::move(op));
    }
    Anchor anchor = cur.anchor_at(0);
    for (const auto& uri : uris) {
      SEGUE_ASSIGN_OR_RETURN(auto op, apply_insert(cur, replica, anchor, uri));
      anchor.left = op.id;
      ops.push_back(std::move(op));
    }
    return ops;
  }, [](const std::vector<Op>& ops) { return "replaced the tracks (" + describe(ops) + ")"; });
}

Result<std::vector<Version>> PlaylistService::versions(std::string_view id, const UserId& viewer) {
  SEGUE_TRY(get(id, viewer));
  std::vector<Version> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    return c.query("SELECT number, snapshot_id, user_id, at_ms, summary, ops FROM playlist_versions "
                   "WHERE playlist_id = ? ORDER BY number DESC",
                   {std::string(id)}, [&](const store::Row& r) {
                     out.push_back({r.i64(0), r.text(1), UserId(r.text(2)), r.i64(3), r.text(4), r.i64(5)});
                   });
  }));
  return out;
}

Result<std::vector<Item>> PlaylistService::items_at(std::string_view id, const UserId& viewer,
                                                    std::string_view snapshot_id) {
  SEGUE_TRY(get(id, viewer));
  SEGUE_ASSIGN_OR_RETURN(auto seq, sequence_at(id, snapshot_id));
  SEGUE_ASSIGN_OR_RETURN(auto entry, cached(id));
  std::lock_guard lock(entry->mu);
  return items_of(seq, *entry);
}

Result<std::string> PlaylistService::restore(std::string_view id, const UserId& user,
                                             std::string_view snapshot_id) {
  SEGUE_ASSIGN_OR_RETURN(auto target_seq, sequence_at(id, snapshot_id));
  struct Target {
    OpId id;
    std::string value;
  };
  std::vector<Target> target;
  for (const auto& e : target_seq.entries()) target.push_back({e.id, std::string(e.value)});
  std::string restored_from(snapshot_id);
  std::optional<int64_t> number;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(number, c.query_int(
        "SELECT number FROM playlist_versions WHERE playlist_id = ? AND snapshot_id = ? ORDER BY number LIMIT 1",
        {std::string(id), restored_from}));
    return {};
  }));
  const ReplicaId replica = replica_for(user);
  return change(id, user, Access::kEdit, [&](Sequence& cur, Cached&) -> Result<std::vector<Op>> {
    std::vector<Op> ops;
    std::unordered_set<OpId, OpIdHash> wanted;
    for (const auto& t : target) wanted.insert(t.id);
    // 1. Remove what the target does not have.
    for (const auto& e : cur.entries()) {
      if (wanted.count(e.id)) continue;
      SEGUE_ASSIGN_OR_RETURN(auto op, apply_remove(cur, replica, e.id));
      ops.push_back(std::move(op));
    }
    // 2. Survivors that are already in the target's relative order stay (a longest
    //    increasing subsequence of their target indexes); the others move.
    std::unordered_map<OpId, std::size_t, OpIdHash> target_index;
    for (std::size_t i = 0; i < target.size(); ++i) target_index[target[i].id] = i;
    std::vector<std::size_t> order;  // target indexes of survivors, in current order
    for (const auto& e : cur.entries()) order.push_back(target_index.at(e.id));
    std::vector<std::size_t> tails, tails_at, parent(order.size(), SIZE_MAX);
    for (std::size_t i = 0; i < order.size(); ++i) {
      auto it = std::lower_bound(tails.begin(), tails.end(), order[i]);
      std::size_t k = static_cast<std::size_t>(it - tails.begin());
      if (it == tails.end()) {
        tails.push_back(order[i]);
        tails_at.push_back(i);
      } else {
        *it = order[i];
        tails_at[k] = i;
      }
      parent[i] = k > 0 ? tails_at[k - 1] : SIZE_MAX;
    }
    std::unordered_set<std::size_t> stay;  // target indexes that keep their place
    for (std::size_t i = tails.empty() ? SIZE_MAX : tails_at.back(); i != SIZE_MAX; i = parent[i])
      stay.insert(order[i]);
    // 3. Walk the target: move the others after their predecessor, re-insert what is gone.
    std::optional<OpId> prev;
    for (std::size_t i = 0; i < target.size(); ++i) {
      const auto& t = target[i];
      if (stay.count(i)) {
        prev = t.id;
      } else if (cur.position_of(t.id)) {
        SEGUE_ASSIGN_OR_RETURN(auto op, apply_move(cur, replica, t.id, anchor_after(cur, prev)));
        prev = t.id;
        ops.push_back(std::move(op));
      } else {
        SEGUE_ASSIGN_OR_RETURN(auto op, apply_insert(cur, replica, anchor_after(cur, prev), t.value));
        prev = op.id;
        ops.push_back(std::move(op));
      }
    }
    return ops;
  }, [number](const std::vector<Op>&) {
    return "restored version " + (number ? std::to_string(*number) : std::string("?"));
  });
}

Result<PlaylistService::OpsSince> PlaylistService::ops_since(std::string_view id, const UserId& viewer,
                                                             std::string_view snapshot_id) {
  SEGUE_TRY(get(id, viewer));
  OpsSince out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    int64_t after = 0;
    if (!snapshot_id.empty()) {
      SEGUE_ASSIGN_OR_RETURN(auto last, c.query_int(
          "SELECT last_seq FROM playlist_versions WHERE playlist_id = ? AND snapshot_id = ? ORDER BY number LIMIT 1",
          {std::string(id), std::string(snapshot_id)}));
      if (!last) return Error::not_found("unknown snapshot of this playlist");
      after = *last;
    }
    std::optional<Status> bad;
    SEGUE_TRY(c.query("SELECT op FROM playlist_ops WHERE playlist_id = ? AND seq > ? ORDER BY seq",
                      {std::string(id), after}, [&](const store::Row& r) {
                        auto ops = decode_ops(r.blob(0));
                        if (!ops) bad = Error::corruption("undecodable playlist op");
                        else for (auto& op : *ops) out.ops.push_back(std::move(op));
                      }));
    if (bad) return *bad;
    SEGUE_TRY(c.query("SELECT snapshot_id FROM playlists WHERE id = ?", {std::string(id)},
                      [&](const store::Row& r) { out.snapshot_id = r.text(0); }));
    return {};
  }));
  return out;
}

Result<Invite> PlaylistService::create_invite(std::string_view id, const UserId& owner, int64_t ttl_ms) {
  Invite inv;
  inv.token = crypto::random_token(24);
  inv.expires_at_ms = now_ms_() + ttl_ms;
  SEGUE_TRY(db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, owner));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (a != Access::kOwner) return Error::permission_denied("only the owner can invite collaborators");
    SEGUE_TRY(c.exec("INSERT INTO playlist_invites (token_hash, playlist_id, created_by, expires_at) VALUES (?, ?, ?, ?)",
                  {crypto::hex_encode(crypto::sha256(inv.token)), std::string(id), owner.str(), inv.expires_at_ms}));
    return {};
  }));
  return inv;
}

Result<PlaylistInfo> PlaylistService::accept_invite(std::string_view token, const UserId& user) {
  std::string playlist_id;
  SEGUE_TRY(db_.write([&](Connection& c) -> Status {
    std::optional<int64_t> expires;
    SEGUE_TRY(c.query("SELECT playlist_id, expires_at FROM playlist_invites WHERE token_hash = ?",
                      {crypto::hex_encode(crypto::sha256(token))}, [&](const store::Row& r) {
                        playlist_id = r.text(0);
                        expires = r.i64(1);
                      }));
    if (!expires || *expires < now_ms_()) return Error::not_found("this invite link is not valid (any more)");
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, playlist_id));
    if (row.info.owner == user) return {};
    SEGUE_TRY(c.exec("INSERT OR IGNORE INTO playlist_members (playlist_id, user_id, role, added_at) "
                     "VALUES (?, ?, 'collaborator', ?)",
                     {playlist_id, user.str(), now_ms_()}));
    SEGUE_TRY(c.exec("UPDATE playlists SET collaborative = 1, public = 0 WHERE id = ?", {playlist_id}));
    return {};
  }));
  notify_details(playlist_id);
  return get(playlist_id, user);
}

Status PlaylistService::add_collaborator(std::string_view id, const UserId& owner, const UserId& user) {
  return notifying(id, db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, owner));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (a != Access::kOwner) return Error::permission_denied("only the owner can add collaborators");
    if (user == owner) return Error::invalid("the owner is not a collaborator of their own playlist");
    SEGUE_TRY(c.exec("INSERT OR IGNORE INTO playlist_members (playlist_id, user_id, role, added_at) "
                     "VALUES (?, ?, 'collaborator', ?)",
                     {std::string(id), user.str(), now_ms_()}));
    SEGUE_TRY(c.exec("UPDATE playlists SET collaborative = 1, public = 0 WHERE id = ?", {std::string(id)}));
    return {};
  }));
}

Result<std::vector<UserId>> PlaylistService::collaborators(std::string_view id, const UserId& viewer) {
  SEGUE_TRY(get(id, viewer));
  std::vector<UserId> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    return c.query("SELECT user_id FROM playlist_members WHERE playlist_id = ? AND role = 'collaborator' "
                   "ORDER BY added_at, user_id",
                   {std::string(id)}, [&](const store::Row& r) { out.emplace_back(r.text(0)); });
  }));
  return out;
}

Status PlaylistService::remove_collaborator(std::string_view id, const UserId& owner, const UserId& user) {
  return notifying(id, db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, owner));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    // The owner removes anyone; a collaborator may leave.
    if (a != Access::kOwner && !(owner == user)) return Error::permission_denied("only the owner can remove collaborators");
    SEGUE_TRY(c.exec("DELETE FROM playlist_members WHERE playlist_id = ? AND user_id = ? AND role = 'collaborator'",
                  {std::string(id), user.str()}));
    return {};
  }));
}

Status PlaylistService::follow(std::string_view id, const UserId& user, bool follow) {
  return db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, user));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (follow) {
      SEGUE_TRY(c.exec("INSERT OR IGNORE INTO playlist_members (playlist_id, user_id, role, added_at) "
                       "VALUES (?, ?, 'follower', ?)",
                       {std::string(id), user.str(), now_ms_()}));
    } else {
      SEGUE_TRY(c.exec("DELETE FROM playlist_members WHERE playlist_id = ? AND user_id = ? AND role = 'follower'",
                       {std::string(id), user.str()}));
    }
    return {};
  });
}

Result<std::vector<bool>> PlaylistService::followed_by(std::string_view id, const std::vector<UserId>& users) {
  std::vector<bool> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    for (const auto& u : users) {
      SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int(
          "SELECT 1 FROM playlist_members WHERE playlist_id = ? AND user_id = ? AND role = 'follower'",
          {std::string(id), u.str()}));
      out.push_back(v.has_value());
    }
    return {};
  }));
  return out;
}

Status PlaylistService::set_image(std::string_view id, const UserId& user, std::string jpeg) {
  return db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, user));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    // The cover is a detail, like the name: the owner's (collaborators edit the items).
    if (a != Access::kOwner) return Error::permission_denied("only the owner can change the cover");
    SEGUE_TRY(c.exec("INSERT INTO playlist_images (playlist_id, jpeg, updated_at) VALUES (?, ?, ?) "
                  "ON CONFLICT (playlist_id) DO UPDATE SET jpeg = excluded.jpeg, updated_at = excluded.updated_at",
                  {std::string(id), Blob{std::move(jpeg)}, now_ms_()}));
    return {};
  });
}

Result<std::string> PlaylistService::cover(std::string_view id) {
  std::optional<std::string> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    return c.query("SELECT jpeg FROM playlist_images WHERE playlist_id = ?", {std::string(id)},
                   [&](const store::Row& r) { out = r.blob(0); });
  }));
  if (!out) return Error::not_found("this playlist has no cover image");
  return *std::move(out);
}

}  // namespace segue::playlist
