#include "user/preferences.h"

#include <date/tz.h>

#include <cctype>
#include <stdexcept>

namespace segue::user {

std::vector<store::Migration> preferences_migrations() {
  return {{1, R"(
    CREATE TABLE user_preferences (
      user_id TEXT PRIMARY KEY,
      private_session INTEGER NOT NULL DEFAULT 0
    );
  )"},
          {2, R"(
    ALTER TABLE user_preferences ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
  )"}};
}

Status check_time_zone(std::string_view name) {
  if (name.empty() || name.size() > 64) return Error::invalid("Invalid time_zone: expected an IANA name such as Europe/Berlin");
  for (char ch : name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' || ch == '+'))
      return Error::invalid("Invalid time_zone: expected an IANA name such as Europe/Berlin");
  try {
    (void)date::locate_zone(name);
  } catch (const std::exception&) {
    return Error::invalid("Invalid time_zone: '" + std::string(name) + "' is not a known time zone");
  }
  return {};
}

Preferences::Preferences(store::Database& db) : db_(db) {}

Result<Prefs> Preferences::get(const UserId& user) {
  Prefs p;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT private_session, time_zone FROM user_preferences WHERE user_id = ?", {user.str()},
                   [&](const store::Row& r) {
                     p.private_session = r.i64(0) != 0;
                     p.time_zone = r.text(1);
                   });
  }));
  return p;
}

Status Preferences::set(const UserId& user, const Prefs& prefs) {
  SEGUE_TRY(check_time_zone(prefs.time_zone));
  return db_.write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO user_preferences (user_id, private_session, time_zone) VALUES (?, ?, ?) "
                     "ON CONFLICT (user_id) DO UPDATE SET private_session = excluded.private_session, "
                     "time_zone = excluded.time_zone",
                     {user.str(), int64_t{prefs.private_session}, prefs.time_zone}));
    return {};
  });
}

}  // namespace segue::user
