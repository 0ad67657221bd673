// A user's settings that change what the server records: `private_session` (Spotify's
// private session: while on, nothing the user does is kept in history, recent searches or
// friend activity). Absent rows mean the defaults. Blocking (SQLite): worker threads only.
#pragma once

#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::user {

struct Prefs {
  bool private_session = false;
};

std::vector<store::Migration> preferences_migrations();

class Preferences {
 public:
  explicit Preferences(store::Database& db);
  Result<Prefs> get(const UserId& user);
  Status set(const UserId& user, const Prefs& prefs);

 private:
  store::Database& db_;
};

}  // namespace segue::user
