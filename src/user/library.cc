#include "user/library.h"

#include <algorithm>
#include <set>

namespace segue::user {
namespace {
std::string kind_name(ItemKind k) { return k == ItemKind::kTrack ? "track" : "album"; }
}  // namespace

std::vector<store::Migration> library_migrations() {
  return {{1, R"(
    CREATE TABLE saved_items (
      user_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      item_id TEXT NOT NULL,
      added_at INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      PRIMARY KEY (user_id, kind, item_id)
    );
    CREATE INDEX saved_items_by_time ON saved_items (user_id, kind, added_at, seq);
  )"}};
}

Library::Library(store::Database& db, bus::EventBus* events) : db_(db), events_(events) {}

void Library::announce(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, bool saved) {
  if (!events_ || ids.empty()) return;
  events_->publish(bus::LibraryChanged{
      user, kind == ItemKind::kTrack ? bus::LibraryChanged::Kind::kTracks : bus::LibraryChanged::Kind::kAlbums, ids, saved});
}

Status Library::save(const UserId& user, ItemKind kind, const std::vector<std::string>& ids,
                     int64_t now_ms) {
  // One statement per item (a round trip each on PostgreSQL): the next number of the user's
  // saves and the insert together; an item already saved keeps its place and time.
  SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
    for (const auto& id : ids)
      SEGUE_TRY(c.exec("INSERT INTO saved_items (user_id, kind, item_id, added_at, seq) "
                       "SELECT ?, ?, ?, ?, COALESCE(MAX(seq), 0) + 1 FROM saved_items WHERE user_id = ? "
                       "ON CONFLICT (user_id, kind, item_id) DO NOTHING",
                       {user.str(), kind_name(kind), id, now_ms, user.str()}));
    return {};
  }));
  announce(user, kind, ids, true);
  return {};
}

Status Library::remove(const UserId& user, ItemKind kind, const std::vector<std::string>& ids) {
  SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
    for (const auto& id : ids)
      SEGUE_TRY(c.exec("DELETE FROM saved_items WHERE user_id = ? AND kind = ? AND item_id = ?",
                       {user.str(), kind_name(kind), id}));
    return {};
  }));
  announce(user, kind, ids, false);
  return {};
}

Result<std::vector<bool>> Library::contains(const UserId& user, ItemKind kind,
                                            const std::vector<std::string>& ids) {
  // One query for the whole list (search asks this for every keystroke's candidates), in
  // chunks that stay far below SQLite's limit on bound parameters.
  constexpr std::size_t kChunk = 200;
  std::vector<bool> out(ids.size(), false);
  Status s = db_.read([&](store::Connection& c) -> Status {
    for (std::size_t from = 0; from < ids.size(); from += kChunk) {
      std::size_t to = std::min(ids.size(), from + kChunk);
      std::string sql = "SELECT item_id FROM saved_items WHERE user_id = ? AND kind = ? AND item_id IN (";
      std::vector<store::Value> params = {user.str(), std::string(kind_name(kind))};
      for (std::size_t i = from; i < to; ++i) {
        sql += i == from ? "?" : ",?";
        params.emplace_back(ids[i]);
      }
      sql += ")";
      std::set<std::string> saved;
      SEGUE_TRY(c.query(sql, params, [&](const store::Row& r) { saved.insert(r.text(0)); }));
      for (std::size_t i = from; i < to; ++i) out[i] = saved.count(ids[i]) > 0;
    }
    return {};
  });
  if (!s) return s.error();
  return out;
}

Result<SavedPage> Library::list(const UserId& user, ItemKind kind, int limit, int offset) {
  SavedPage page;
  Status s = db_.read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto total, c.query_int(
        "SELECT COUNT(*) FROM saved_items WHERE user_id = ? AND kind = ?", {user.str(), kind_name(kind)}));
    page.total = total.value_or(0);
    return c.query(
        "SELECT item_id, added_at FROM saved_items WHERE user_id = ? AND kind = ? "
        "ORDER BY added_at DESC, seq DESC LIMIT ? OFFSET ?",
        {user.str(), kind_name(kind), int64_t{limit}, int64_t{offset}},
        [&](const store::Row& r) { page.items.push_back({r.text(0), r.i64(1)}); });
  });
  if (!s) return s.error();
  return page;
}

Status Library::for_each_saved(const std::function<void(const UserId&, ItemKind, const SavedItem&)>& fn) {
  return db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT user_id, kind, item_id, added_at FROM saved_items ORDER BY user_id, kind, item_id", {},
                   [&](const store::Row& r) {
                     const std::string kind = r.text(1);
                     if (kind != "track" && kind != "album") return;
                     fn(UserId(r.text(0)), kind == "track" ? ItemKind::kTrack : ItemKind::kAlbum,
                        SavedItem{r.text(2), r.i64(3)});
                   });
  });
}

}  // namespace segue::user
