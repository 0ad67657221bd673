#include "recommend/taste.h"

#include <map>
#include <tuple>

#include "events/multi_row.h"

namespace segue::recommend {

using events::Event;
using events::ItemKind;

std::vector<store::Migration> taste_migrations() {
  return {{1, R"(
    CREATE TABLE taste_signals (
      user_id TEXT NOT NULL,
      kind INTEGER NOT NULL,
      id TEXT NOT NULL,
      plays INTEGER NOT NULL,
      play_score REAL NOT NULL,
      skips INTEGER NOT NULL,
      skip_score REAL NOT NULL,
      clicks INTEGER NOT NULL,
      click_score REAL NOT NULL,
      last_ms INTEGER NOT NULL,
      PRIMARY KEY (user_id, kind, id)
    );
  )"},
          // Clicks on home's shelves: the bandit's rewards (home.h), joined to the logged
          // impressions by user and time.
          {2, R"(
    CREATE TABLE home_clicks (
      user_id TEXT NOT NULL,
      at_ms INTEGER NOT NULL,
      section TEXT NOT NULL,
      item_uri TEXT NOT NULL,
      offset_id INTEGER NOT NULL,
      PRIMARY KEY (user_id, at_ms, offset_id)
    );
    CREATE INDEX home_clicks_by_time ON home_clicks (at_ms);
  )"},
          // Plays of 30 s or more started from a shelf (a track_end or skip whose source is
          // "home:<section>") are rewards too: kind 'play' (item_uri: the track), and the
          // clicks of step 2 are kind 'click'.
          {3, R"(
    ALTER TABLE home_clicks ADD COLUMN kind TEXT NOT NULL DEFAULT 'click';
  )"}};
}

namespace {

const events::MultiRow& upsert() {
  static const events::MultiRow m(
      "INSERT INTO taste_signals (user_id, kind, id, plays, play_score, skips, skip_score, clicks, click_score, "
      "last_ms)",
      10,
      "ON CONFLICT (user_id, kind, id) DO UPDATE SET plays = taste_signals.plays + excluded.plays, "
      "play_score = taste_signals.play_score + excluded.play_score, skips = taste_signals.skips + excluded.skips, "
      "skip_score = taste_signals.skip_score + excluded.skip_score, "
      "clicks = taste_signals.clicks + excluded.clicks, click_score = taste_signals.click_score + excluded.click_score, "
      "last_ms = CASE WHEN excluded.last_ms > taste_signals.last_ms THEN excluded.last_ms ELSE taste_signals.last_ms END");
  return m;
}

struct Acc {
  int64_t plays = 0, skips = 0, clicks = 0;
  double play = 0, skip = 0, click = 0;
  int64_t last = 0;
};

// A search click's item: a track, album or artist URI (segue: or spotify:).
std::optional<std::pair<ItemKind, std::string>> clicked_item(const std::string& uri) {
  if (auto id = parse_uri(uri, "track")) return std::pair{ItemKind::kTrack, *id};
  if (auto id = parse_uri(uri, "album")) return std::pair{ItemKind::kAlbum, *id};
  if (auto id = parse_uri(uri, "artist")) return std::pair{ItemKind::kArtist, *id};
  return std::nullopt;
}

constexpr const char* kColumns =
    "user_id, kind, id, plays, play_score, skips, skip_score, clicks, click_score, last_ms";

TasteRow read_row(const store::Row& r) {
  TasteRow t;
  t.user = UserId(r.text(0));
  t.kind = static_cast<ItemKind>(r.i64(1));
  t.id = r.text(2);
  t.plays = r.i64(3);
  t.play_score = r.f64(4);
  t.skips = r.i64(5);
  t.skip_score = r.f64(6);
  t.clicks = r.i64(7);
  t.click_score = r.f64(8);
  t.last_ms = r.i64(9);
  return t;
}

}  // namespace

Status TasteConsumer::apply(store::Connection& c, std::span<const Event> events) {
  std::map<std::tuple<std::string, int, std::string>, Acc> acc;  // key order: fewer page touches
  for (const Event& e : events) {
    if (e.private_session) continue;
    const double w = events::play_weight(e.timestamp_ms, kTasteHalfLifeMs);
    if (const auto* p = e.playback()) {
      if (e.type == events::EventType::kTrackStart) continue;
      if (auto section = events::home_section_of(p->source); section && p->position_ms >= kHomePlayRewardMs) {
        SEGUE_TRY(c.exec("INSERT INTO home_clicks (user_id, at_ms, section, item_uri, offset_id, kind) "
                         "VALUES (?, ?, ?, ?, ?, 'play') ON CONFLICT (user_id, at_ms, offset_id) DO NOTHING",
                         {e.user.str(), e.timestamp_ms, std::string(*section), "segue:track:" + p->track.str(), e.offset}));
      }
      const bool play = events::counts_as_play(e);
      const bool early_skip = !play && p->skip && p->position_ms < kEarlySkipMs;
      if (!play && !early_skip) continue;
      Acc& a = acc[{e.user.str(), static_cast<int>(ItemKind::kTrack), p->track.str()}];
      if (play) {
        a.plays += 1;
        a.play += w;
      } else {
        a.skips += 1;
        a.skip += w;
      }
      a.last = std::max(a.last, e.timestamp_ms);
    } else if (const auto* home = std::get_if<events::HomeClick>(&e.payload)) {
      SEGUE_TRY(c.exec("INSERT INTO home_clicks (user_id, at_ms, section, item_uri, offset_id, kind) "
                       "VALUES (?, ?, ?, ?, ?, 'click') ON CONFLICT (user_id, at_ms, offset_id) DO NOTHING",
                       {e.user.str(), e.timestamp_ms, home->section, home->item_uri, e.offset}));
      if (on_home_click_) pending_clicks_.emplace_back(e.user, home->section);
    } else if (const auto* click = std::get_if<events::SearchClick>(&e.payload)) {
      auto item = clicked_item(click->item_uri);
      if (!item) continue;
      Acc& a = acc[{e.user.str(), static_cast<int>(item->first), item->second}];
      a.clicks += 1;
      a.click += w;
      a.last = std::max(a.last, e.timestamp_ms);
    }
  }
  std::vector<store::Value> rows;
  rows.reserve(acc.size() * 10);
  for (const auto& [key, a] : acc) {
    const auto& [user, kind, id] = key;
    rows.emplace_back(user);
    rows.emplace_back(int64_t{kind});
    rows.emplace_back(id);
    rows.emplace_back(a.plays);
    rows.emplace_back(a.play);
    rows.emplace_back(a.skips);
    rows.emplace_back(a.skip);
    rows.emplace_back(a.clicks);
    rows.emplace_back(a.click);
    rows.emplace_back(a.last);
  }
  return upsert().run(c, std::move(rows));
}

void TasteConsumer::on_commit() {
  for (const auto& [user, section] : pending_clicks_) on_home_click_(user, section);
  pending_clicks_.clear();
}

void TasteConsumer::on_rollback() { pending_clicks_.clear(); }

Status TasteConsumer::reset(store::Connection& c) {
  SEGUE_TRY(c.exec("DELETE FROM taste_signals"));
  SEGUE_TRY(c.exec("DELETE FROM home_clicks"));
  return {};
}

Status TasteConsumer::forget_user(store::Connection& c, const UserId& user, std::span<const Event>) {
  SEGUE_TRY(c.exec("DELETE FROM taste_signals WHERE user_id = ?", {user.str()}));
  SEGUE_TRY(c.exec("DELETE FROM home_clicks WHERE user_id = ?", {user.str()}));
  return {};
}

Status TasteConsumer::for_each(store::Database& db, const std::function<void(TasteRow&&)>& fn) {
  return db.read([&](store::Connection& c) -> Status {
    return c.query(std::string("SELECT ") + kColumns + " FROM taste_signals ORDER BY user_id, kind, id", {},
                   [&](const store::Row& r) { fn(read_row(r)); });
  });
}

Result<std::vector<TasteRow>> TasteConsumer::of_user(store::Database& db, const UserId& user) {
  std::vector<TasteRow> out;
  SEGUE_TRY(db.read([&](store::Connection& c) -> Status {
    return c.query(std::string("SELECT ") + kColumns + " FROM taste_signals WHERE user_id = ? ORDER BY kind, id",
                   {user.str()}, [&](const store::Row& r) { out.push_back(read_row(r)); });
  }));
  return out;
}

}  // namespace segue::recommend

namespace segue::recommend {

Status TasteConsumer::home_clicks_since(store::Database& db, int64_t since_ms,
                                       const std::function<void(const HomeClickRow&)>& fn) {
  return db.read([&](store::Connection& c) -> Status {
    return c.query("SELECT user_id, at_ms, section, item_uri, kind FROM home_clicks WHERE at_ms >= ? ORDER BY at_ms",
                   {since_ms}, [&](const store::Row& r) {
                     fn(HomeClickRow{UserId(r.text(0)), r.i64(1), r.text(2), r.text(3), r.text(4)});
                   });
  });
}

Result<std::vector<HomeClickRow>> TasteConsumer::home_plays_of(store::Database& db, const UserId& user, int64_t since_ms) {
  std::vector<HomeClickRow> out;
  SEGUE_TRY(db.read([&](store::Connection& c) -> Status {
    return c.query("SELECT at_ms, section, item_uri FROM home_clicks WHERE user_id = ? AND at_ms >= ? AND kind = 'play' "
                   "ORDER BY at_ms",
                   {user.str(), since_ms}, [&](const store::Row& r) {
                     out.push_back(HomeClickRow{user, r.i64(0), r.text(1), r.text(2), "play"});
                   });
  }));
  return out;
}

}  // namespace segue::recommend
