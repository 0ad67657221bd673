#include "events/history.h"

#include <algorithm>

namespace segue::events {

Status HistoryConsumer::apply(store::Connection& c, std::span<const Event> events) {
  for (const Event& e : events) {
    if (e.private_session || !counts_as_play(e)) continue;
    const Playback& p = *e.playback();
    SEGUE_TRY(c.exec("INSERT INTO event_history (seq, user_id, track_id, played_at, context_uri) "
                     "VALUES (?, ?, ?, ?, ?)",
                     {e.offset, e.user.str(), p.track.str(), e.timestamp_ms, p.context_uri}));
  }
  return {};
}

Status HistoryConsumer::reset(store::Connection& c) {
  SEGUE_TRY(c.exec("DELETE FROM event_history"));
  return {};
}

Status HistoryConsumer::forget_user(store::Connection& c, const UserId& user, std::span<const Event>) {
  SEGUE_TRY(c.exec("DELETE FROM event_history WHERE user_id = ?", {user.str()}));
  return {};
}

Result<PlaysPage> HistoryConsumer::recently_played(store::Database& db, const UserId& user, int limit,
                                                   std::optional<int64_t> before_ms,
                                                   std::optional<int64_t> after_ms) {
  PlaysPage page;
  const int64_t want = static_cast<int64_t>(limit) + 1;  // one more to learn if there is more
  Status s = db.read([&](store::Connection& c) -> Status {
    auto row = [&](const store::Row& r) {
      page.items.push_back(Play{TrackId(r.text(0)), r.i64(1), r.text(2)});
    };
    if (after_ms) {
      // Oldest-first after the cursor, then reversed, so the page is the one just after it.
      SEGUE_TRY(c.query("SELECT track_id, played_at, context_uri FROM event_history WHERE user_id = ? "
                        "AND played_at > ? ORDER BY played_at ASC, seq ASC LIMIT ?",
                        {user.str(), *after_ms, want}, row));
      if (static_cast<int64_t>(page.items.size()) == want) {
        page.has_more = true;
        page.items.pop_back();
      }
      std::reverse(page.items.begin(), page.items.end());
      return {};
    }
    SEGUE_TRY(c.query("SELECT track_id, played_at, context_uri FROM event_history WHERE user_id = ? "
                      "AND played_at < ? ORDER BY played_at DESC, seq DESC LIMIT ?",
                      {user.str(), before_ms.value_or(INT64_MAX), want}, row));
    if (static_cast<int64_t>(page.items.size()) == want) {
      page.has_more = true;
      page.items.pop_back();
    }
    return {};
  });
  if (!s) return s.error();
  return page;
}

}  // namespace segue::events
