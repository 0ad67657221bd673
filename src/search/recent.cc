#include "search/recent.h"

namespace segue::search {

std::vector<store::Migration> recent_migrations() {
  return {{1, R"(
    CREATE TABLE search_recent (
      user_id TEXT NOT NULL,
      query TEXT NOT NULL,
      searched_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, query)
    );
    CREATE INDEX search_recent_by_time ON search_recent (user_id, searched_at);
  )"}};
}

namespace {
std::string trimmed(std::string_view q) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!q.empty() && is_space(q.front())) q.remove_prefix(1);
  while (!q.empty() && is_space(q.back())) q.remove_suffix(1);
  return std::string(q);
}
}  // namespace

RecentSearches::RecentSearches(store::Database& db) : db_(db) {}

Status RecentSearches::add(const UserId& user, std::string_view query, int64_t now_ms) {
  std::string q = trimmed(query);
  if (q.empty()) return Error::invalid("query must not be empty");
  if (q.size() > 500) return Error::invalid("query must be at most 500 bytes");
  return db_.write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO search_recent (user_id, query, searched_at) VALUES (?, ?, ?) "
                     "ON CONFLICT (user_id, query) DO UPDATE SET searched_at = CASE WHEN excluded.searched_at > search_recent.searched_at "
                     "THEN excluded.searched_at ELSE search_recent.searched_at END",
                     {user.str(), q, now_ms}));
    SEGUE_TRY(c.exec("DELETE FROM search_recent WHERE user_id = ? AND query NOT IN ("
                  "SELECT query FROM search_recent WHERE user_id = ? ORDER BY searched_at DESC, query LIMIT ?)",
                  {user.str(), user.str(), static_cast<int64_t>(kMaxRecent)}));
    return {};
  });
}

Result<std::vector<RecentSearch>> RecentSearches::list(const UserId& user, std::size_t limit) {
  std::vector<RecentSearch> out;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT query, searched_at FROM search_recent WHERE user_id = ? "
                   "ORDER BY searched_at DESC, query LIMIT ?",
                   {user.str(), static_cast<int64_t>(limit)},
                   [&](const store::Row& r) { out.push_back({r.text(0), r.i64(1)}); });
  }));
  return out;
}

Status RecentSearches::remove(const UserId& user, std::string_view query) {
  std::string q = trimmed(query);
  return db_.write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("DELETE FROM search_recent WHERE user_id = ? AND query = ?", {user.str(), q}));
    return {};
  });
}

Status RecentSearches::clear(const UserId& user) {
  return db_.write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("DELETE FROM search_recent WHERE user_id = ?", {user.str()}));
    return {};
  });
}

}  // namespace segue::search
