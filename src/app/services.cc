#include "app/services.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/crypto.h"
#include "common/log.h"

namespace segue::app {

Result<std::string> load_or_create_secret(const std::string& data_dir) {
  const std::string path = data_dir + "/secret.key";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    std::string key = crypto::random_bytes(32);
    std::string tmp = path + ".tmp";
    int w = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w < 0) return Error::unavailable("cannot create " + tmp + ": " + std::strerror(errno));
    bool ok = ::write(w, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(w) == 0;
    ::close(w);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return Error::unavailable("cannot write " + path);
    return key;
  }
  if (fd < 0) return Error::unavailable("cannot read " + path + ": " + std::strerror(errno));
  std::string key(64, '\0');
  ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != 32) return Error::corruption(path + " is not a 32-byte key; delete it to make a new one");
  key.resize(32);
  return key;
}

Status secure_data_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::unavailable("cannot create data directory " + dir + ": " + ec.message());
  // Everything in it (database, WAL, keys, search index, transcodes) is the owner's only: new
  // files by the umask set at start (main), and an older data directory by its own mode.
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return Error::unavailable("cannot stat data directory " + dir + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) {
    if (::chmod(dir.c_str(), 0700) != 0)
      return Error::unavailable("cannot make data directory " + dir + " the owner's only: " + std::strerror(errno));
    char old_mode[8];
    std::snprintf(old_mode, sizeof old_mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    log::warn("data directory was open to other users; made it the owner's only (0700)",
              {{"dir", dir}, {"old_mode", old_mode}});
  }
  return {};
}

Result<Services> open_services(const Config& config) {
  SEGUE_TRY(secure_data_dir(config.data_dir));
  Services s;
  // Relational state: PostgreSQL when `database` names a server, else SQLite in the data dir.
  const bool postgres = !config.database.empty();
  SEGUE_ASSIGN_OR_RETURN(s.db, store::Database::open(postgres ? config.database : config.data_dir + "/segue.db"));
  SEGUE_ASSIGN_OR_RETURN(s.auth, auth::AuthService::open(*s.db));
  SEGUE_TRY(s.db->migrate("events", events::event_migrations()));
  SEGUE_TRY(s.db->migrate("user", user::library_migrations()));
  SEGUE_TRY(s.db->migrate("playlist", playlist::playlist_migrations()));
  SEGUE_TRY(s.db->migrate("user_preferences", user::preferences_migrations()));
  SEGUE_TRY(s.db->migrate("search", search::recent_migrations()));
  s.catalog = std::make_unique<catalog::Catalog>(*s.db);
  SEGUE_TRY(s.catalog->reload());
  s.scanner = std::make_unique<catalog::Scanner>(*s.db, s.catalog.get());
  s.artwork = std::make_unique<catalog::Artwork>(*s.catalog, config.data_dir);
  // The counting consumers learn a track's album and artists from the catalog snapshot.
  events::EventLogOptions event_options;
  event_options.lookup = [catalog = s.catalog.get()](const TrackId& id) -> std::optional<events::TrackInfo> {
    auto snap = catalog->snapshot();
    const auto* t = snap->track(id);
    if (!t) return std::nullopt;
    return events::TrackInfo{t->album_id, t->artist_ids};
  };
  // On SQLite each consumer's derived state in a database of its own, so consumer commits run in
  // parallel with appends (docs/formats/event-log.md); the log stays in segue.db. On PostgreSQL
  // the writers run in parallel anyway: everything in the one database.
  if (!postgres) {
    store::Options derived;
    derived.readers = 2;
    derived.cache_size_kib = 65536;
    event_options.derived_databases = store::sqlite_files(config.data_dir + "/events-derived", derived);
  }
  SEGUE_ASSIGN_OR_RETURN(s.events, events::EventLog::open(*s.db, std::move(event_options)));
  s.library = std::make_unique<user::Library>(*s.db);
  s.playlists = std::make_unique<playlist::PlaylistService>(*s.db);
  s.preferences = std::make_unique<user::Preferences>(*s.db);
  s.recent_searches = std::make_unique<search::RecentSearches>(*s.db);
  SEGUE_ASSIGN_OR_RETURN(std::string key, load_or_create_secret(config.data_dir));
  s.stream_tokens = std::make_unique<playback::StreamTokenSigner>(std::move(key));
  return s;
}

}  // namespace segue::app
