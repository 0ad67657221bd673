// Recent searches per user (what the search page shows before anything is typed): the
// queries a user committed (pressed Enter on, or opened a result of), newest first, at most
// kMaxRecent per user; searching the same text again moves it to the top. Nothing is kept
// while the user has a private session (the caller checks user::Preferences). Blocking
// (SQLite): worker threads only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::search {

inline constexpr std::size_t kMaxRecent = 20;

struct RecentSearch {
  std::string query;
  int64_t searched_at_ms = 0;
};

std::vector<store::Migration> recent_migrations();

class RecentSearches {
 public:
  explicit RecentSearches(store::Database& db);
  // Error::invalid for an empty query (after trimming) or one over 500 bytes.
  Status add(const UserId& user, std::string_view query, int64_t now_ms);
  Result<std::vector<RecentSearch>> list(const UserId& user, std::size_t limit);
  Status remove(const UserId& user, std::string_view query);
  Status clear(const UserId& user);

 private:
  store::Database& db_;
};

}  // namespace segue::search
