// `segue import listens`: a household's listening history from ListenBrainz and Last.fm exports
// into the `listens` table (recommend/listen_store.h), matched to the catalog's tracks; listens
// imported earlier that found no track are matched again (a scan may have added it since).
// Blocking (files, database): the CLI's thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth_service.h"
#include "catalog/catalog.h"
#include "common/result.h"
#include "recommend/listens.h"
#include "store/database.h"

namespace segue::app {

struct ImportListensOptions {
  std::optional<std::string> user;  // every listen is this user's (else the export's user_name)
  bool create_users = false;        // users missing from Segue are created without a login
};

struct ImportListensReport {
  std::size_t read = 0;        // listens read from the files
  std::size_t added = 0;       // new rows (the rest were imported before)
  std::size_t matched = 0;     // of the listens read, those matched to a catalog track
  std::size_t bad = 0;         // records refused (with the first reasons in `errors`)
  std::size_t skipped = 0;     // listens of users missing from Segue (without --create-users) or of no user
  std::size_t resolved = 0;    // earlier unmatched listens matched now
  std::vector<std::string> errors;
  std::vector<std::string> users_created;
  std::vector<std::string> users_missing;
  double seconds = 0;
};

// `progress(bytes read, total bytes)` now and then.
Result<ImportListensReport> import_listens(store::Database& db, auth::AuthService& auth, const catalog::Snapshot& catalog,
                                           const std::vector<std::string>& files, const ImportListensOptions& options,
                                           const std::function<void(std::size_t, std::size_t)>& progress = {});

// The matcher for a catalog snapshot (every track under each of its artists).
recommend::TrackMatcher matcher_for(const catalog::Snapshot& catalog);

// Matches the listens still without a track against `catalog`; returns how many got one.
Result<std::size_t> resolve_unmatched_listens(store::Database& db, const recommend::TrackMatcher& matcher);

}  // namespace segue::app
