// The Your Library use cases: saving and removing tracks and albums as one call that any API
// surface makes. save() checks every id against the catalog snapshot, stores the change, records
// it as `library_save` events in the event pipeline (private when the user's private session is
// on). remove() does the same without the check. The user's other devices hear of a change
// through the domain event the library publishes once it commits (bus::LibraryChanged, forwarded
// by the real-time layer to the user's `me` topic).
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

// "track" / "album": the kind's name in URIs ("segue:track:ID").
const char* item_kind_name(ItemKind kind);

class LibraryService {
 public:
  // `preferences` may be null (every event is then recorded as not private). All must outlive
  // the service.
  LibraryService(Library& library, const catalog::Catalog& catalog, events::EventLog& events,
                 Preferences* preferences);

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
};

}  // namespace segue::user
