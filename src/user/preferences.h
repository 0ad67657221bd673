// A user's settings: `private_session` (Spotify's private session: while on, nothing the user
// does is kept in history, recent searches or friend activity) and `time_zone` (an IANA name,
// "UTC" by default: when the user's day and week start, for Discover Weekly, Release Radar and
// the Daily Mixes). Absent rows mean the defaults. Blocking (SQLite): worker threads only.
#pragma once

#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::user {

struct Prefs {
  bool private_session = false;
  std::string time_zone = "UTC";
};

std::vector<store::Migration> preferences_migrations();

// Error::invalid unless `name` is a time zone of the system's tz database (/usr/share/zoneinfo,
// read through the `date` library): "UTC", "Europe/Berlin", "America/New_York", ...
Status check_time_zone(std::string_view name);

class Preferences {
 public:
  explicit Preferences(store::Database& db);
  Result<Prefs> get(const UserId& user);
  // Error::invalid (and nothing stored) for a time zone check_time_zone refuses.
  Status set(const UserId& user, const Prefs& prefs);

 private:
  store::Database& db_;
};

}  // namespace segue::user
