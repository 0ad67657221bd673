#include "playlist/service.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <unordered_set>

#include "common/crypto.h"
#include "common/log.h"
#include "common/strings.h"
#include "playlist/playlist_store.h"

namespace segue::playlist {
namespace {

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

// The folded part of a playlist's log (compact()) as a sequence.
Result<Sequence> decode_base(const LogBase& b, const PlaylistId& id) {
  auto seq = Sequence::decode_snapshot(b.state, 0);
  if (!seq) return Error::corruption("playlist " + id.str() + ": undecodable base snapshot");
  return seq;
}

constexpr const char* kFolded = "that snapshot is older than the history this playlist keeps";

// Replays playlist `id`'s log up to `last_seq` into `seq` (empty): the base snapshot, then the
// ops after it; `on_op` sees each applied op after the base with its row. Error::conflict for
// a `last_seq` inside the base.
Status replay_log(Connection& c, const PlaylistId& id, int64_t last_seq, Sequence& seq,
                  const std::function<void(const Op&, const LoggedOp&)>& on_op = {}) {
  SEGUE_ASSIGN_OR_RETURN(auto base, load_base(c, id));
  int64_t from = 0;
  if (base) {
    if (last_seq < base->last_seq) return Error::conflict(kFolded);
    SEGUE_ASSIGN_OR_RETURN(seq, decode_base(*base, id));
    from = base->last_seq;
  }
  std::optional<Status> bad;
  SEGUE_TRY(for_each_op(c, id, from, last_seq, [&](const LoggedOp& r) {
    if (bad) return;
    auto ops = decode_ops(r.op);
    if (!ops) {
      bad = Error::corruption("playlist " + id.str() + ": undecodable op at seq " + std::to_string(r.seq));
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

// A new cover key: the cover's old URLs stop working.
Status rotate_cover_key(Connection& c, const PlaylistId& id) {
  return update_cover_key(c, id, crypto::hex_encode(crypto::random_bytes(16)));
}

}  // namespace

ReplicaId replica_for(const UserId& user) {
  std::string h = crypto::sha256("segue-playlist-replica:" + user.str());
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(h[i]);
  return v;
}

// A playlist's live sequence and what the log says about its entries.
struct PlaylistService::Cached {
  std::mutex mu;
  Sequence seq{0};
  int64_t log_length = 0;
  int64_t versions = 0;       // the newest version's number
  int64_t first_version = 0;  // the oldest one kept
  bool broken = false;        // an op failed to apply halfway through a catch-up: never reused
  std::string snapshot_id;
  struct Added {
    UserId user;
    int64_t at_ms;
  };
  std::unordered_map<OpId, Added, OpIdHash> added;  // insert op -> who and when
};

PlaylistService::PlaylistService(store::Database& db, bus::EventBus* events, std::function<int64_t()> now_ms)
    : db_(db), events_(events), now_ms_(now_ms ? std::move(now_ms) : system_now_ms) {}

PlaylistService::~PlaylistService() = default;

void PlaylistService::notify_details(const PlaylistId& id) {
  if (events_) events_->publish(bus::PlaylistDetailsChanged{id});
}

Result<std::optional<PlaylistService::Facts>> PlaylistService::facts(const PlaylistId& id) {
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
    if (!f.info.collaborative) {  // members count only while it is collaborative (see access())
      out = std::move(f);
      return {};
    }
    SEGUE_ASSIGN_OR_RETURN(auto collaborators, load_collaborators_by_id(c, id));
    f.members.insert(f.members.end(), collaborators.begin(), collaborators.end());
    out = std::move(f);
    return {};
  }));
  return out;
}

Result<std::vector<PlaylistId>> PlaylistService::all_ids() {
  std::vector<PlaylistId> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(out, load_playlist_ids(c));
    return {};
  }));
  return out;
}

Result<PlaylistService::Row> PlaylistService::load_row(Connection& c, const PlaylistId& id) {
  SEGUE_ASSIGN_OR_RETURN(auto row, load_playlist(c, id));
  if (!row) return Error::not_found("playlist not found");
  return *std::move(row);
}

Result<PlaylistService::Access> PlaylistService::access(Connection& c, const Row& row, const UserId& user) {
  if (row.info.owner == user) return Access::kOwner;
  // Membership means something only while the playlist is collaborative (ending
  // collaboration also deletes the rows; this keeps a stray row from granting anything).
  if (!row.info.collaborative) return row.info.is_public ? Access::kRead : Access::kNone;
  SEGUE_ASSIGN_OR_RETURN(bool collab, is_collaborator(c, row.info.id, user));
  if (collab) return Access::kEdit;
  return row.info.is_public ? Access::kRead : Access::kNone;
}

Result<PlaylistInfo> PlaylistService::create(const UserId& owner, std::string_view name,
                                             std::string_view description, bool is_public,
                                             bool collaborative) {
  SEGUE_TRY(check_label(name, kMaxName, "name", false));
  SEGUE_TRY(check_label(description, kMaxDescription, "description", true));
  PlaylistInfo info;
  info.id = PlaylistId(random_base62_id());
  info.owner = owner;
  info.name = std::string(name);
  info.description = std::string(description);
  // Spotify: a collaborative playlist is never public.
  info.collaborative = collaborative;
  info.is_public = collaborative ? false : is_public;
  info.created_at_ms = info.updated_at_ms = now_ms_();
  info.snapshot_id = Sequence(0).digest();
  SEGUE_TRY(db_.write([&](Connection& c) -> Status { return insert_playlist(c, info); }));
  notify_details(info.id);
  return info;
}

Result<PlaylistInfo> PlaylistService::get(const PlaylistId& id, const UserId& viewer) {
  SEGUE_ASSIGN_OR_RETURN(auto row, readable_row(id, viewer));
  return std::move(row.info);
}

Result<PlaylistService::Row> PlaylistService::readable_row(const PlaylistId& id, const UserId& viewer) {
  std::optional<Row> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, viewer));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    out = std::move(row);
    return {};
  }));
  return *std::move(out);
}

Status PlaylistService::update_details(const PlaylistId& id, const UserId& user,
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
    const int64_t now = now_ms_();
    SEGUE_TRY(update_playlist_details(c, id, name.value_or(row.info.name),
                                      description.value_or(row.info.description), pub, collab, now));
    if (row.info.collaborative && !collab) {
      // Ending collaboration ends membership: nobody keeps access, no old link readmits.
      SEGUE_TRY(delete_collaborators(c, id));
      SEGUE_TRY(mark_invites_revoked(c, id, now));
      SEGUE_TRY(rotate_cover_key(c, id));
    }
    if (row.info.is_public && !pub) SEGUE_TRY(rotate_cover_key(c, id));  // old cover URLs stop working
    return {};
  }));
}

Result<std::vector<PlaylistInfo>> PlaylistService::list_for(const UserId& owner, const UserId& viewer) {
  std::vector<PlaylistInfo> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto ids, load_playlist_ids_of(c, owner));
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

Result<std::shared_ptr<PlaylistService::Cached>> PlaylistService::cached(const PlaylistId& id, int64_t log_length) {
  std::shared_ptr<Cached> held;
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(id); it != cache_.end()) held = it->second;
  }
  if (held) {
    // Under the entry's lock (never with mu_ held; see compact()): a change on this node commits
    // and advances its entry as one step, so only a change made elsewhere (another node on the
    // same database) leaves the entry behind the row.
    std::lock_guard entry_lock(held->mu);
    if (!held->broken) {
      if (held->log_length >= log_length) return held;
      // Behind: apply the ops appended since (another node's edits) rather than replaying the
      // whole log. Falls through to the full reload when those ops were folded into the base.
      SEGUE_ASSIGN_OR_RETURN(bool caught_up, catch_up(id, *held));
      if (caught_up) catch_ups_.fetch_add(1, std::memory_order_relaxed);
      if (caught_up && held->log_length >= log_length) return held;
    }
  }
  auto fresh = std::make_shared<Cached>();
  full_loads_.fetch_add(1, std::memory_order_relaxed);
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_TRY(replay_log(c, id, INT64_MAX, fresh->seq, [&](const Op& op, const LoggedOp& r) {
      if (op.kind == Op::Kind::kInsert) fresh->added.emplace(op.id, Cached::Added{r.user, r.at_ms});
    }));
    SEGUE_ASSIGN_OR_RETURN(auto base_added, load_base_added(c, id));
    for (auto& a : base_added) fresh->added.emplace(a.entry, Cached::Added{std::move(a.user), a.at_ms});
    SEGUE_ASSIGN_OR_RETURN(fresh->log_length, load_log_length(c, id));
    SEGUE_ASSIGN_OR_RETURN(fresh->versions, load_newest_version_number(c, id));
    SEGUE_ASSIGN_OR_RETURN(fresh->first_version, load_oldest_version_number(c, id));
    return {};
  }));
  fresh->snapshot_id = fresh->seq.digest();
  // `fresh` was read after the caller's row, so it is as new as the caller needs. It takes the
  // place of the entry found behind; an entry another caller put there meanwhile is kept if it
  // is not behind too (so changes on this node keep sharing one entry and its lock).
  for (;;) {
    std::shared_ptr<Cached> other;
    {
      std::lock_guard lock(mu_);
      auto it = cache_.find(id);
      if (it == cache_.end()) {
        if (cache_.size() >= kMaxCached) cache_.erase(cache_.begin());
        cache_.emplace(id, fresh);
        return fresh;
      }
      if (it->second == held) {
        it->second = fresh;
        return fresh;
      }
      other = it->second;
    }
    {
      std::lock_guard entry_lock(other->mu);
      if (!other->broken && other->log_length >= log_length) return other;
    }
    held = std::move(other);
  }
}

void PlaylistService::register_metrics(MetricsRegistry& metrics) const {
  const char* help = "Playlists this node brought up to date in memory: full replays of the log, and catch-ups "
                     "applying only the ops another node appended (a running count)";
  metrics.gauge_fn("segue_playlist_cache_loads", help, {{"kind", "full"}},
                   [this] { return static_cast<double>(full_loads_.load()); });
  metrics.gauge_fn("segue_playlist_cache_loads", help, {{"kind", "catch_up"}},
                   [this] { return static_cast<double>(catch_ups_.load()); });
}

Result<bool> PlaylistService::catch_up(const PlaylistId& id, Cached& entry) {
  std::vector<LoggedOp> rows;
  int64_t newest_version = 0, oldest_version = 0;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    rows.clear();
    SEGUE_TRY(for_each_op(c, id, entry.log_length, INT64_MAX, [&](const LoggedOp& r) { rows.push_back(r); }));
    SEGUE_ASSIGN_OR_RETURN(newest_version, load_newest_version_number(c, id));
    SEGUE_ASSIGN_OR_RETURN(oldest_version, load_oldest_version_number(c, id));
    return {};
  }));
  // The ops must continue the entry's log without a gap; a gap means a compaction folded some of
  // them into the base (their rows are gone), and only a full replay rebuilds the sequence.
  int64_t expect = entry.log_length + 1;
  for (const auto& r : rows)
    if (r.seq != expect++) return false;
  if (rows.empty()) return false;
  for (const auto& r : rows) {
    auto ops = decode_ops(r.op);
    bool ok = ops.ok();
    if (ok) {
      for (const auto& op : *ops) {
        if (!entry.seq.apply(op).ok()) {
          ok = false;
          break;
        }
        if (op.kind == Op::Kind::kInsert) entry.added.emplace(op.id, Cached::Added{r.user, r.at_ms});
      }
    }
    if (!ok) {
      // Half applied: nobody may use this entry again (the caller replays the whole log).
      entry.broken = true;
      log::warn("playlist " + id.str() + ": op at seq " + std::to_string(r.seq) +
                " did not apply on the cached sequence; replaying the log");
      return false;
    }
    entry.log_length = r.seq;
  }
  entry.versions = newest_version;
  entry.first_version = oldest_version;
  entry.snapshot_id = entry.seq.digest();
  return true;
}

Result<Sequence> PlaylistService::sequence_at(const PlaylistId& id, std::string_view snapshot_id) {
  std::optional<Sequence> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto last, find_version_last_seq(c, id, std::string(snapshot_id)));
    if (!last) return Error::invalid("snapshot_id: unknown snapshot of this playlist (or older than the " +
                                     std::to_string(keep_versions_) + " versions it keeps)");
    Sequence seq(0);
    SEGUE_TRY(replay_log(c, id, *last, seq));
    out = std::move(seq);
    return {};
  }));
  return *std::move(out);
}

Result<std::string> PlaylistService::change(
    const PlaylistId& id, const UserId& user, Access need,
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
  bus::PlaylistItemsChanged event;
  std::shared_ptr<Cached> entry;
  // Another node may append to the op log between this node's read of the playlist and its
  // write: the write checks the log's length under a row lock and, when it moved, the change
  // is made again on the reloaded log (at most kAttempts times). A node that keeps losing backs
  // off a little (randomised, growing), so one writing without pause cannot starve it.
  constexpr int kAttempts = 64;
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) {
      thread_local std::minstd_rand rng{std::random_device{}()};
      const unsigned cap_us = 200u * static_cast<unsigned>(std::min(attempt, 25));
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % cap_us));
    }
    SEGUE_ASSIGN_OR_RETURN(entry, cached(id, row.log_length));
    std::lock_guard lock(entry->mu);
    auto ops = make_ops(entry->seq, *entry);
    auto evict = [&] {
      std::lock_guard cache_lock(mu_);
      auto it = cache_.find(id);
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
    std::optional<int64_t> moved;
    Status s = db_.write([&](Connection& c) -> Status {
      moved.reset();
      SEGUE_ASSIGN_OR_RETURN(int64_t len, lock_log_length(c, id));
      if (len != entry->log_length) {
        moved = len;
        return Error::conflict("the playlist changed meanwhile");
      }
      int64_t seq = first_seq;
      for (const auto& op : *ops) SEGUE_TRY(insert_op(c, id, seq++, op.id, user, now, encode_ops({op})));
      SEGUE_TRY(insert_version(c, id, Version{version, snapshot, user, now, summary(*ops),
                                              static_cast<int64_t>(ops->size())},
                               seq - 1));
      return update_playlist_items(c, id, snapshot, static_cast<int64_t>(entry->seq.size()), seq - 1, now);
    });
    if (!s.ok()) {
      evict();
      if (moved && attempt < kAttempts) {
        row.log_length = *moved;
        continue;
      }
      return s.error();
    }
    event.previous_snapshot_id = entry->snapshot_id;
    entry->log_length = first_seq + static_cast<int64_t>(ops->size()) - 1;
    entry->versions = version;
    entry->snapshot_id = snapshot;
    for (const auto& op : *ops)
      if (op.kind == Op::Kind::kInsert) entry->added.emplace(op.id, Cached::Added{user, now});
    event.playlist_id = id;
    event.snapshot_id = snapshot;
    event.ops = encode_ops(*ops);
    event.is_public = row.info.is_public;
    break;
  }
  // After the commit, before the caller hears of it (docs/architecture.md, "Domain events").
  if (events_) events_->publish(event);
  bool fold;
  {
    std::lock_guard lock(entry->mu);
    fold = entry->versions - entry->first_version + 1 > keep_versions_ + compact_slack_;
  }
  if (fold) {
    // The change is committed either way; a failed compaction is retried after the next one.
    if (Status st = compact(id, keep_versions_); !st.ok())
      log::warn("playlist " + id.str() + ": compaction failed: " + st.error().message);
  }
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

Result<std::vector<Item>> PlaylistService::items(const PlaylistId& id, const UserId& viewer) {
  SEGUE_ASSIGN_OR_RETURN(auto row, readable_row(id, viewer));
  SEGUE_ASSIGN_OR_RETURN(auto entry, cached(id, row.log_length));
  std::lock_guard lock(entry->mu);
  return items_of(entry->seq, *entry);
}

Result<std::string> PlaylistService::add(const PlaylistId& id, const UserId& user,
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

Result<std::string> PlaylistService::remove(const PlaylistId& id, const UserId& user,
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

Result<std::string> PlaylistService::reorder(const PlaylistId& id, const UserId& user, std::size_t range_start,
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

Result<std::string> PlaylistService::replace(const PlaylistId& id, const UserId& user,
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

Result<std::vector<Version>> PlaylistService::versions(const PlaylistId& id, const UserId& viewer) {
  SEGUE_TRY(get(id, viewer));
  std::vector<Version> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(out, load_versions(c, id));
    return {};
  }));
  return out;
}

Result<std::vector<Item>> PlaylistService::items_at(const PlaylistId& id, const UserId& viewer,
                                                    std::string_view snapshot_id) {
  SEGUE_ASSIGN_OR_RETURN(auto row, readable_row(id, viewer));
  SEGUE_ASSIGN_OR_RETURN(auto seq, sequence_at(id, snapshot_id));
  SEGUE_ASSIGN_OR_RETURN(auto entry, cached(id, row.log_length));
  std::lock_guard lock(entry->mu);
  return items_of(seq, *entry);
}

Result<std::string> PlaylistService::restore(const PlaylistId& id, const UserId& user,
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
    SEGUE_ASSIGN_OR_RETURN(number, find_version_number(c, id, restored_from));
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

Result<PlaylistService::OpsSince> PlaylistService::ops_since(const PlaylistId& id, const UserId& viewer,
                                                             std::string_view snapshot_id) {
  auto page = ops_page(id, viewer, snapshot_id, "", SIZE_MAX);
  if (!page.ok()) {
    // Unknown and folded snapshots alike: the caller starts again from nothing ("").
    if (page.error().code == ErrorCode::kConflict) return Error::not_found("unknown snapshot of this playlist");
    return page.error();
  }
  return OpsSince{std::move(page->snapshot_id), std::move(page->ops)};
}

// Positions in a playlist's op stream: 1..op_count are the base's ops (Sequence::to_ops
// order), then the log's ops after the base in seq order. A cursor is "<base last_seq>.<the
// last position returned>", so a compaction between two pages is noticed.
Result<PlaylistService::OpsPage> PlaylistService::ops_page(const PlaylistId& id, const UserId& viewer,
                                                           std::string_view snapshot_id, std::string_view cursor,
                                                           std::size_t limit) {
  if (limit == 0) return Error::invalid("limit: at least 1");
  std::optional<std::pair<int64_t, int64_t>> after;
  if (!cursor.empty()) {
    auto dot = cursor.find('.');
    auto b = dot == std::string_view::npos ? std::nullopt : strings::parse_int(cursor.substr(0, dot));
    auto a = dot == std::string_view::npos ? std::nullopt : strings::parse_int(cursor.substr(dot + 1));
    if (!b || !a || *b < 0 || *a < 0) return Error::invalid("cursor: not one this server gave");
    after = std::make_pair(*b, *a);
  }
  SEGUE_TRY(get(id, viewer));
  OpsPage out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto base, load_base(c, id));
    const int64_t base_seq = base ? base->last_seq : 0;
    const int64_t base_ops = base ? base->op_count : 0;
    int64_t pos = 0;  // the last position the client has
    if (!snapshot_id.empty()) {
      SEGUE_ASSIGN_OR_RETURN(auto last, find_version_last_seq(c, id, std::string(snapshot_id)));
      if (!last) {
        if (base) return Error::conflict(std::string(kFolded) + " (or is not one of its snapshots): fetch the whole "
                                         "list again and follow it from its snapshot_id");
        return Error::not_found("unknown snapshot of this playlist");
      }
      pos = base_ops + (*last - base_seq);
    }
    if (after) {
      if (after->first != base_seq)
        return Error::conflict("the history was compacted since this cursor was given: fetch the whole list again");
      pos = std::max(pos, after->second);
    }
    std::size_t room = limit;
    bool more = false;
    if (pos < base_ops) {
      SEGUE_ASSIGN_OR_RETURN(auto seq, decode_base(*base, id));
      std::vector<Op> all = seq.to_ops();
      if (static_cast<int64_t>(all.size()) != base_ops) return Error::corruption("playlist base: op count differs");
      std::size_t from = static_cast<std::size_t>(pos);
      std::size_t n = std::min(room, all.size() - from);
      for (std::size_t i = 0; i < n; ++i) out.ops.push_back(std::move(all[from + i]));
      room -= n;
      pos += static_cast<int64_t>(n);
      more = pos < base_ops;
    }
    if (!more) {
      std::optional<Status> bad;
      std::size_t rows = 0;
      // One more than fits: is there a next page? (No limit: a bound no playlist reaches, as
      // PostgreSQL refuses SQLite's LIMIT -1.)
      const int64_t fetch = room > (std::size_t{1} << 40) ? (int64_t{1} << 62) : static_cast<int64_t>(room) + 1;
      SEGUE_TRY(for_each_op_after(c, id, base_seq + (pos - base_ops), fetch, [&](const LoggedOp& r) {
        if (bad) return;
        if (++rows > room) {
          more = true;
          return;
        }
        auto ops = decode_ops(r.op);
        if (!ops) {
          bad = Error::corruption("undecodable playlist op");
          return;
        }
        for (auto& op : *ops) out.ops.push_back(std::move(op));
        pos = base_ops + (r.seq - base_seq);
      }));
      if (bad) return *bad;
    }
    if (more) out.next = std::to_string(base_seq) + "." + std::to_string(pos);
    SEGUE_ASSIGN_OR_RETURN(auto snapshot, load_snapshot_id(c, id));
    if (snapshot) out.snapshot_id = std::move(*snapshot);
    return {};
  }));
  return out;
}

void PlaylistService::set_history_limit(int64_t keep_versions, int64_t slack) {
  keep_versions_ = std::max<int64_t>(1, keep_versions);
  compact_slack_ = std::max<int64_t>(0, slack);
}

Status PlaylistService::compact(const PlaylistId& id, int64_t keep_versions) {
  if (keep_versions < 1) return Error::invalid("keep at least one version");
  std::optional<int64_t> kept_from;
  SEGUE_TRY(db_.write([&](Connection& c) -> Status {
    // The oldest version kept, and where its ops end.
    SEGUE_ASSIGN_OR_RETURN(auto cut, load_version_below_newest(c, id, keep_versions - 1));
    if (!cut) return {};  // not that many versions yet
    const auto [cut_version, cut_seq] = *cut;
    SEGUE_ASSIGN_OR_RETURN(auto old_base, load_base(c, id));
    if (!old_base || old_base->last_seq < cut_seq) {
      // Who added each entry that is still visible at the cut, and when: the old base's
      // rows, then the inserts being folded.
      std::unordered_map<OpId, Cached::Added, OpIdHash> added;
      SEGUE_ASSIGN_OR_RETURN(auto base_added, load_base_added(c, id));
      for (auto& a : base_added) added.emplace(a.entry, Cached::Added{std::move(a.user), a.at_ms});
      Sequence seq(0);
      SEGUE_TRY(replay_log(c, id, cut_seq, seq, [&](const Op& op, const LoggedOp& r) {
        if (op.kind == Op::Kind::kInsert) added.insert_or_assign(op.id, Cached::Added{r.user, r.at_ms});
      }));
      const int64_t op_count = static_cast<int64_t>(seq.to_ops().size());
      SEGUE_TRY(upsert_base(c, id, LogBase{cut_seq, op_count, seq.encode_snapshot()}));
      SEGUE_TRY(delete_base_added(c, id));
      for (const auto& e : seq.entries()) {
        auto a = added.find(e.id);
        if (a == added.end()) continue;
        SEGUE_TRY(insert_base_added(c, id, BaseAdded{e.id, a->second.user, a->second.at_ms}));
      }
      SEGUE_TRY(delete_ops_through(c, id, cut_seq));
    }
    SEGUE_TRY(delete_versions_before(c, id, cut_version));
    kept_from = cut_version;
    return {};
  }));
  if (kept_from) {
    std::shared_ptr<Cached> entry;
    {
      std::lock_guard lock(mu_);
      if (auto it = cache_.find(id); it != cache_.end()) entry = it->second;
    }
    if (entry) {  // (never both locks at once: change() takes mu_ inside an entry's lock)
      std::lock_guard entry_lock(entry->mu);
      entry->first_version = std::max(entry->first_version, *kept_from);
    }
  }
  return {};
}

// The owner's check and the switch to collaborative that inviting someone means.
Result<PlaylistService::Row> PlaylistService::owner_row_for_invite(Connection& c, const PlaylistId& id,
                                                                   const UserId& owner, bool& changed) {
  SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
  SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, owner));
  if (a == Access::kNone) return Error::not_found("playlist not found");
  if (a != Access::kOwner) return Error::permission_denied("only the owner can invite collaborators");
  changed = !row.info.collaborative || row.info.is_public;
  if (changed) {
    SEGUE_TRY(make_collaborative(c, id, now_ms_()));
    if (row.info.is_public) SEGUE_TRY(rotate_cover_key(c, id));
  }
  // Housekeeping: invites that can never be used again go.
  SEGUE_TRY(delete_unusable_invites(c, id, now_ms_()));
  return row;
}

Result<Invite> PlaylistService::create_invite(const PlaylistId& id, const UserId& owner, int64_t ttl_ms,
                                              int64_t max_uses) {
  if (max_uses < 1 || max_uses > kMaxInviteUses)
    return Error::invalid("max_uses: expected 1 to " + std::to_string(kMaxInviteUses));
  Invite inv;
  inv.id = random_base62_id();
  inv.token = crypto::random_token(24);
  inv.playlist_id = id;
  inv.created_at_ms = now_ms_();
  inv.expires_at_ms = inv.created_at_ms + ttl_ms;
  inv.max_uses = max_uses;
  bool changed = false;
  SEGUE_TRY(db_.write([&](Connection& c) -> Status {
    SEGUE_TRY(owner_row_for_invite(c, id, owner, changed));
    return insert_link_invite(c, inv, crypto::hex_encode(crypto::sha256(inv.token)), owner);
  }));
  if (changed) notify_details(id);
  return inv;
}

Result<Invite> PlaylistService::invite_by_name(const PlaylistId& id, const UserId& owner,
                                               std::string_view login_name, int64_t ttl_ms) {
  if (login_name.empty() || login_name.size() > 200 || !strings::is_valid_utf8(login_name))
    return Error::invalid("user: expected a user id or a login name");
  Invite inv;
  inv.id = random_base62_id();
  inv.playlist_id = id;
  inv.created_at_ms = now_ms_();
  inv.expires_at_ms = inv.created_at_ms + ttl_ms;
  inv.max_uses = 1;
  inv.invitee_name = strings::ascii_lower(login_name);  // login names are unique ignoring case
  bool changed = false;
  SEGUE_TRY(db_.write([&](Connection& c) -> Status {
    SEGUE_TRY(owner_row_for_invite(c, id, owner, changed));
    // One pending invite per name: a repeat replaces it (and so looks the same whether the
    // name exists or not).
    SEGUE_TRY(delete_named_invite(c, id, inv.invitee_name));
    // The token of an invite by name is never shown: accepting goes by id and login name.
    return insert_named_invite(c, inv, crypto::hex_encode(crypto::sha256(crypto::random_token(24))), owner);
  }));
  if (changed) notify_details(id);
  return inv;
}

Result<std::vector<Invite>> PlaylistService::invites(const PlaylistId& id, const UserId& owner) {
  std::vector<Invite> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, owner));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (a != Access::kOwner) return Error::permission_denied("only the owner can see the invites");
    SEGUE_ASSIGN_OR_RETURN(out, load_usable_invites(c, id, now_ms_()));
    return {};
  }));
  return out;
}

Status PlaylistService::revoke_invite(const PlaylistId& id, const UserId& owner, std::string_view invite_id) {
  return db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, owner));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (a != Access::kOwner) return Error::permission_denied("only the owner can revoke invites");
    SEGUE_ASSIGN_OR_RETURN(auto n, mark_invite_revoked(c, id, std::string(invite_id), now_ms_()));
    if (n == 0) return Error::not_found("no such invite");
    return {};
  });
}

Result<std::vector<Invite>> PlaylistService::invites_for_name(std::string_view login_name) {
  std::vector<Invite> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(out, load_usable_invites_for_name(c, strings::ascii_lower(login_name), now_ms_()));
    return {};
  }));
  return out;
}

// Both ways of accepting: the invite row is found by `by` and `key`.
Result<PlaylistInfo> PlaylistService::accept(InviteKey by, const std::string& key,
                                             std::optional<std::string_view> login_name, const UserId& user) {
  PlaylistId playlist_id;
  bool joined = false;
  const auto invalid = [] { return Error::not_found("this invite is not valid (any more)"); };
  SEGUE_TRY(db_.write([&](Connection& c) -> Status {
    const int64_t now = now_ms_();
    SEGUE_ASSIGN_OR_RETURN(auto stored, load_invite(c, by, key));
    if (!stored || stored->revoked_at_ms || stored->invite.expires_at_ms < now) return invalid();
    const Invite* inv = &stored->invite;
    // An invite by name is for that name only; a link is for anyone holding it.
    if (login_name ? inv->invitee_name != strings::ascii_lower(*login_name) : !inv->invitee_name.empty())
      return invalid();
    playlist_id = inv->playlist_id;
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, playlist_id));
    if (row.info.owner == user) return {};
    // The owner ended collaboration since: the invite went with it.
    if (!row.info.collaborative) return invalid();
    SEGUE_ASSIGN_OR_RETURN(bool member, is_collaborator(c, playlist_id, user));
    if (member) return {};  // already in: nothing used
    if (inv->max_uses && inv->uses >= *inv->max_uses) return invalid();
    SEGUE_ASSIGN_OR_RETURN(auto removed_at, load_removed_at(c, playlist_id, user));
    if (removed_at && *removed_at >= inv->created_at_ms) return invalid();
    SEGUE_TRY(count_invite_use(c, inv->id));
    SEGUE_TRY(insert_collaborator(c, playlist_id, user, now));
    joined = true;
    return {};
  }));
  if (joined) notify_details(playlist_id);
  return get(playlist_id, user);
}

Result<PlaylistInfo> PlaylistService::accept_invite(std::string_view token, const UserId& user) {
  return accept(InviteKey::kTokenHash, crypto::hex_encode(crypto::sha256(token)), std::nullopt, user);
}

Result<PlaylistInfo> PlaylistService::accept_named_invite(std::string_view invite_id, const UserId& user,
                                                          std::string_view login_name) {
  return accept(InviteKey::kId, std::string(invite_id), login_name, user);
}

Status PlaylistService::add_collaborator(const PlaylistId& id, const UserId& owner, const UserId& user) {
  return notifying(id, db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, owner));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (a != Access::kOwner) return Error::permission_denied("only the owner can add collaborators");
    if (user == owner) return Error::invalid("the owner is not a collaborator of their own playlist");
    SEGUE_TRY(insert_collaborator(c, id, user, now_ms_()));
    // The owner's explicit act: a playlist with collaborators is collaborative, and so private
    // (Spotify's model). Nothing else changes.
    if (!row.info.collaborative || row.info.is_public) {
      SEGUE_TRY(make_collaborative(c, id, now_ms_()));
      if (row.info.is_public) SEGUE_TRY(rotate_cover_key(c, id));
    }
    return {};
  }));
}

Result<std::vector<UserId>> PlaylistService::collaborators(const PlaylistId& id, const UserId& viewer) {
  SEGUE_TRY(get(id, viewer));
  std::vector<UserId> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(out, load_collaborators_by_join(c, id));
    return {};
  }));
  return out;
}

Status PlaylistService::remove_collaborator(const PlaylistId& id, const UserId& owner, const UserId& user) {
  return notifying(id, db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, owner));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    // The owner removes anyone; a collaborator may leave.
    if (a != Access::kOwner && !(owner == user)) return Error::permission_denied("only the owner can remove collaborators");
    SEGUE_ASSIGN_OR_RETURN(auto n, delete_collaborator(c, id, user));
    if (a == Access::kOwner && !(owner == user)) {
      // Old invites (links or by name) do not readmit them; a new one does.
      SEGUE_TRY(upsert_removal(c, id, user, now_ms_()));
    }
    if (n > 0 && !row.info.is_public) SEGUE_TRY(rotate_cover_key(c, id));
    return {};
  }));
}

Status PlaylistService::follow(const PlaylistId& id, const UserId& user, bool follow) {
  return notifying(id, db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, user));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    if (follow) return insert_follower(c, id, user, now_ms_());
    return delete_follower(c, id, user);
  }));
}

Result<std::vector<bool>> PlaylistService::followed_by(const PlaylistId& id, const std::vector<UserId>& users) {
  std::vector<bool> out;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    for (const auto& u : users) {
      SEGUE_ASSIGN_OR_RETURN(bool v, is_follower(c, id, u));
      out.push_back(v);
    }
    return {};
  }));
  return out;
}

Status PlaylistService::set_image(const PlaylistId& id, const UserId& user, std::string jpeg) {
  return db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_row(c, id));
    SEGUE_ASSIGN_OR_RETURN(auto a, access(c, row, user));
    if (a == Access::kNone) return Error::not_found("playlist not found");
    // The cover is a detail, like the name: the owner's (collaborators edit the items).
    if (a != Access::kOwner) return Error::permission_denied("only the owner can change the cover");
    // (jpeg is copied, not moved: PostgreSQL may run this callback again.)
    return upsert_cover(c, id, jpeg, now_ms_(), crypto::hex_encode(crypto::random_bytes(16)));
  });
}

Result<PlaylistService::Cover> PlaylistService::cover(const PlaylistId& id, std::string_view key) {
  std::optional<StoredCover> stored;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(stored, load_cover(c, id));
    return {};
  }));
  // One answer for "no cover", "no such playlist" and "not without the key".
  if (!stored ||
      (!stored->is_public && (stored->cover_key.empty() || !crypto::constant_time_equal(key, stored->cover_key))))
    return Error::not_found("no such image");
  return Cover{std::move(stored->jpeg), stored->is_public};
}

}  // namespace segue::playlist
