#include "user/library_service.h"

#include "common/log.h"

namespace segue::user {

const char* item_kind_name(ItemKind kind) { return kind == ItemKind::kTrack ? "track" : "album"; }

LibraryService::LibraryService(Library& library, const catalog::Catalog& catalog, events::EventLog& events,
                               Preferences* preferences)
    : library_(library), catalog_(catalog), events_(events), preferences_(preferences) {}

Status LibraryService::save(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, int64_t now_ms) {
  auto snap = catalog_.snapshot();
  for (const auto& id : ids) {
    bool exists = kind == ItemKind::kTrack ? snap->track(TrackId(id)) != nullptr : snap->album(AlbumId(id)) != nullptr;
    if (!exists) return Error::not_found(std::string("Non existing id: 'segue:") + item_kind_name(kind) + ":" + id + "'");
  }
  return change(user, kind, ids, true, now_ms);
}

Status LibraryService::remove(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, int64_t now_ms) {
  return change(user, kind, ids, false, now_ms);
}

Status LibraryService::change(const UserId& user, ItemKind kind, const std::vector<std::string>& ids, bool save,
                              int64_t now_ms) {
  SEGUE_TRY(save ? library_.save(user, kind, ids, now_ms) : library_.remove(user, kind, ids));
  // The change is also a library_save event for the pipeline (the seed's services emit their
  // own events). The library is already saved: a failure here is logged, not returned.
  bool private_session = false;
  if (preferences_) {
    if (auto prefs = preferences_->get(user); prefs.ok()) private_session = prefs->private_session;
  }
  std::vector<events::Event> evs;
  for (const auto& id : ids) {
    events::Event e;
    e.type = events::EventType::kLibrarySave;
    e.user = user;
    e.timestamp_ms = now_ms;
    e.private_session = private_session;
    e.payload = events::LibrarySave{std::string("segue:") + item_kind_name(kind) + ":" + id, save};
    evs.push_back(std::move(e));
  }
  if (!evs.empty()) {
    if (auto appended = events_.append(evs); !appended.ok())
      log::warn("library_save events not recorded", {{"reason", appended.error().message}});
  }
  return {};
}

}  // namespace segue::user
