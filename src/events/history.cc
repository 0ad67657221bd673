#include "events/history.h"

#include "events/multi_row.h"

#include <algorithm>
#include <tuple>
#include <vector>

namespace segue::events {

Status HistoryConsumer::apply(store::Connection& c, std::span<const Event> events) {
  // In the key order of the per-user B-tree (user, played_at, seq): neighbouring rows share pages.
  std::vector<const Event*> plays;
  for (const Event& e : events)
    if (!e.private_session && counts_as_play(e)) plays.push_back(&e);
  std::sort(plays.begin(), plays.end(), [](const Event* a, const Event* b) {
    return std::tie(a->user, a->timestamp_ms, a->offset) < std::tie(b->user, b->timestamp_ms, b->offset);
  });
  static const MultiRow kInsert("INSERT INTO event_history (seq, user_id, track_id, played_at, context_uri)", 5, "");
  std::vector<store::Value> rows;
  rows.reserve(plays.size() * 5);
  for (const Event* e : plays) {
    const Playback& p = *e->playback();
    rows.emplace_back(e->offset);
    rows.emplace_back(e->user.str());
    rows.emplace_back(p.track.str());
    rows.emplace_back(e->timestamp_ms);
    rows.emplace_back(p.context_uri);
  }
  return kInsert.run(c, std::move(rows));
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
