#include "events/event_log.h"

#include <algorithm>

#include "common/strings.h"

namespace segue::events {

std::optional<EventType> parse_event_type(std::string_view s) {
  if (s == "track_start") return EventType::kTrackStart;
  if (s == "track_end") return EventType::kTrackEnd;
  if (s == "skip") return EventType::kSkip;
  return std::nullopt;
}

const char* event_type_name(EventType t) {
  switch (t) {
    case EventType::kTrackStart: return "track_start";
    case EventType::kTrackEnd: return "track_end";
    case EventType::kSkip: return "skip";
  }
  return "?";
}

Status validate(const PlaybackEvent& e, std::chrono::system_clock::time_point now) {
  if (!is_base62_id(e.track.str())) return Error::invalid("track_id: not a valid track id");
  if (e.position_ms < 0 || e.position_ms > 24LL * 3600 * 1000)
    return Error::invalid("position_ms: must be between 0 and 86400000");
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (e.timestamp_ms < 946684800000LL || e.timestamp_ms > now_ms + 24LL * 3600 * 1000)
    return Error::invalid("timestamp: must be epoch milliseconds, not in the future");
  if (e.reason.size() > 64 || !strings::is_valid_utf8(e.reason))
    return Error::invalid("reason: at most 64 characters of UTF-8");
  if (e.context_uri.size() > 256 || !strings::is_valid_utf8(e.context_uri))
    return Error::invalid("context_uri: at most 256 characters");
  return {};
}

bool counts_as_play(const PlaybackEvent& e) {
  if (e.type == EventType::kTrackStart) return false;
  if (e.position_ms >= 30000) return true;
  return e.type == EventType::kTrackEnd && !e.skip;
}

std::vector<store::Migration> event_migrations() {
  return {{1, R"(
    CREATE TABLE playback_events (
      seq INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL,
      type TEXT NOT NULL,
      track_id TEXT NOT NULL,
      position_ms INTEGER NOT NULL,
      skip INTEGER NOT NULL,
      reason TEXT NOT NULL,
      context_uri TEXT NOT NULL,
      client_ts INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      counted_play INTEGER NOT NULL
    );
    CREATE INDEX playback_events_plays ON playback_events (user_id, counted_play, client_ts);
  )"}};
}

EventLog::EventLog(store::Database& db) : db_(db) {}

Status EventLog::append(const UserId& user, const std::vector<PlaybackEvent>& events) {
  auto received = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  return db_.write([&](store::Connection& c) -> Status {
    for (const auto& e : events) {
      SEGUE_TRY(c.exec(
          "INSERT INTO playback_events (user_id, type, track_id, position_ms, skip, reason, "
          "context_uri, client_ts, received_at, counted_play) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {user.str(), std::string(event_type_name(e.type)), e.track.str(), e.position_ms,
           int64_t{e.skip}, e.reason, e.context_uri, e.timestamp_ms, int64_t{received},
           int64_t{counts_as_play(e)}}));
    }
    return {};
  });
}

Result<PlaysPage> EventLog::recently_played(const UserId& user, int limit,
                                            std::optional<int64_t> before_ms,
                                            std::optional<int64_t> after_ms) {
  PlaysPage page;
  const int64_t want = static_cast<int64_t>(limit) + 1;  // one more to learn if there is more
  Status s = db_.read([&](store::Connection& c) -> Status {
    auto row = [&](const store::Row& r) {
      page.items.push_back(Play{TrackId(r.text(0)), r.i64(1), r.text(2)});
    };
    if (after_ms) {
      // Oldest-first after the cursor, then reversed, so the page is the one just after it.
      SEGUE_TRY(c.query("SELECT track_id, client_ts, context_uri FROM playback_events WHERE "
                        "user_id = ? AND counted_play = 1 AND client_ts > ? ORDER BY client_ts ASC, "
                        "seq ASC LIMIT ?",
                        {user.str(), *after_ms, want}, row));
      if (static_cast<int64_t>(page.items.size()) == want) {
        page.has_more = true;
        page.items.pop_back();
      }
      std::reverse(page.items.begin(), page.items.end());
      return {};
    }
    SEGUE_TRY(c.query("SELECT track_id, client_ts, context_uri FROM playback_events WHERE user_id = ? "
                      "AND counted_play = 1 AND client_ts < ? ORDER BY client_ts DESC, seq DESC LIMIT ?",
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
