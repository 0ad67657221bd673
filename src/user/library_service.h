// The Your Library use cases: saving and removing tracks and albums as one call that any API
// surface makes. save() checks every id against the catalog snapshot, stores the change, records
// it as `library_save` events in the event pipeline (private when the user's private session is
// on) and tells the user's other devices through the notifier. remove() does the same without
// the check.
//
// The notifier is the one seam to the real-time layer: a plain callback today (the API installs
// one that publishes `library_updated` on the user's `me` topic), to be replaced by the domain
// event interface.
//
// Blocking (SQLite): worker threads only.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/ids.h"
#include "common/result.h"
#include "events/event_log.h"
#include "user/library.h"
#include "user/preferences.h"

namespace segue::user {

struct LibraryChange {
  UserId user;
  ItemKind kind = ItemKind::kTrack;
  std::vector<std::string> ids;
  bool saved = true;  // false: removed
};
using LibraryNotifier = std::function<void(const LibraryChange&)>;

// "track" / "album": the kind's name in URIs ("segue:track:ID").
const char* item_kind_name(ItemKind kind);

class LibraryService {
 public:
  // `preferences` may be null (every event is then recorded as not private). All must outlive
  // the service.
  LibraryService(Library& library, const catalog::Catalog& catalog, events::EventLog& events,
                 Preferences* preferences);

  // Called after every successful save or removal of at least one id, on the calling thread.
  // Set before serving; replacing it is safe at any time.
  void set_notifier(LibraryNotifier notify);

  // Error::not_found "Non existing id: 'segue:track:ID'" for the first id the catalog does not
  // know (nothing is saved); errors of the store. The library_save events are recorded after
  // the save: failing to record them is logged, not returned (the library is saved).
  Status save(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, int64_t now_ms);
  Status remove(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, int64_t now_ms);

 private:
  Status change(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, bool save,
                int64_t now_ms);

  Library& library_;
  const catalog::Catalog& catalog_;
  events::EventLog& events_;
  Preferences* preferences_;
  std::mutex notify_mu_;
  LibraryNotifier notify_;
};

}  // namespace segue::user
