#include "user/preferences.h"

namespace segue::user {

std::vector<store::Migration> preferences_migrations() {
  return {{1, R"(
    CREATE TABLE user_preferences (
      user_id TEXT PRIMARY KEY,
      private_session INTEGER NOT NULL DEFAULT 0
    );
  )"}};
}

Preferences::Preferences(store::Database& db) : db_(db) {}

Result<Prefs> Preferences::get(const UserId& user) {
  Prefs p;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT private_session FROM user_preferences WHERE user_id = ?", {user.str()},
                   [&](const store::Row& r) { p.private_session = r.i64(0) != 0; });
  }));
  return p;
}

Status Preferences::set(const UserId& user, const Prefs& prefs) {
  return db_.write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO user_preferences (user_id, private_session) VALUES (?, ?) "
                  "ON CONFLICT (user_id) DO UPDATE SET private_session = excluded.private_session",
                  {user.str(), int64_t{prefs.private_session}}));
    return {};
  });
}

}  // namespace segue::user
