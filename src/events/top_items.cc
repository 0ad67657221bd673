#include "events/top_items.h"

#include <map>

#include "events/multi_row.h"

namespace segue::events {
namespace {

const MultiRow& upsert() {
  static const MultiRow m(
    "INSERT INTO event_user_top (user_id, kind, id, plays, s_short, s_medium, s_long, last_played)", 8,
    "ON CONFLICT (user_id, kind, id) DO UPDATE SET "
    "plays = event_user_top.plays + excluded.plays, s_short = event_user_top.s_short + excluded.s_short, "
    "s_medium = event_user_top.s_medium + excluded.s_medium, s_long = event_user_top.s_long + excluded.s_long, "
    "last_played = CASE WHEN excluded.last_played > event_user_top.last_played THEN excluded.last_played "
    "ELSE event_user_top.last_played END");
  return m;
}

struct Acc {
  int64_t plays = 0;
  double s_short = 0, s_medium = 0, s_long = 0;
  int64_t last = 0;
};

}  // namespace

std::optional<TimeRange> parse_time_range(std::string_view s) {
  if (s == "short_term") return TimeRange::kShortTerm;
  if (s == "medium_term") return TimeRange::kMediumTerm;
  if (s == "long_term") return TimeRange::kLongTerm;
  return std::nullopt;
}

Status TopItemsConsumer::apply(store::Connection& c, std::span<const Event> events) {
  // (user, kind, id) -> sums; std::map keeps the writes in key order (fewer page touches).
  std::map<std::tuple<std::string, int, std::string>, Acc> acc;
  for (const Event& e : events) {
    for (const auto& item : counted_items(e, lookup_)) {
      if (item.kind == ItemKind::kAlbum) continue;
      Acc& a = acc[{e.user.str(), static_cast<int>(item.kind), item.id}];
      a.plays += 1;
      a.s_short += play_weight(e.timestamp_ms, kShortTermHalfLifeMs);
      a.s_medium += play_weight(e.timestamp_ms, kMediumTermHalfLifeMs);
      a.s_long += play_weight(e.timestamp_ms, kLongTermHalfLifeMs);
      a.last = std::max(a.last, e.timestamp_ms);
    }
  }
  std::vector<store::Value> rows;
  rows.reserve(acc.size() * 8);
  for (const auto& [key, a] : acc) {
    const auto& [user, kind, id] = key;
    rows.emplace_back(user);
    rows.emplace_back(int64_t{kind});
    rows.emplace_back(id);
    rows.emplace_back(a.plays);
    rows.emplace_back(a.s_short);
    rows.emplace_back(a.s_medium);
    rows.emplace_back(a.s_long);
    rows.emplace_back(a.last);
  }
  return upsert().run(c, std::move(rows));
}

Status TopItemsConsumer::reset(store::Connection& c) {
  SEGUE_TRY(c.exec("DELETE FROM event_user_top"));
  return {};
}

Status TopItemsConsumer::forget_user(store::Connection& c, const UserId& user, std::span<const Event>) {
  SEGUE_TRY(c.exec("DELETE FROM event_user_top WHERE user_id = ?", {user.str()}));
  return {};
}

Result<TopPage> TopItemsConsumer::top(store::Database& db, const UserId& user, ItemKind kind, TimeRange range,
                                      int limit, int offset, int64_t now_ms) {
  if (kind == ItemKind::kAlbum) return Error::invalid("type: expected tracks or artists");
  const char* column = range == TimeRange::kShortTerm ? "s_short" : range == TimeRange::kMediumTerm ? "s_medium" : "s_long";
  const int64_t since = range == TimeRange::kShortTerm    ? now_ms - kShortTermWindowMs
                        : range == TimeRange::kMediumTerm ? now_ms - kMediumTermWindowMs
                                                          : INT64_MIN;
  TopPage page;
  SEGUE_TRY(db.read([&](store::Connection& c) -> Status {
    const std::vector<store::Value> where{user.str(), int64_t{static_cast<int>(kind)}, since};
    SEGUE_ASSIGN_OR_RETURN(auto total, c.query_int("SELECT COUNT(*) FROM event_user_top WHERE user_id = ? AND "
                                                   "kind = ? AND last_played >= ?", where));
    page.total = total.value_or(0);
    return c.query(std::string("SELECT id, plays, ") + column + " FROM event_user_top WHERE user_id = ? AND kind = ? "
                       "AND last_played >= ? ORDER BY " + column + " DESC, id ASC LIMIT ? OFFSET ?",
                   {user.str(), int64_t{static_cast<int>(kind)}, since, int64_t{limit}, int64_t{offset}},
                   [&](const store::Row& r) { page.items.push_back(TopItem{r.text(0), r.i64(1), r.f64(2)}); });
  }));
  return page;
}

}  // namespace segue::events
