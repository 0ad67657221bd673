// Helpers for the events tests: a database in a fresh temp dir, event builders, and a recount
// of every derived table straight from the log (what the consumers must equal).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include "events/decay.h"
#include "events/event_log.h"
#include "events/popularity.h"
#include "store/testing.h"

namespace segue::events::testing {

inline std::string id22(const std::string& prefix, int n) {
  std::string s = prefix + std::to_string(n);
  return s + std::string(22 - s.size(), 'x');
}
inline TrackId track(int n) { return TrackId(id22("t", n)); }
inline UserId user(int n) { return UserId(id22("u", n)); }
inline AlbumId album_of(int track_n) { return AlbumId(id22("al", track_n / 4)); }
inline ArtistId artist(int n) { return ArtistId(id22("ar", n)); }

// Track n is on album n/4 by artist n%5, and with artist 9 too when n is a multiple of 7.
inline std::optional<TrackInfo> lookup_track(const TrackId& t) {
  if (t.str().rfind("t", 0) != 0) return std::nullopt;
  int n = std::stoi(t.str().substr(1));
  TrackInfo info{album_of(n), {artist(n % 5)}};
  if (n % 7 == 0) info.artists.push_back(artist(9));
  return info;
}

inline constexpr int64_t kT0 = 1'760'000'000'000LL;  // 2025-10-09

inline Event play_end(const UserId& u, int track_n, int64_t ts, int64_t pos = 60000, bool skip = false,
                      bool priv = false) {
  Event e;
  e.type = EventType::kTrackEnd;
  e.user = u;
  e.timestamp_ms = ts;
  e.private_session = priv;
  Playback p;
  p.track = track(track_n);
  p.position_ms = pos;
  p.skip = skip;
  e.payload = p;
  return e;
}
inline Event play_start(const UserId& u, int track_n, int64_t ts) {
  Event e = play_end(u, track_n, ts, 0, false);
  e.type = EventType::kTrackStart;
  return e;
}

// Each consumer's derived state in a SQLite file of its own under `dir` (the split layout).
inline store::DatabaseFactory derived_files(const std::string& dir) {
  store::Options so;
  so.readers = 2;
  so.cache_size_kib = 65536;
  return store::sqlite_files(dir, so);
}

class TempDb {
 public:
  TempDb() {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-ev-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TempDb() { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "segue.db").string(); }
  std::string derived_dir() const { return (dir_ / "events-derived").string(); }
  // The log's database on the run's engine (store/testing.h: the same one for the same path, in
  // this process and in a forked child).
  std::unique_ptr<store::Database> open() const {
    auto db = store::testing::open(path());
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
    if (!db.ok()) return nullptr;
    auto m = (*db)->migrate("events", event_migrations());
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return std::move(*db);
  }

 private:
  std::filesystem::path dir_;
};

struct Recount {
  std::map<std::string, int64_t> history_per_user;
  std::map<std::pair<int, std::string>, std::pair<int64_t, double>> items;  // plays, score
  std::map<std::tuple<std::string, int, std::string>, int64_t> user_top;    // plays
  int64_t events = 0;
};

// Shared counts (popularity) take at most kMaxSharedPlaysPerUserTrackDay plays of a track per
// user and UTC day of arrival, weighted at min(timestamp, arrival); written out again here as
// the specification the consumer must meet.
inline Recount recount_from_log(store::Database& db, const TrackLookup& lookup) {
  Recount r;
  Log log(db);
  std::map<std::tuple<std::string, std::string, int64_t>, int64_t> per_user_day;
  int64_t after = 0;
  for (;;) {
    auto batch = log.read(after, 10000);
    EXPECT_TRUE(batch.ok());
    if (!batch.ok() || batch->empty()) break;
    for (const Event& e : *batch) {
      ++r.events;
      after = e.offset;
      auto items = counted_items(e, lookup);
      if (items.empty()) continue;
      r.history_per_user[e.user.str()] += 1;
      const bool shared = ++per_user_day[{e.user.str(), items.front().id, e.received_ms / kDayMs}] <=
                          kMaxSharedPlaysPerUserTrackDay;
      for (const auto& it : items) {
        if (shared) {
          auto& [plays, score] = r.items[{static_cast<int>(it.kind), it.id}];
          plays += 1;
          score += play_weight(std::min(e.timestamp_ms, e.received_ms), kPopularityHalfLifeMs);
        }
        if (it.kind != ItemKind::kAlbum) r.user_top[{e.user.str(), static_cast<int>(it.kind), it.id}] += 1;
      }
    }
  }
  return r;
}

// The derived tables, each from its consumer's database (the log's, or its own).
inline Recount read_derived(EventLog& log) {
  Recount r;
  auto s = log.derived_db("history").read([&](store::Connection& c) -> Status {
    return c.query("SELECT user_id, COUNT(*) FROM event_history GROUP BY user_id", {},
                   [&](const store::Row& row) { r.history_per_user[row.text(0)] = row.i64(1); });
  });
  EXPECT_TRUE(s.ok());
  s = log.derived_db("popularity").read([&](store::Connection& c) -> Status {
    return c.query("SELECT kind, id, plays, score FROM event_item_stats", {}, [&](const store::Row& row) {
      r.items[{static_cast<int>(row.i64(0)), row.text(1)}] = {row.i64(2), row.f64(3)};
    });
  });
  EXPECT_TRUE(s.ok());
  s = log.derived_db("top_items").read([&](store::Connection& c) -> Status {
    return c.query("SELECT user_id, kind, id, plays FROM event_user_top", {}, [&](const store::Row& row) {
      r.user_top[{row.text(0), static_cast<int>(row.i64(1)), row.text(2)}] = row.i64(3);
    });
  });
  EXPECT_TRUE(s.ok());
  return r;
}

// Derived tables (and the popularity view in memory) equal a recount from the log (`db`; the
// derived tables are read from their consumers' databases, the same or their own).
inline void expect_consistent(store::Database& db, EventLog& log, const TrackLookup& lookup) {
  Recount want = recount_from_log(db, lookup);
  Recount got = read_derived(log);
  EXPECT_EQ(got.history_per_user, want.history_per_user);
  EXPECT_EQ(got.user_top, want.user_top);
  ASSERT_EQ(got.items.size(), want.items.size());
  for (const auto& [key, v] : want.items) {
    auto it = got.items.find(key);
    ASSERT_NE(it, got.items.end()) << key.second;
    EXPECT_EQ(it->second.first, v.first) << key.second;
    EXPECT_NEAR(it->second.second, v.second, 1e-9 * std::max(1.0, v.second)) << key.second;
    auto mem = log.play_stats(static_cast<ItemKind>(key.first), key.second);
    ASSERT_TRUE(mem.has_value()) << key.second;
    EXPECT_EQ(mem->plays, v.first);
  }
}

}  // namespace segue::events::testing
