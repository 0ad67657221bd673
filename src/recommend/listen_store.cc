#include "recommend/listen_store.h"

namespace segue::recommend {

using store::Connection;
using store::Row;
using store::Value;

std::vector<store::Migration> recommend_migrations() {
  return {{1, R"(
    CREATE TABLE listens (
      user_id TEXT NOT NULL,
      listened_at INTEGER NOT NULL,
      artist TEXT NOT NULL,
      title TEXT NOT NULL,
      album TEXT NOT NULL DEFAULT '',
      track_id TEXT,
      source TEXT NOT NULL,
      PRIMARY KEY (user_id, listened_at, artist, title)
    );
    CREATE INDEX listens_unmatched ON listens (artist, title, album) WHERE track_id IS NULL;
  )"}};
}

Result<int64_t> insert_listens(Connection& c, const std::vector<StoredListen>& rows) {
  constexpr std::size_t kPerStatement = 500;  // 3,500 parameters: under both engines' limits
  int64_t added = 0;
  std::string sql;
  std::vector<Value> params;
  for (std::size_t from = 0; from < rows.size(); from += kPerStatement) {
    const std::size_t to = std::min(rows.size(), from + kPerStatement);
    sql = "INSERT INTO listens (user_id, listened_at, artist, title, album, track_id, source) VALUES ";
    params.clear();
    params.reserve((to - from) * 7);
    for (std::size_t i = from; i < to; ++i) {
      sql += i == from ? "(?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?)";
      const auto& r = rows[i];
      params.emplace_back(r.user.str());
      params.emplace_back(r.listened_at_ms);
      params.emplace_back(r.artist);
      params.emplace_back(r.title);
      params.emplace_back(r.album);
      if (r.track)
        params.emplace_back(r.track->str());
      else
        params.emplace_back(nullptr);
      params.emplace_back(r.source);
    }
    sql += " ON CONFLICT (user_id, listened_at, artist, title) DO NOTHING";
    SEGUE_ASSIGN_OR_RETURN(int64_t n, c.exec(sql, params));
    added += n;
  }
  return added;
}

Result<std::vector<UnmatchedName>> load_unmatched_names(Connection& c, std::size_t limit) {
  std::vector<UnmatchedName> out;
  SEGUE_TRY(c.query("SELECT DISTINCT artist, title, album FROM listens WHERE track_id IS NULL ORDER BY artist, title, album "
                    "LIMIT ?",
                    {static_cast<int64_t>(limit)},
                    [&](const Row& r) { out.push_back({r.text(0), r.text(1), r.text(2)}); }));
  return out;
}

Result<int64_t> set_listen_track(Connection& c, const UnmatchedName& name, const TrackId& track) {
  return c.exec("UPDATE listens SET track_id = ? WHERE track_id IS NULL AND artist = ? AND title = ? AND album = ?",
                {track.str(), name.artist, name.title, name.album});
}

Result<ListenCounts> count_listens(Connection& c, const std::optional<UserId>& user) {
  ListenCounts out;
  std::string sql = "SELECT COUNT(*), COUNT(track_id) FROM listens";
  std::vector<Value> params;
  if (user) {
    sql += " WHERE user_id = ?";
    params.emplace_back(user->str());
  }
  SEGUE_TRY(c.query(sql, params, [&](const Row& r) {
    out.total = r.i64(0);
    out.matched = r.i64(1);
  }));
  return out;
}

Status for_each_listen_aggregate(Connection& c, const std::function<void(ListenAggregate&&)>& fn) {
  return c.query(
      "SELECT user_id, track_id, COUNT(*), MAX(listened_at) FROM listens WHERE track_id IS NOT NULL "
      "GROUP BY user_id, track_id",
      {}, [&](const Row& r) { fn(ListenAggregate{UserId(r.text(0)), TrackId(r.text(1)), r.i64(2), r.i64(3)}); });
}

}  // namespace segue::recommend
