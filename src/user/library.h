// "Your Library": the tracks and albums a user saved (Spotify's /me/tracks and /me/albums).
// Saving is idempotent and keeps the first added_at. Blocking (SQLite): worker threads only.
// After a save or a removal commits, it is announced on the domain-event bus
// (bus::LibraryChanged, on the calling thread), which is how the user's other devices hear it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bus/event_bus.h"
#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::user {

enum class ItemKind { kTrack, kAlbum };

struct SavedItem {
  std::string id;  // a TrackId or AlbumId string, per kind
  int64_t added_at_ms;
};

struct SavedPage {
  std::vector<SavedItem> items;  // newest first
  int64_t total = 0;
};

std::vector<store::Migration> library_migrations();

class Library {
 public:
  explicit Library(store::Database& db, bus::EventBus* events = nullptr);

  Status save(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, int64_t now_ms);
  Status remove(const UserId& user, ItemKind kind, const std::vector<std::string>& ids);
  Result<std::vector<bool>> contains(const UserId& user, ItemKind kind,
                                     const std::vector<std::string>& ids);
  Result<SavedPage> list(const UserId& user, ItemKind kind, int limit, int offset);
  // Every saved item of every user (the recommendation models' training), in one read.
  Status for_each_saved(const std::function<void(const UserId&, ItemKind, const SavedItem&)>& fn);

 private:
  void announce(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, bool saved);
  store::Database& db_;
  bus::EventBus* events_;
};

}  // namespace segue::user
