// The home page's service on a real catalog, event log and database: shelves, the experiment's
// arms, impressions logged in the background, the bandit learning from clicks (a simulated
// audience whose favourite shelf depends on the time of day), and the off-line evaluation.
#include "recommend/home.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "catalog/demo_library.h"
#include "catalog/scanner.h"
#include "events/tests/test_util.h"
#include "recommend/listen_store.h"
#include "recommend/taste.h"
#include "user/library.h"

namespace segue::recommend {
namespace {

namespace fs = std::filesystem;

class HomeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = tmp_.open();
    ASSERT_TRUE(db_);
    ASSERT_TRUE(db_->migrate("home", home_migrations()).ok());
    ASSERT_TRUE(db_->migrate("recommend", recommend_migrations()).ok());
    ASSERT_TRUE(db_->migrate("user", user::library_migrations()).ok());
    lib_ = fs::path(tmp_.derived_dir()).parent_path() / "lib";
    const auto csv = fs::path(tmp_.derived_dir()).parent_path() / "catalog.csv";
    {
      std::ofstream f(csv);
      f << "title,artist,album,genre,year\n";
      for (const char* a : {"Ash", "Birch", "Cedar"})
        for (int i = 1; i <= 3; ++i) f << a << " song " << i << "," << a << "," << a << " album,Folk,2020\n";
    }
    ASSERT_TRUE(catalog::write_catalog_library(lib_.string(), csv.string()).ok());
    catalog_ = std::make_unique<catalog::Catalog>(*db_);
    ASSERT_TRUE(catalog_->reload().ok());
    catalog::Scanner scanner(*db_, catalog_.get());
    ASSERT_TRUE(scanner.scan({lib_.string()}, false).ok());
    events::EventLogOptions o;
    o.start_threads = false;
    o.extra_consumers = {&taste_};
    log_ = std::move(events::EventLog::open(*db_, o)).value();
    library_ = std::make_unique<user::Library>(*db_);
    recommend_ = make_recommend(recommend_options());
  }
  // Options with this fixture's models directory (shared by every service a test makes).
  RecommendServiceOptions recommend_options() {
    RecommendServiceOptions ro;
    ro.models_dir = (fs::path(tmp_.derived_dir()).parent_path() / "models").string();
    return ro;
  }
  std::unique_ptr<RecommendService> make_recommend(RecommendServiceOptions ro) {
    RecommendService::Sources rs;
    rs.taste_db = &log_->derived_db(TasteConsumer::kName);
    rs.db = db_.get();
    rs.catalog = catalog_.get();
    rs.library = library_.get();
    return std::make_unique<RecommendService>(std::move(rs), std::move(ro));
  }
  std::unique_ptr<HomeService> make_home(double editorial_share = 0.1) {
    HomeService::Sources hs;
    hs.recommend = recommend_.get();
    hs.events = log_.get();
    hs.catalog = catalog_.get();
    hs.db = db_.get();
    hs.clicks_db = &log_->derived_db(TasteConsumer::kName);
    HomeOptions ho;
    ho.editorial_share = editorial_share;
    return std::make_unique<HomeService>(std::move(hs), ho);
  }
  events::Event click(const UserId& u, const std::string& section, int64_t at) {
    events::Event e;
    e.type = events::EventType::kHomeClick;
    e.user = u;
    e.timestamp_ms = at;
    e.payload = events::HomeClick{section, "segue:album:" + std::string(22, 'a'), 0};
    return e;
  }
  // A track_end `pos` ms into track `t`, started from home's shelf `section` (none if empty).
  events::Event play(const UserId& u, const TrackId& t, int64_t at, int64_t pos, const std::string& section,
                     bool skip = false) {
    events::Event e;
    e.type = events::EventType::kTrackEnd;
    e.user = u;
    e.timestamp_ms = at;
    events::Playback p;
    p.track = t;
    p.position_ms = pos;
    p.skip = skip;
    if (!section.empty()) p.source = events::home_source(section);
    e.payload = p;
    return e;
  }
  std::string logged_context(const std::string& impression_id) {
    std::string logged;
    EXPECT_TRUE(db_->read([&](store::Connection& conn) -> Status {
                  return conn.query("SELECT context FROM home_impressions WHERE id = ?", {impression_id},
                                    [&](const store::Row& r) { logged = r.text(0); });
                }).ok());
    return logged;
  }
  events::testing::TempDb tmp_;
  fs::path lib_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<catalog::Catalog> catalog_;
  TasteConsumer taste_;
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<user::Library> library_;
  std::unique_ptr<RecommendService> recommend_;
};

TEST_F(HomeTest, ShelvesAreCachedAndEveryPageIsAnImpression) {
  auto home = make_home();
  const UserId u = events::testing::user(1);
  const int64_t t0 = events::wall_clock_ms() - 3 * events::kDayMs;
  BanditContext ctx;
  auto first = home->home(u, ctx, t0);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->cached);
  ASSERT_FALSE(first->sections.empty());  // new releases and artists at least, before any play
  auto second = home->home(u, ctx, t0 + 60'000);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->cached);
  EXPECT_EQ(second->generated_at_ms, t0);
  EXPECT_NE(second->impression_id, first->impression_id);
  auto later = home->home(u, ctx, t0 + HomeOptions{}.cache_ms + 1);  // an hour on: rebuilt
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->cached);
  home->drop_cache(u);
  EXPECT_FALSE(home->home(u, ctx, t0 + HomeOptions{}.cache_ms + 2)->cached);
  home->flush();
  auto n = db_->read([&](store::Connection& c) -> Status {
    auto v = c.query_int("SELECT COUNT(*) FROM home_impressions WHERE user_id = ?", {u.str()});
    EXPECT_TRUE(v.ok());
    EXPECT_EQ(v->value_or(0), 4);
    return {};
  });
  EXPECT_TRUE(n.ok());
}

// The bandit's context carries the user's recent listening, measured from their last plays.
TEST_F(HomeTest, TheLoggedContextCarriesTheRecentListening) {
  auto home = make_home();
  const UserId u = events::testing::user(7);
  auto snap = catalog_->snapshot();
  ASSERT_GE(snap->tracks().size(), 3u);
  const TrackId a = snap->tracks()[0].id, b = snap->tracks()[1].id, c = snap->tracks()[2].id;
  const int64_t t0 = events::wall_clock_ms() - events::kDayMs;
  auto end = [&](const TrackId& t, int64_t at, int64_t pos, bool skip) {
    events::Event e;
    e.type = events::EventType::kTrackEnd;
    e.user = u;
    e.timestamp_ms = at;
    events::Playback p;
    p.track = t;
    p.position_ms = pos;
    p.skip = skip;
    e.payload = p;
    return e;
  };
  // a once (new to the user), b twice, c skipped early twice and then played once.
  ASSERT_TRUE(log_->append({end(a, t0, 60000, false), end(b, t0 + 1000, 60000, false), end(b, t0 + 2000, 60000, false),
                            end(c, t0 + 3000, 2000, true), end(c, t0 + 4000, 2000, true), end(c, t0 + 5000, 60000, false)})
                  .ok());
  ASSERT_TRUE(log_->catch_up().ok());
  BanditContext ctx;
  ctx.hour = 9;
  auto h = home->home(u, ctx, t0 + 10'000);
  ASSERT_TRUE(h.ok()) << h.error().message;
  home->flush();
  std::string logged;
  ASSERT_TRUE(db_->read([&](store::Connection& conn) -> Status {
                return conn.query("SELECT context FROM home_impressions WHERE id = ?", {h->impression_id},
                                  [&](const store::Row& r) { logged = r.text(0); });
              }).ok());
  auto back = context_from_json(logged);
  ASSERT_TRUE(back.ok()) << logged;
  // Four counted plays (early skips are not plays): a and c are first plays, c is mostly skipped.
  EXPECT_DOUBLE_EQ(back->discovery_share, 0.5);
  EXPECT_DOUBLE_EQ(back->skip_share, 0.25);
  EXPECT_DOUBLE_EQ(back->hour, 9);
  // A cached page keeps the listening measured when the shelves were built.
  auto again = home->home(u, ctx, t0 + 20'000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->cached);
  home->flush();
  ASSERT_TRUE(db_->read([&](store::Connection& conn) -> Status {
                return conn.query("SELECT context FROM home_impressions WHERE id = ?", {again->impression_id},
                                  [&](const store::Row& r) { logged = r.text(0); });
              }).ok());
  EXPECT_DOUBLE_EQ(context_from_json(logged)->skip_share, 0.25);
}

// A simulated audience: in the morning users click "new_releases", in the evening
// "artists_for_you", each with probability 0.6 when it is shown in the top two, else rarely.
// After learning, the policy puts each in front at its time of day, and the off-line estimate
// of the learned policy beats what the uniform-ish logging policy got.
TEST_F(HomeTest, TheBanditLearnsFromClicksAndIsEvaluatedOffline) {
  auto home = make_home(0.0);  // everyone in the bandit arm
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u01(0, 1);
  const int64_t t0 = events::wall_clock_ms() - 2 * events::kDayMs;
  std::vector<events::Event> clicks;
  int shown = 0;
  for (int i = 0; i < 400; ++i) {
    const UserId u = events::testing::user(i % 40);
    BanditContext ctx;
    const bool morning = i % 2 == 0;
    ctx.hour = morning ? 8.0 : 20.0;
    const int64_t at = t0 + i * 1000;
    home->drop_cache(u);
    auto h = home->home(u, ctx, at);
    ASSERT_TRUE(h.ok()) << h.error().message;
    const std::string want = morning ? "new_releases" : "artists_for_you";
    for (const auto& s : h->sections) {
      const double p = s.id == want ? (s.position < 2 ? 0.6 : 0.2) : 0.02;
      if (u01(rng) < p) clicks.push_back(click(u, s.id, at + 5000));
    }
    ++shown;
  }
  ASSERT_TRUE(log_->append(clicks).ok());
  ASSERT_TRUE(log_->catch_up().ok());
  home->flush();
  auto learned = home->learn(t0 + 400 * 1000 + HomeService::kRewardWindowMs + 1);
  ASSERT_TRUE(learned.ok()) << learned.error().message;
  EXPECT_EQ(*learned, shown);
  EXPECT_EQ(home->policy_version(), "1");
  // The learned policy, greedily, puts the right shelf first at each time of day.
  for (const bool morning : {true, false}) {
    BanditContext ctx;
    ctx.hour = morning ? 8.0 : 20.0;
    const UserId u = events::testing::user(99);
    home->drop_cache(u);
    int first = 0;
    for (int k = 0; k < 50; ++k) {
      auto h = home->home(u, ctx, t0 + 500 * 1000);
      ASSERT_TRUE(h.ok());
      first += h->sections.front().id == (morning ? "new_releases" : "artists_for_you");
    }
    EXPECT_GE(first, 40) << (morning ? "morning" : "evening");
  }
  // A second service (another node) loads the stored policy.
  auto other = make_home(0.0);
  ASSERT_TRUE(other->load_policy().ok());
  EXPECT_EQ(other->policy_version(), "1");
  // Off-line: the learned policy (5% exploration) is worth more than what was logged.
  auto report = home->evaluate(0.05, 1, t0 + 400 * 1000 + HomeService::kRewardWindowMs + 1);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->slates, static_cast<std::size_t>(shown));
  EXPECT_GT(report->snips.value, report->logged.value);
  EXPECT_LT(report->logged.low, report->logged.value);
  // The experiment's summary counts the pages and those with a click.
  auto summary = home->experiment_summary(t0 + 10 * events::kDayMs);
  ASSERT_TRUE(summary.ok());
  EXPECT_GE((*summary)[0].impressions, 400u);
  EXPECT_GT((*summary)[0].clicks, 50u);
  EXPECT_EQ((*summary)[1].impressions, 0u);
}

// The context's third share: of the last plays, those of 30 s or more started from home.
TEST_F(HomeTest, TheContextCarriesTheShareOfPlaysStartedFromHome) {
  auto home = make_home();
  const UserId u = events::testing::user(8);
  auto snap = catalog_->snapshot();
  const TrackId a = snap->tracks()[0].id, b = snap->tracks()[1].id, c = snap->tracks()[2].id, d = snap->tracks()[3].id;
  const int64_t t0 = events::wall_clock_ms() - events::kDayMs;
  // Four counted plays: a and b from home (60 s), c from home but a 20 s track played to its end
  // (a play, not a reward), d from elsewhere; and an early skip from home, which is no play.
  ASSERT_TRUE(log_->append({play(u, a, t0, 60000, "made_for_you"), play(u, b, t0 + 1000, 60000, "new_releases"),
                            play(u, c, t0 + 2000, 20000, "new_releases"), play(u, d, t0 + 3000, 60000, ""),
                            play(u, d, t0 + 4000, 3000, "made_for_you", true)})
                  .ok());
  ASSERT_TRUE(log_->catch_up().ok());
  auto h = home->home(u, BanditContext{}, t0 + 10'000);
  ASSERT_TRUE(h.ok()) << h.error().message;
  home->flush();
  auto back = context_from_json(logged_context(h->impression_id));
  ASSERT_TRUE(back.ok());
  EXPECT_DOUBLE_EQ(back->home_share, 0.5);
  // Another user's page measures theirs: nothing from home.
  const UserId v = events::testing::user(9);
  ASSERT_TRUE(log_->append({play(v, a, t0, 60000, "")}).ok());
  ASSERT_TRUE(log_->catch_up().ok());
  auto hv = home->home(v, BanditContext{}, t0 + 10'000);
  ASSERT_TRUE(hv.ok());
  home->flush();
  EXPECT_DOUBLE_EQ(context_from_json(logged_context(hv->impression_id))->home_share, 0.0);
}

// The simulated audience again, rewarding only by playing: in the morning users play a track
// of "new_releases" for a minute, in the evening one of "artists_for_you"; and they sample the
// other shelf for 10 s, which is no reward. The policy learns the first and not the second.
TEST_F(HomeTest, TheBanditLearnsFromPlaysStartedFromHome) {
  auto home = make_home(0.0);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u01(0, 1);
  const TrackId t = catalog_->snapshot()->tracks()[0].id;
  const int64_t t0 = events::wall_clock_ms() - 2 * events::kDayMs;
  std::vector<events::Event> plays;
  const int pages = 300;
  for (int i = 0; i < pages; ++i) {
    const UserId u = events::testing::user(i % 30);
    BanditContext ctx;
    const bool morning = i % 2 == 0;
    ctx.hour = morning ? 8.0 : 20.0;
    const int64_t at = t0 + i * 1000;
    home->drop_cache(u);
    auto h = home->home(u, ctx, at);
    ASSERT_TRUE(h.ok()) << h.error().message;
    const std::string want = morning ? "new_releases" : "artists_for_you";
    const std::string decoy = morning ? "artists_for_you" : "new_releases";
    for (const auto& s : h->sections) {
      if (s.id == want && u01(rng) < (s.position < 2 ? 0.6 : 0.2)) plays.push_back(play(u, t, at + 60'000, 60'000, s.id));
      if (s.id == decoy && u01(rng) < 0.8) plays.push_back(play(u, t, at + 10'000, 10'000, s.id, true));
    }
  }
  ASSERT_TRUE(log_->append(plays).ok());
  ASSERT_TRUE(log_->catch_up().ok());
  home->flush();
  auto learned = home->learn(t0 + pages * 1000 + HomeService::kRewardWindowMs + 1);
  ASSERT_TRUE(learned.ok()) << learned.error().message;
  EXPECT_EQ(*learned, pages);
  for (const bool morning : {true, false}) {
    BanditContext ctx;
    ctx.hour = morning ? 8.0 : 20.0;
    const UserId u = events::testing::user(99);
    int first = 0;
    for (int k = 0; k < 50; ++k) {
      home->drop_cache(u);
      auto h = home->home(u, ctx, t0 + 500 * 1000);
      ASSERT_TRUE(h.ok());
      first += h->sections.front().id == (morning ? "new_releases" : "artists_for_you");
    }
    EXPECT_GE(first, 40) << (morning ? "morning" : "evening");
  }
}

// A click and plays on one shelf within an impression's window are one reward; a play after
// the window is none.
TEST_F(HomeTest, AShelfEarnsOneRewardPerImpression) {
  auto home = make_home(0.0);
  const UserId u = events::testing::user(3);
  const TrackId t = catalog_->snapshot()->tracks()[0].id;
  const int64_t t0 = events::wall_clock_ms() - 2 * events::kDayMs;
  auto h = home->home(u, BanditContext{}, t0);
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_GE(h->sections.size(), 2u);
  const std::string shelf = h->sections[0].id, other = h->sections[1].id;
  ASSERT_TRUE(log_->append({click(u, shelf, t0 + 1000), play(u, t, t0 + 200'000, 200'000, shelf),
                            play(u, t, t0 + 400'000, 200'000, shelf),
                            play(u, t, t0 + HomeService::kRewardWindowMs + 1000, 60'000, other)})
                  .ok());
  ASSERT_TRUE(log_->catch_up().ok());
  home->flush();
  auto report = home->evaluate(0.1, h->sections.size(), t0 + 2 * HomeService::kRewardWindowMs);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->slates, 1u);
  EXPECT_DOUBLE_EQ(report->logged.value, 1.0);
}

// At catalog scale a user's ranking scores candidates (the model's neighbours, their artists'
// tracks, content neighbours through the inverted file, the popular) instead of every track. On a
// catalog this small the candidates are every track, so both ways must rank alike.
TEST_F(HomeTest, CandidatesAtCatalogScaleRankLikeTheFullPass) {
  auto snap = catalog_->snapshot();
  ASSERT_EQ(snap->tracks().size(), 9u);
  std::vector<TrackId> tracks;
  for (const auto& t : snap->tracks()) tracks.push_back(t.id);
  const int64_t t0 = events::wall_clock_ms() - events::kDayMs;
  std::vector<events::Event> plays;
  // Twelve users, each playing a different handful of the nine tracks (some several times).
  std::mt19937 rng(11);
  for (int u = 0; u < 12; ++u)
    for (int k = 0; k < 5; ++k)
      plays.push_back(play(events::testing::user(100 + u), tracks[(u + k * (1 + u % 3)) % 7], t0 + u * 1000 + k, 60'000, ""));
  ASSERT_TRUE(log_->append(plays).ok());
  ASSERT_TRUE(log_->catch_up().ok());
  ASSERT_TRUE(recommend_->train().ok());
  ASSERT_TRUE(recommend_->refresh_content(true).ok());

  RecommendServiceOptions ro = recommend_options();
  ro.track_candidates_from = 1;
  ro.content_cells_from = 1;
  auto scaled_service = make_recommend(ro);
  RecommendService& scaled = *scaled_service;
  ASSERT_TRUE(scaled.load().ok());
  ASSERT_TRUE(scaled.refresh_content(true).ok());
  ASSERT_GT(scaled.content()->space.cells(), 0);  // the inverted file is in use
  ASSERT_EQ(recommend_->content()->space.cells(), 0);

  for (int u : {100, 104, 108, 111}) {
    const UserId user = events::testing::user(u);
    auto full = recommend_->for_user(user, Level::kTracks, 20);
    auto cand = scaled.for_user(user, Level::kTracks, 20);
    ASSERT_TRUE(full.ok() && cand.ok());
    ASSERT_FALSE(cand->empty());
    ASSERT_EQ(full->size(), cand->size()) << "user " << u;
    for (std::size_t k = 0; k < full->size(); ++k) {
      EXPECT_EQ((*full)[k].id, (*cand)[k].id) << "user " << u << " rank " << k;
      EXPECT_NEAR((*full)[k].score, (*cand)[k].score, 1e-4f);
    }
  }
  // A user nobody trained: folded in from their latest plays in both ways.
  const UserId fresh = events::testing::user(300);
  ASSERT_TRUE(log_->append({play(fresh, tracks[0], t0 + 50'000, 60'000, ""), play(fresh, tracks[1], t0 + 51'000, 60'000, "")}).ok());
  ASSERT_TRUE(log_->catch_up().ok());
  auto full = recommend_->for_user(fresh, Level::kTracks, 20);
  auto cand = scaled.for_user(fresh, Level::kTracks, 20);
  ASSERT_TRUE(full.ok() && cand.ok());
  ASSERT_FALSE(cand->empty());
  for (const auto& s : *cand) {
    EXPECT_NE(s.id, tracks[0].str());  // never what they played
    EXPECT_NE(s.id, tracks[1].str());
  }
  // Both rank what the model knows; candidates also score the tracks nobody played (7 and 8)
  // with the folded-in taste, which the full pass does only for trained users.
  for (const auto& s : *full)
    EXPECT_TRUE(std::any_of(cand->begin(), cand->end(), [&](const Scored& c) { return c.id == s.id; })) << s.id;
  for (const auto& c : *cand)
    if (std::none_of(full->begin(), full->end(), [&](const Scored& s) { return c.id == s.id; }))
      EXPECT_TRUE(c.id == tracks[7].str() || c.id == tracks[8].str()) << c.id;
}

// New audio features rebuild the content index (at most every content_refresh_ms); while no
// analysis changes, nothing is rebuilt (a million tracks cost about a minute of a core).
TEST_F(HomeTest, TheContentIndexIsRebuiltOnlyWhenTheFeaturesChange) {
  RecommendServiceOptions ro = recommend_options();
  ro.content_refresh_ms = 0;
  auto service_ptr = make_recommend(ro);
  RecommendService& service = *service_ptr;
  uint64_t generation = 1;
  double tempo = 100;
  service.set_features([&](const TrackId&) -> std::optional<audio::AudioAnalysis> {
    audio::AudioAnalysis a;
    a.tempo = tempo;
    a.energy = 0.5;
    return a;
  }, [&] { return generation; });
  ASSERT_TRUE(service.refresh_content().ok());
  auto first = service.content();
  ASSERT_TRUE(first);
  ASSERT_TRUE(service.refresh_content().ok());
  EXPECT_EQ(service.content(), first);  // nothing changed: the same index
  generation = 2;
  tempo = 140;
  ASSERT_TRUE(service.refresh_content().ok());
  EXPECT_NE(service.content(), first);
  EXPECT_EQ(service.content()->features_generation, 2u);
  // Without a generation to compare, the window alone decides (here 0: every time).
  service.set_features([](const TrackId&) { return std::optional<audio::AudioAnalysis>{}; });
  auto second = service.content();
  ASSERT_TRUE(service.refresh_content().ok());
  EXPECT_NE(service.content(), second);
}

}  // namespace
}  // namespace segue::recommend
