#include "recommend/home.h"

#include <algorithm>
#include <boost/json.hpp>
#include <random>
#include <unordered_set>

#include "common/ids.h"
#include "common/log.h"
#include "events/decay.h"
#include "recommend/radio.h"
#include "recommend/taste.h"

namespace segue::recommend {

namespace json = boost::json;

std::vector<store::Migration> home_migrations() {
  return {{1, R"(
    CREATE TABLE home_impressions (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      at_ms INTEGER NOT NULL,
      policy_version TEXT NOT NULL,
      experiment_arm TEXT NOT NULL,
      context TEXT NOT NULL,
      arms TEXT NOT NULL,
      shown TEXT NOT NULL
    );
    CREATE INDEX home_impressions_by_time ON home_impressions (at_ms);
    CREATE TABLE home_policy (
      version INTEGER PRIMARY KEY,
      state TEXT NOT NULL,
      learned_until_ms INTEGER NOT NULL,
      created_at_ms INTEGER NOT NULL
    );
  )"}};
}

namespace {

int64_t clock_ms() { return events::wall_clock_ms(); }

}  // namespace

std::string shelves_to_json(const std::vector<HomeSection>& sections) {
  json::array out;
  for (const auto& s : sections) {
    json::array items;
    for (const auto& i : s.items) items.push_back(json::object{{"kind", i.kind}, {"id", i.id}, {"score", i.score}});
    out.push_back(json::object{{"id", s.id}, {"title", s.title}, {"items", std::move(items)}});
  }
  return json::serialize(out);
}

Result<std::vector<HomeSection>> shelves_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return Error::corruption("home cache: not a shelf list");
  std::vector<HomeSection> out;
  try {
    for (const auto& s : v.as_array()) {
      HomeSection h;
      h.id = json::value_to<std::string>(s.at("id"));
      h.title = json::value_to<std::string>(s.at("title"));
      for (const auto& i : s.at("items").as_array())
        h.items.push_back({json::value_to<std::string>(i.at("kind")), json::value_to<std::string>(i.at("id")),
                           i.at("score").to_number<float>()});
      out.push_back(std::move(h));
    }
  } catch (const std::exception&) {
    return Error::corruption("home cache: bad shelf");
  }
  return out;
}

HomeService::HomeService(Sources sources, HomeOptions options)
    : src_(std::move(sources)),
      options_(options),
      experiment_(Experiment::make("home_order", {{"bandit", 1.0 - options.editorial_share}, {"editorial", options.editorial_share}})
                      .value()),
      counters_(2),
      bandit_(std::make_shared<const Bandit>(options.bandit, "0")) {
  if (src_.bus)
    library_sub_ = src_.bus->subscribe("home-cache", bus::only<bus::LibraryChanged>([this](const bus::LibraryChanged& e) {
                                         drop_cache(e.user);
                                       }));
  writer_ = std::thread([this] { writer_loop(); });
}

HomeService::~HomeService() {
  library_sub_.reset();
  {
    std::lock_guard l(queue_mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void HomeService::drop_cache(const UserId& user) {
  {
    std::lock_guard l(mu_);
    cache_.erase(user.str());
  }
  if (src_.shared_cache) src_.shared_cache->drop(user);
}

std::string HomeService::policy_version() const {
  std::lock_guard l(mu_);
  return bandit_->version();
}

Result<std::vector<HomeSection>> HomeService::build(const UserId& user, Listening& listening, std::size_t whole) {
  auto snap = src_.catalog->snapshot();
  const std::size_t per = whole > 0 ? whole : options_.items_per_section;
  std::vector<HomeSection> out;
  std::unordered_set<std::string> on_page;  // kind:id, an item once per page
  auto add = [&](HomeSection s, std::vector<HomeItem> candidates, std::size_t per_artist = 2) {
    if (whole > 0) on_page.clear();  // a section on its own: once per section
    std::unordered_map<std::string, std::size_t> artists;
    for (auto& c : candidates) {
      if (s.items.size() >= per) break;
      const std::string key = c.kind + ":" + c.id;
      if (on_page.count(key)) continue;
      if (c.kind == "track") {
        const auto* t = snap->track(TrackId(c.id));
        if (!t) continue;
        if (!t->artist_ids.empty() && artists[t->artist_ids.front().str()]++ >= per_artist) continue;
      }
      on_page.insert(key);
      s.items.push_back(std::move(c));
    }
    if (!s.items.empty()) out.push_back(std::move(s));
  };

  // Made for you: the user's generated playlists.
  if (src_.made_for_you) {
    std::vector<HomeItem> items;
    for (const auto& r : src_.made_for_you(user)) items.push_back({"playlist", r.playlist.str(), 1.0f});
    add({"made_for_you", "Made for you"}, std::move(items), per);
  }
  // Recently played: the contexts (album, playlist, artist) of the last plays, newest first.
  std::unordered_set<std::string> recent_artists, recent_tracks;
  SEGUE_ASSIGN_OR_RETURN(auto recent, src_.events->recently_played(user, 50, std::nullopt, std::nullopt));
  {
    std::vector<HomeItem> items;
    for (const auto& p : recent.items) {
      recent_tracks.insert(p.track.str());
      const auto* t = snap->track(p.track);
      if (t)
        for (const auto& a : t->artist_ids) recent_artists.insert(a.str());
      // A radio played lately: the station again (kind "radio", id its seed's URI).
      if (p.context_uri.starts_with("segue:radio:")) {
        if (auto seed = parse_radio_seed(p.context_uri); seed.ok()) {
          items.push_back({"radio", seed->uri(), 1.0f});
          continue;
        }
      }
      if (auto pl = parse_uri(p.context_uri, "playlist")) items.push_back({"playlist", *pl, 1.0f});
      else if (auto al = parse_uri(p.context_uri, "album")) items.push_back({"album", *al, 1.0f});
      else if (auto ar = parse_uri(p.context_uri, "artist")) items.push_back({"artist", *ar, 1.0f});
      else if (t) items.push_back({"album", t->album_id.str(), 1.0f});
    }
    add({"recently_played", "Recently played"}, std::move(items), per);
  }
  // The recent listening the bandit's context uses: of the last plays, those of tracks heard for
  // the first time, and those of tracks skipped early more often than played.
  if (!recent.items.empty() && src_.clicks_db) {
    auto rows = TasteConsumer::of_user(*src_.clicks_db, user);
    if (rows.ok()) {
      std::unordered_map<std::string, const TasteRow*> by_track;
      for (const auto& r : *rows)
        if (r.kind == events::ItemKind::kTrack) by_track[r.id] = &r;
      int first_time = 0, skipped = 0;
      for (const auto& p : recent.items) {
        auto it = by_track.find(p.track.str());
        if (it == by_track.end()) continue;
        first_time += it->second->plays == 1;
        skipped += it->second->skips > it->second->plays;
      }
      const double n = static_cast<double>(recent.items.size());
      listening.discovery_share = first_time / n;
      listening.skip_share = skipped / n;
    }
    // Plays started from home: the taste consumer's rewards of kind "play" (30 s or more),
    // matched to the history's plays by track and time.
    int64_t oldest = recent.items.front().played_at_ms;
    for (const auto& p : recent.items) oldest = std::min(oldest, p.played_at_ms);
    auto home_plays = TasteConsumer::home_plays_of(*src_.clicks_db, user, oldest);
    if (home_plays.ok()) {
      std::unordered_set<std::string> from_home;
      for (const auto& r : *home_plays) from_home.insert(r.item_uri + "@" + std::to_string(r.at_ms));
      int n_home = 0;
      for (const auto& p : recent.items)
        n_home += from_home.count("segue:track:" + p.track.str() + "@" + std::to_string(p.played_at_ms)) > 0;
      listening.home_share = n_home / static_cast<double>(recent.items.size());
    }
  }
  // Jump back in: long-term favourites not heard lately.
  SEGUE_ASSIGN_OR_RETURN(auto long_top, src_.events->top_artists(user, events::TimeRange::kLongTerm, 30, 0));
  {
    std::vector<HomeItem> items;
    for (const auto& a : long_top.items)
      if (!recent_artists.count(a.id) && snap->artist(ArtistId(a.id)))
        items.push_back({"artist", a.id, static_cast<float>(a.score)});
    add({"jump_back_in", "Jump back in"}, std::move(items), per);
  }
  // Because you listened to X: tracks like the user's two most played artists of late.
  SEGUE_ASSIGN_OR_RETURN(auto short_top, src_.events->top_artists(user, events::TimeRange::kShortTerm, 2, 0));
  for (const auto& a : short_top.items) {
    const auto* artist = snap->artist(ArtistId(a.id));
    if (!artist) continue;
    Seeds seeds;
    seeds.artists = {a.id};
    auto recs = src_.recommend->from_seeds(seeds, {}, 40, user);
    if (!recs.ok()) continue;
    std::vector<HomeItem> items;
    float rank = 1.0f;
    for (const auto& t : recs->tracks) {
      const auto* track = snap->track(TrackId(t));
      // Others' tracks the user has not just heard: a shelf to discover from.
      if (!track || recent_tracks.count(t) || (!track->artist_ids.empty() && track->artist_ids.front().str() == a.id))
        continue;
      items.push_back({"track", t, rank});
      rank *= 0.95f;
    }
    add({"because_you_listened:" + a.id, "Because you listened to " + artist->name}, std::move(items));
  }
  // Recommended for you: the user's own ranking of what they have not played.
  {
    SEGUE_ASSIGN_OR_RETURN(auto ranked, src_.recommend->for_user(user, Level::kTracks, 200));
    std::vector<HomeItem> items;
    for (auto& s : ranked) items.push_back({"track", std::move(s.id), s.score});
    add({"recommended_tracks", "Recommended for you"}, std::move(items));
  }
  // New releases for you: the newest albums, those by artists the user plays first.
  {
    std::unordered_set<std::string> liked(recent_artists);
    for (const auto& a : long_top.items) liked.insert(a.id);
    std::vector<HomeItem> mine, others;
    for (const auto* al : snap->new_releases(200)) {
      const bool by_liked = std::any_of(al->artist_ids.begin(), al->artist_ids.end(),
                                        [&](const ArtistId& a) { return liked.count(a.str()) > 0; });
      (by_liked ? mine : others).push_back({"album", al->id.str(), by_liked ? 1.0f : 0.5f});
    }
    mine.insert(mine.end(), others.begin(), others.end());
    add({"new_releases", "New releases for you"}, std::move(mine), per);
  }
  // Artists you might like.
  {
    SEGUE_ASSIGN_OR_RETURN(auto ranked, src_.recommend->for_user(user, Level::kArtists, 30));
    std::vector<HomeItem> items;
    for (auto& s : ranked) items.push_back({"artist", std::move(s.id), s.score});
    add({"artists_for_you", "Artists you might like"}, std::move(items), per);
  }
  return out;
}

Result<Home> HomeService::home(const UserId& user, const BanditContext& context, int64_t now_ms) {
  if (now_ms == 0) now_ms = clock_ms();
  auto model = src_.recommend->model();
  const std::string model_version = model ? model->info.version : "";
  Home h;
  std::vector<HomeSection> shelves;
  Listening listening;
  {
    std::lock_guard l(mu_);
    auto it = cache_.find(user.str());
    if (it != cache_.end() && now_ms - it->second.built_at_ms < options_.cache_ms && it->second.model_version == model_version) {
      shelves = it->second.sections;
      listening = it->second.listening;
      h.generated_at_ms = it->second.built_at_ms;
      h.cached = true;
    }
  }
  if (!h.cached && src_.shared_cache) {
    // Another node built it within the hour: {"built_at":..,"model":..,"shelves":[...]}.
    if (auto text = src_.shared_cache->get(user)) {
      boost::system::error_code ec;
      json::value v = json::parse(*text, ec);
      if (!ec && v.is_object()) {
        const auto& o = v.as_object();
        const auto* built = o.if_contains("built_at");
        const auto* model_v = o.if_contains("model");
        const auto* sh = o.if_contains("shelves");
        if (built && built->is_int64() && model_v && model_v->is_string() && sh &&
            std::string(model_v->as_string()) == model_version && now_ms - built->as_int64() < options_.cache_ms) {
          if (auto parsed = shelves_from_json(json::serialize(*sh)); parsed.ok()) {
            shelves = std::move(*parsed);
            if (const auto* d = o.if_contains("discovery_share"); d && d->is_number()) listening.discovery_share = d->to_number<double>();
            if (const auto* k = o.if_contains("skip_share"); k && k->is_number()) listening.skip_share = k->to_number<double>();
            if (const auto* m = o.if_contains("home_share"); m && m->is_number()) listening.home_share = m->to_number<double>();
            h.generated_at_ms = built->as_int64();
            h.cached = true;
            std::lock_guard l(mu_);
            cache_[user.str()] = Entry{shelves, h.generated_at_ms, model_version, listening};
          }
        }
      }
    }
  }
  if (!h.cached) {
    SEGUE_ASSIGN_OR_RETURN(shelves, build(user, listening));
    h.generated_at_ms = now_ms;
    {
      std::lock_guard l(mu_);
      cache_[user.str()] = Entry{shelves, now_ms, model_version, listening};
    }
    if (src_.shared_cache) {
      json::object o{{"built_at", now_ms},
                     {"model", model_version},
                     {"discovery_share", listening.discovery_share},
                     {"skip_share", listening.skip_share},
                     {"home_share", listening.home_share},
                     {"shelves", json::parse(shelves_to_json(shelves))}};
      src_.shared_cache->put(user, json::serialize(o), static_cast<int>(options_.cache_ms / 1000));
    }
  }
  (h.cached ? hits_ : misses_).fetch_add(1);

  // The request gives the time and the device; the recent listening is ours.
  BanditContext ctx = context;
  ctx.discovery_share = listening.discovery_share;
  ctx.skip_share = listening.skip_share;
  ctx.home_share = listening.home_share;
  // Order the shelves: the bandit for its arm, the generation order for "editorial".
  const std::size_t arm_index = experiment_.assign_index(user.str());
  h.experiment_arm = experiment_.arms()[arm_index].name;
  std::vector<std::string> arms;
  for (const auto& s : shelves) arms.push_back(s.id);
  std::vector<Placement> placed;
  std::shared_ptr<const Bandit> bandit;
  {
    std::lock_guard l(mu_);
    bandit = bandit_;
  }
  h.policy_version = h.experiment_arm == "bandit" ? bandit->version() : "editorial";
  if (h.experiment_arm == "bandit" && !arms.empty()) {
    thread_local BanditRng rng{std::random_device{}()};
    SEGUE_ASSIGN_OR_RETURN(placed, bandit->rank(ctx, arms, rng));
  } else {
    for (std::size_t i = 0; i < arms.size(); ++i) placed.push_back({arms[i], static_cast<int>(i), 1.0, false});
  }
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < shelves.size(); ++i) index[shelves[i].id] = i;
  for (const auto& p : placed) {
    HomeSection s = std::move(shelves[index.at(p.arm)]);
    s.position = p.position;
    s.propensity = p.propensity;
    h.sections.push_back(std::move(s));
  }
  h.impression_id = random_base62_id();
  counters_.add(arm_index, ExperimentCounters::Kind::kImpression);
  {
    std::lock_guard l(queue_mu_);
    queue_.push_back(Impression{h.impression_id, user, now_ms, h.policy_version, h.experiment_arm,
                                context_to_json(ctx), std::move(arms), std::move(placed)});
    ++queued_;
  }
  queue_cv_.notify_one();
  return h;
}

void HomeService::writer_loop() {
  std::unique_lock l(queue_mu_);
  for (;;) {
    queue_cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    std::vector<Impression> batch(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    l.unlock();
    Status st = src_.db->write([&](store::Connection& c) -> Status {
      for (const auto& im : batch) {
        json::array arms(im.arms.begin(), im.arms.end());
        json::array shown;
        for (const auto& p : im.shown)
          shown.push_back(json::object{{"arm", p.arm}, {"position", p.position}, {"propensity", p.propensity}});
        SEGUE_TRY(c.exec("INSERT INTO home_impressions (id, user_id, at_ms, policy_version, experiment_arm, context, arms, "
                         "shown) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                         {im.id, im.user.str(), im.at_ms, im.policy_version, im.arm, im.context, json::serialize(arms),
                          json::serialize(shown)}));
      }
      return {};
    });
    if (!st.ok()) log::warn("home: impressions not stored", {{"count", std::to_string(batch.size())}, {"error", st.error().message}});
    l.lock();
    written_ += batch.size();
    flushed_cv_.notify_all();
  }
}

void HomeService::flush() {
  std::unique_lock l(queue_mu_);
  const uint64_t target = queued_;
  flushed_cv_.wait(l, [&] { return written_ >= target; });
}

void HomeService::count_click(const UserId& user) {
  counters_.add(experiment_.assign_index(user.str()), ExperimentCounters::Kind::kClick);
}

Status HomeService::load_policy() {
  std::optional<std::pair<int64_t, std::string>> newest;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    return c.query("SELECT version, state FROM home_policy ORDER BY version DESC LIMIT 1", {},
                   [&](const store::Row& r) { newest = std::pair{r.i64(0), r.text(1)}; });
  }));
  if (!newest) return {};
  {
    std::lock_guard l(mu_);
    if (bandit_->version() == std::to_string(newest->first)) return {};
  }
  SEGUE_ASSIGN_OR_RETURN(Bandit b, Bandit::from_json(newest->second));
  b.set_version(std::to_string(newest->first));
  std::lock_guard l(mu_);
  bandit_ = std::make_shared<const Bandit>(std::move(b));
  return {};
}

Result<int> HomeService::learn(int64_t now_ms) {
  std::lock_guard guard(learn_mu_);
  if (now_ms == 0) now_ms = clock_ms();
  SEGUE_TRY(load_policy());
  int64_t version = 0, learned_until = 0;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    return c.query("SELECT version, learned_until_ms FROM home_policy ORDER BY version DESC LIMIT 1", {},
                   [&](const store::Row& r) {
                     version = r.i64(0);
                     learned_until = r.i64(1);
                   });
  }));
  const int64_t until = now_ms - kRewardWindowMs;
  if (until <= learned_until) return 0;
  SEGUE_ASSIGN_OR_RETURN(auto logged, rewarded(learned_until, until));
  Bandit next = [&] {
    std::lock_guard l(mu_);
    return *bandit_;
  }();
  int learned = 0;
  for (const auto& im : logged) {
    for (std::size_t pos = 0; pos < im.shown.size() && pos < 6; ++pos)  // lower shelves: rarely looked at
      next.update(im.context, im.shown[pos].arm, im.shown[pos].reward);
    ++learned;
  }
  const int64_t new_version = version + 1;
  next.set_version(std::to_string(new_version));
  const std::string state = next.to_json();
  SEGUE_TRY(src_.db->write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO home_policy (version, state, learned_until_ms, created_at_ms) VALUES (?, ?, ?, ?)",
                     {new_version, state, until, now_ms}));
    return {};
  }));
  std::lock_guard l(mu_);
  bandit_ = std::make_shared<const Bandit>(std::move(next));
  return learned;
}

Result<std::vector<HomeService::Rewarded>> HomeService::rewarded(int64_t from_ms, int64_t until_ms) {
  struct Row {
    UserId user;
    int64_t at;
    std::string arm, context, arms, shown;
  };
  std::vector<Row> rows;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    return c.query("SELECT user_id, at_ms, experiment_arm, context, arms, shown FROM home_impressions "
                   "WHERE at_ms > ? AND at_ms <= ? ORDER BY at_ms",
                   {from_ms, until_ms}, [&](const store::Row& r) {
                     rows.push_back({UserId(r.text(0)), r.i64(1), r.text(2), r.text(3), r.text(4), r.text(5)});
                   });
  }));
  std::unordered_map<std::string, std::vector<HomeClickRow>> clicks;
  if (src_.clicks_db)
    SEGUE_TRY(TasteConsumer::home_clicks_since(*src_.clicks_db, from_ms, [&](const HomeClickRow& r) {
      clicks[r.user.str()].push_back(r);
    }));
  std::vector<Rewarded> out;
  for (auto& r : rows) {
    auto ctx = context_from_json(r.context);
    boost::system::error_code ec1, ec2;
    json::value arms = json::parse(r.arms, ec1);
    json::value shown = json::parse(r.shown, ec2);
    if (!ctx.ok() || ec1 || ec2 || !arms.is_array() || !shown.is_array()) continue;  // a damaged row teaches nothing
    Rewarded im{r.user, r.arm, *ctx, {}, {}};
    for (const auto& a : arms.as_array())
      if (a.is_string()) im.arms.emplace_back(a.as_string());
    const auto& mine = clicks[r.user.str()];
    bool ok = true;
    for (const auto& p : shown.as_array()) {
      const auto* o = p.if_object();
      const json::value* arm = o ? o->if_contains("arm") : nullptr;
      const json::value* prop = o ? o->if_contains("propensity") : nullptr;
      if (!arm || !arm->is_string() || !prop || !prop->is_number()) {
        ok = false;
        break;
      }
      LoggedImpression li{std::string(arm->as_string()), prop->to_number<double>(), 0.0};
      // A click on the shelf, or a play of 30 s or more started from it, within the window: one
      // reward however many there were.
      const bool clicked = std::any_of(mine.begin(), mine.end(), [&](const HomeClickRow& c) {
        return c.section == li.arm && c.at_ms >= r.at && c.at_ms < r.at + kRewardWindowMs;
      });
      li.reward = clicked ? 1.0 : 0.0;
      im.shown.push_back(std::move(li));
    }
    if (ok) out.push_back(std::move(im));
  }
  return out;
}

Result<OffPolicyReport> HomeService::evaluate(double epsilon, std::size_t positions, int64_t now_ms) {
  if (now_ms == 0) now_ms = clock_ms();
  SEGUE_TRY(load_policy());
  SEGUE_ASSIGN_OR_RETURN(auto logged, rewarded(0, now_ms - kRewardWindowMs));
  std::vector<LoggedSlate> slates;
  for (auto& im : logged) {
    if (im.arm != "bandit" || im.shown.empty()) continue;  // the editorial order has no propensities to learn from
    slates.push_back({im.context, std::move(im.arms), std::move(im.shown)});
  }
  if (slates.empty()) return Error::not_found("no logged home impressions of the bandit arm whose reward window has closed");
  // The newest learned state with the exploration rate asked for.
  std::string current = [&] {
    std::lock_guard l(mu_);
    return bandit_->to_json();
  }();
  auto state = json::parse(current);
  state.as_object()["options"].as_object()["epsilon"] = epsilon;
  SEGUE_ASSIGN_OR_RETURN(Bandit policy, Bandit::from_json(json::serialize(state)));
  OffPolicyOptions opts;
  opts.positions = positions;
  return evaluate_off_policy(slates, bandit_policy(policy), opts);
}

Result<std::vector<ArmSummary>> HomeService::experiment_summary(int64_t now_ms) {
  if (now_ms == 0) now_ms = clock_ms();
  SEGUE_ASSIGN_OR_RETURN(auto logged, rewarded(0, now_ms));
  ExperimentCounters counters(experiment_.arms().size());
  for (const auto& im : logged) {
    const std::size_t i = experiment_.index_of(im.arm);
    counters.add(i, ExperimentCounters::Kind::kImpression);
    if (std::any_of(im.shown.begin(), im.shown.end(), [](const LoggedImpression& l) { return l.reward > 0; }))
      counters.add(i, ExperimentCounters::Kind::kClick);
  }
  return counters.summary(experiment_);
}

void HomeService::register_metrics(MetricsRegistry& metrics) {
  metrics.gauge_fn("segue_home_requests", "Home pages served, from the cache or built", {{"cache", "hit"}},
                   [this] { return static_cast<double>(hits_.load()); });
  metrics.gauge_fn("segue_home_requests", "Home pages served, from the cache or built", {{"cache", "miss"}},
                   [this] { return static_cast<double>(misses_.load()); });
  for (std::size_t i = 0; i < experiment_.arms().size(); ++i) {
    const std::string arm = experiment_.arms()[i].name;
    metrics.gauge_fn("segue_home_experiment_impressions", "Home pages served per arm of the home_order experiment",
                     {{"arm", arm}}, [this, i] { return static_cast<double>(counters_.summary(experiment_)[i].impressions); });
    metrics.gauge_fn("segue_home_experiment_clicks", "Home clicks per arm of the home_order experiment (events role)",
                     {{"arm", arm}}, [this, i] { return static_cast<double>(counters_.summary(experiment_)[i].clicks); });
  }
  metrics.gauge_fn("segue_home_policy_version", "The home bandit's policy version in use", [this] {
    auto v = policy_version();
    return static_cast<double>(std::strtoll(v.c_str(), nullptr, 10));
  });
}

Result<std::optional<HomeSection>> HomeService::section(const UserId& user, std::string_view id, std::size_t max_items) {
  Listening unused;
  SEGUE_ASSIGN_OR_RETURN(auto sections, build(user, unused, std::max<std::size_t>(1, max_items)));
  for (auto& s : sections)
    if (s.id == id) return std::optional<HomeSection>(std::move(s));
  return std::optional<HomeSection>();
}

}  // namespace segue::recommend
