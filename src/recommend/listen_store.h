// The `listens` table: imported listening history, one row per (user, time, artist, title),
// matched to a catalog track or not yet (track_id NULL, kept with its names so a later scan can
// resolve it). SQL for SQLite and PostgreSQL alike; worker threads only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::recommend {

std::vector<store::Migration> recommend_migrations();

struct StoredListen {
  UserId user;
  int64_t listened_at_ms = 0;
  std::string artist, album, title;
  std::optional<TrackId> track;
  std::string source;  // "listenbrainz", "lastfm"
};

// Inserts the rows in multi-row statements inside the caller's transaction; a row already
// there (same user, time, artist and title: the same export imported twice) is left alone.
// Returns how many were new.
Result<int64_t> insert_listens(store::Connection& c, const std::vector<StoredListen>& rows);

// The distinct (artist, title, album) of unmatched listens, and setting their track.
struct UnmatchedName {
  std::string artist, title, album;
};
Result<std::vector<UnmatchedName>> load_unmatched_names(store::Connection& c, std::size_t limit);
Result<int64_t> set_listen_track(store::Connection& c, const UnmatchedName& name, const TrackId& track);

struct ListenCounts {
  int64_t total = 0;
  int64_t matched = 0;
};
Result<ListenCounts> count_listens(store::Connection& c, const std::optional<UserId>& user = std::nullopt);

// Matched listens per (user, track) with their count and latest time, for the models.
struct ListenAggregate {
  UserId user;
  TrackId track;
  int64_t plays = 0;
  int64_t last_ms = 0;
};
Status for_each_listen_aggregate(store::Connection& c, const std::function<void(ListenAggregate&&)>& fn);

}  // namespace segue::recommend
