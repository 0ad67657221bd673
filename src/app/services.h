// Opens a data directory and wires the domain services over it. Used by `serve` and by the
// administrative commands (`user`, `client`, `scan`).
#pragma once

#include <memory>
#include <string>

#include "app/config.h"
#include "auth/auth_service.h"
#include "bus/event_bus.h"
#include "catalog/artwork.h"
#include "catalog/catalog.h"
#include "catalog/scanner.h"
#include "common/metrics.h"
#include "events/event_log.h"
#include "playback/stream_token.h"
#include "playlist/service.h"
#include "store/database.h"
#include "search/recent.h"
#include "user/library.h"
#include "user/preferences.h"

namespace segue::app {

struct Services {
  // First: every service below may publish domain events and register metrics, and outlives
  // none of them.
  std::unique_ptr<MetricsRegistry> metrics;
  std::unique_ptr<bus::EventBus> events_bus;  // the domain-event bus (in-process: bus::LocalBus)
  std::unique_ptr<store::Database> db;
  std::unique_ptr<auth::AuthService> auth;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<catalog::Scanner> scanner;
  std::unique_ptr<catalog::Artwork> artwork;
  std::unique_ptr<events::EventLog> events;
  std::unique_ptr<user::Library> library;
  std::unique_ptr<playback::StreamTokenSigner> stream_tokens;
  std::unique_ptr<playlist::PlaylistService> playlists;
  std::unique_ptr<user::Preferences> preferences;
  std::unique_ptr<search::RecentSearches> recent_searches;
};

// Creates the data directory if missing, and makes an existing one the owner's only (0700,
// with a log line) if it was open to others.
Status secure_data_dir(const std::string& dir);
// Creates the data directory if needed (secure_data_dir), opens `<data>/segue.db` (refusing a
// corrupt database or one from a newer Segue), applies every module's migrations and loads the
// catalog.
Result<Services> open_services(const Config& config);

// The server's secret (stream-token key): 32 random bytes in `<data>/secret.key`, created
// with mode 0600 on first use.
Result<std::string> load_or_create_secret(const std::string& data_dir);

}  // namespace segue::app
