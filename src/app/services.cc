#include "app/services.h"
#include "app/import_listens.h"
#include "recommend/home_redis.h"
#include "recommend/listen_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "bus/local_bus.h"
#include "bus/redis_bus.h"
#include "events/redis_stream.h"
#include "common/crypto.h"
#include "app/transcoding.h"
#include "store/leader_lease.h"
#include "common/log.h"
#include "common/subprocess.h"

namespace segue::app {

Result<std::string> load_or_create_secret(const std::string& data_dir) {
  const std::string path = data_dir + "/secret.key";
  auto read_key = [&]() -> Result<std::string> {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::unavailable("cannot read " + path + ": " + std::strerror(errno));
    std::string key(64, '\0');
    ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != 32) return Error::corruption(path + " is not a 32-byte key; delete it to make a new one");
    key.resize(32);
    return key;
  };
  if (::access(path.c_str(), F_OK) == 0) return read_key();
  if (errno != ENOENT) return Error::unavailable("cannot read " + path + ": " + std::strerror(errno));
  // Two commands starting on a new data directory at once: each writes its own temporary file
  // and links it in; link() does not replace, so the first key wins and both read it.
  const std::string key = crypto::random_bytes(32);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int w = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (w < 0) return Error::unavailable("cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(w, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(w) == 0;
  ::close(w);
  if (ok && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) ok = false;
  ::unlink(tmp.c_str());
  if (!ok) return Error::unavailable("cannot write " + path + ": " + std::strerror(errno));
  return read_key();
}

Result<std::string> load_or_create_edge_key(const std::string& path) {
  auto read_key = [&]() -> Result<std::string> {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::unavailable("cannot read edge key " + path + ": " + std::strerror(errno));
    std::string text(1024, '\0');
    ssize_t n = ::read(fd, text.data(), text.size());
    ::close(fd);
    if (n < 0) return Error::unavailable("cannot read edge key " + path + ": " + std::strerror(errno));
    text.resize(static_cast<std::size_t>(n));
    auto key = playback::parse_edge_key(text);
    if (!key.ok()) return Error::invalid("edge key " + path + ": " + key.error().message);
    return key;
  };
  if (::access(path.c_str(), F_OK) == 0) return read_key();
  if (errno != ENOENT) return Error::unavailable("cannot read edge key " + path + ": " + std::strerror(errno));
  const std::string text = crypto::hex_encode(crypto::random_bytes(32)) + "\n";
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int w = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (w < 0) return Error::unavailable("cannot create edge key " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(w, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(w) == 0;
  ::close(w);
  // link() does not replace: a key another node wrote meanwhile wins, and everyone reads it.
  if (ok && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) ok = false;
  ::unlink(tmp.c_str());
  if (!ok) return Error::unavailable("cannot write edge key " + path + ": " + std::strerror(errno));
  return read_key();
}

Status secure_data_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::unavailable("cannot create data directory " + dir + ": " + ec.message());
  // Everything in it (database, WAL, keys, search index, transcodes) is the owner's only: new
  // files by the umask set at start (main), and an older data directory by its own mode.
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return Error::unavailable("cannot stat data directory " + dir + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) {
    if (::chmod(dir.c_str(), 0700) != 0)
      return Error::unavailable("cannot make data directory " + dir + " the owner's only: " + std::strerror(errno));
    char old_mode[8];
    std::snprintf(old_mode, sizeof old_mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    log::warn("data directory was open to other users; made it the owner's only (0700)",
              {{"dir", dir}, {"old_mode", old_mode}});
  }
  return {};
}

Result<Services> open_services(const Config& config, Scope scope) {
  SEGUE_TRY(secure_data_dir(config.data_dir));
  Services s;
  s.metrics = std::make_unique<MetricsRegistry>();
  // Domain events: across the nodes sharing `redis` when set, else within this process.
  if (!config.redis.empty()) {
    bus::RedisBusOptions redis;
    SEGUE_ASSIGN_OR_RETURN(redis.address, bus::parse_redis_url(config.redis));
    s.events_bus = std::make_unique<bus::RedisBus>(std::move(redis), s.metrics.get());
  } else {
    s.events_bus = std::make_unique<bus::LocalBus>(s.metrics.get());
  }
  // Relational state: PostgreSQL when `database` names a server, else SQLite in the data dir.
  const bool postgres = !config.database.empty();
  store::Options db_options;
  db_options.writers = config.database_writers;
  SEGUE_ASSIGN_OR_RETURN(s.db, store::Database::open(postgres ? config.database : config.data_dir + "/segue.db", db_options));
  auth::AuthOptions auth_options;
  auth_options.events = s.events_bus.get();
  SEGUE_ASSIGN_OR_RETURN(s.auth, auth::AuthService::open(*s.db, std::move(auth_options)));
  SEGUE_TRY(s.db->migrate("events", events::event_migrations()));
  SEGUE_TRY(s.db->migrate("user", user::library_migrations()));
  SEGUE_TRY(s.db->migrate("playlist", playlist::playlist_migrations()));
  SEGUE_TRY(s.db->migrate("user_preferences", user::preferences_migrations()));
  SEGUE_TRY(s.db->migrate("search", search::recent_migrations()));
  SEGUE_TRY(s.db->migrate("recommend", recommend::recommend_migrations()));
  SEGUE_TRY(s.db->migrate("home", recommend::home_migrations()));
  SEGUE_TRY(s.db->migrate("smart_playlists", recommend::smart_playlist_migrations()));
  SEGUE_TRY(s.db->migrate("made_for_you", recommend::made_for_you_migrations()));
  s.catalog = std::make_unique<catalog::Catalog>(*s.db, s.events_bus.get());
  SEGUE_TRY(s.catalog->reload());
  s.scanner = std::make_unique<catalog::Scanner>(*s.db, s.catalog.get());
  s.artwork = std::make_unique<catalog::Artwork>(*s.catalog, config.data_dir);
  // The counting consumers learn a track's album and artists from the catalog snapshot.
  events::EventLogOptions event_options;
  event_options.lookup = [catalog = s.catalog.get()](const TrackId& id) -> std::optional<events::TrackInfo> {
    auto snap = catalog->snapshot();
    const auto* t = snap->track(id);
    if (!t) return std::nullopt;
    return events::TrackInfo{t->album_id, t->artist_ids};
  };
  // The consumers' threads are the "events" role.
  event_options.start_threads = config.has_role("events");
  // On SQLite each consumer's derived state in a database of its own, so consumer commits run in
  // parallel with appends (docs/formats/event-log.md); the log stays in segue.db. On PostgreSQL
  // the writers run in parallel anyway: everything in the one database.
  if (!postgres) {
    store::Options derived;
    derived.readers = 2;
    derived.cache_size_kib = 65536;
    event_options.derived_databases = store::sqlite_files(config.data_dir + "/events-derived", derived);
  }
  // The events themselves: in the database's `event_log` table, or a Redis stream shared by the
  // nodes (`event_log = "redis"`; the consumers' state stays in the database).
  if (config.event_log == "redis") {
    events::RedisStreamOptions stream;
    SEGUE_ASSIGN_OR_RETURN(stream.address, redis::parse_url(config.redis));
    stream.require_fsync = config.event_log_durability != "relaxed";
    SEGUE_ASSIGN_OR_RETURN(auto opened, events::RedisStream::open(std::move(stream)));
    event_options.stream = std::move(opened);
  }
  // What users do, summed for the recommendation models (recommend/taste.h).
  s.taste = std::make_unique<recommend::TasteConsumer>();
  s.taste->on_home_click([sink = s.home_clicks](const UserId& user, const std::string&) {
    if (auto* h = sink->load()) h->count_click(user);
  });
  event_options.extra_consumers.push_back(s.taste.get());
  SEGUE_ASSIGN_OR_RETURN(s.events, events::EventLog::open(*s.db, std::move(event_options)));
  s.library = std::make_unique<user::Library>(*s.db, s.events_bus.get());
  s.playlists = std::make_unique<playlist::PlaylistService>(*s.db, s.events_bus.get());
  s.playlists->register_metrics(*s.metrics);
  s.preferences = std::make_unique<user::Preferences>(*s.db);
  s.recent_searches = std::make_unique<search::RecentSearches>(*s.db);
  // Your Library: save/remove with validation and library_save events; the library announces
  // each change (bus::LibraryChanged), which is how the user's other devices hear of it.
  s.library_service = std::make_unique<user::LibraryService>(*s.library, *s.catalog, *s.events, s.preferences.get());
  s.importer = std::make_unique<playlist::PlaylistImporter>(*s.playlists, *s.catalog, config.libraries);
  // Recommendations: models trained from the taste sums, imported listens, saves and playlist
  // adds, kept in models_dir (issue 18). The audio features come with the analysis service.
  {
    recommend::RecommendService::Sources src;
    src.taste_db = &s.events->derived_db(recommend::TasteConsumer::kName);
    src.db = s.db.get();
    src.catalog = s.catalog.get();
    src.library = s.library.get();
    src.playlists = s.playlists.get();
    src.popularity = [log = s.events.get()](const TrackId& t) { return log->popularity(events::ItemKind::kTrack, t.str()); };
    recommend::RecommendServiceOptions ro;
    ro.models_dir = config.models_dir.empty() ? config.data_dir + "/models" : config.models_dir;
    s.recommend = std::make_unique<recommend::RecommendService>(std::move(src), std::move(ro));
    if (auto st = s.recommend->load(); !st.ok())
      log::warn("recommendations: the current model does not load; serving without one", {{"error", st.error().message}});
    // Made for you: the mixes as each user's own playlists (recommend/made_for_you.h).
    recommend::MadeForYou::Sources mfy;
    mfy.db = s.db.get();
    mfy.recommend = s.recommend.get();
    mfy.catalog = s.catalog.get();
    mfy.playlists = s.playlists.get();
    mfy.preferences = s.preferences.get();
    mfy.library = s.library.get();
    mfy.events = s.events.get();
    mfy.users = [auth = s.auth.get()]() -> Result<std::vector<UserId>> {
      SEGUE_ASSIGN_OR_RETURN(auto all, auth->list_users());
      std::vector<UserId> ids;
      for (const auto& u : all) ids.push_back(u.id);
      return ids;
    };
    recommend::MadeForYouOptions mo;
    if (config.test_clock_offset_s != 0) {
      log::warn("test_clock_offset_s is set: made-for-you periods follow a shifted clock (a test knob)",
                {{"seconds", std::to_string(config.test_clock_offset_s)}});
      mo.now_ms = [offset = config.test_clock_offset_s * 1000] { return events::wall_clock_ms() + offset; };
    }
    s.made_for_you = std::make_unique<recommend::MadeForYou>(std::move(mfy), std::move(mo));
  }
  // Smart playlists (issue 18): ordinary playlists kept filled from rules over the catalog, the
  // audio features (set with the analysis service below) and each owner's listening.
  {
    recommend::SmartPlaylists::Sources src;
    src.db = s.db.get();
    src.plays_db = &s.events->derived_db(events::TopItemsConsumer::kName);
    src.catalog = s.catalog.get();
    src.library = s.library.get();
    src.playlists = s.playlists.get();
    s.smart_playlists = std::make_unique<recommend::SmartPlaylists>(std::move(src));
  }
  SEGUE_ASSIGN_OR_RETURN(std::string key, load_or_create_secret(config.data_dir));
  s.stream_tokens = std::make_unique<playback::StreamTokenSigner>(std::move(key));
  // Stream tokens carry the user's credentials epoch, so they end with a revocation too.
  s.stream_tokens->set_epoch_source([auth = s.auth.get()](const UserId& u) { return auth->credentials_epoch(u); });

  // Home: shelves cached an hour per user, ordered by the bandit for each request.
  {
    recommend::HomeService::Sources hs;
    hs.recommend = s.recommend.get();
    hs.events = s.events.get();
    hs.catalog = s.catalog.get();
    hs.db = s.db.get();
    hs.clicks_db = &s.events->derived_db(recommend::TasteConsumer::kName);
    hs.bus = s.events_bus.get();
    hs.made_for_you = [mfy = s.made_for_you.get()](const UserId& user) {
      std::vector<recommend::MadeForYouRef> out;
      if (!mfy) return out;
      auto mixes = mfy->playlists_of(user);
      if (!mixes.ok()) return out;
      for (const auto& m : *mixes)
        out.push_back({std::string(recommend::mix_kind_name(m.kind)), m.playlist, m.generated_at_ms});
      return out;
    };
    if (!config.redis.empty()) {
      SEGUE_ASSIGN_OR_RETURN(auto address, redis::parse_url(config.redis));
      s.home_cache = std::make_unique<recommend::RedisHomeCache>(std::move(address));
      hs.shared_cache = s.home_cache.get();
    }
    s.home = std::make_unique<recommend::HomeService>(std::move(hs));
    s.home->register_metrics(*s.metrics);
    s.home_clicks->store(s.home.get());
  }
  MetricsRegistry& metrics = *s.metrics;
  s.catalog->register_metrics(metrics);
  s.events->register_metrics(metrics);
  s.recommend->register_metrics(metrics);
  s.smart_playlists->register_metrics(metrics);
  if (scope == Scope::kCore) return s;

  // Search: the Xapian index in the data directory, fed by the indexer's own thread from the
  // catalog's and the playlists' domain events (the first sync runs in the background).
  SEGUE_ASSIGN_OR_RETURN(s.search_index, search::SearchIndex::open(config.data_dir + "/search"));
  s.searcher = std::make_unique<search::Searcher>(*s.search_index);
  if (config.has_role("indexer")) {
    s.indexer = std::make_unique<search::Indexer>(*s.search_index, *s.catalog, s.playlists.get(), *s.events_bus);
    // Ranking uses play counts: popularity from the event pipeline, re-read every 10 minutes.
    s.indexer->set_popularity(
        [log = s.events.get()](search::Kind kind, const std::string& id) {
          switch (kind) {
            case search::Kind::kTrack: return log->popularity(events::ItemKind::kTrack, id);
            case search::Kind::kAlbum: return log->popularity(events::ItemKind::kAlbum, id);
            case search::Kind::kArtist: return log->popularity(events::ItemKind::kArtist, id);
            default: return 50;
          }
        },
        std::chrono::minutes(10));
    // Playlists are found by their owner's display name too.
    s.indexer->set_owner_names([auth = s.auth.get()](const UserId& owner) -> std::string {
      auto u = auth->get_user(owner);
      return u.ok() ? u->display_name : std::string();
    });
    // Test knob (docs/search.md): test_index_delay_ms (SEGUE_TEST_INDEX_DELAY_MS) slows the
    // indexer down so that system tests can watch an initial build on a small library.
    if (config.test_index_delay.count() > 0) {
      log::warn("test_index_delay_ms is set: the search indexer is slowed down (a test knob)",
                {{"ms", std::to_string(config.test_index_delay.count())}});
      s.indexer->set_throttle(10, config.test_index_delay);
    }
    s.indexer->register_metrics(metrics);
  }

  // Transcoding: encodings made on demand in worker processes, cached in <data>/transcodes;
  // with transcode_ahead, one encoding of every track after each scan, at low priority.
  auto transcodes = open_transcode_cache(*s.db, config);
  if (!transcodes.ok()) return Error{transcodes.error().code, "transcode cache: " + transcodes.error().message};
  s.transcodes = std::move(transcodes).value();
  s.transcodes->register_metrics(metrics);
  // Playback: the play decision over the catalog and the transcode cache, and /audio.
  s.playback = std::make_unique<playback::PlaybackService>(*s.catalog, s.transcodes.get(), *s.stream_tokens,
                                                           config.stream_token_ttl);
  // Caching edges: play responses list the healthy ones first, with edge tokens; /audio takes
  // edge tokens (what an edge forwards on a miss) whenever the node has the edge key.
  if (!config.edges.empty() || !config.edge_key_file.empty()) {
    const std::string key_path = config.edge_key_file.empty() ? config.data_dir + "/edge.key" : config.edge_key_file;
    SEGUE_ASSIGN_OR_RETURN(std::string edge_key, load_or_create_edge_key(key_path));
    s.edge_tokens = std::make_unique<playback::EdgeTokenSigner>(std::move(edge_key));
    if (!config.edges.empty()) {
      s.edges = std::make_unique<edge::EdgeSet>(config.edges);
      s.edges->register_metrics(metrics);
    }
    s.playback->set_edges(s.edge_tokens.get(), s.edges.get());
  }
  // transcode_ahead's queueing is a scheduled job: the leader runs it (start_roles()).

  // Audio analysis (loudness, features, fingerprints): new and changed files after each scan,
  // in niced child processes, `analysis_workers` at a time (none without the "analysis" role:
  // reads still answer from the stored results).
  open_analysis(s, config.has_role("analysis") ? config.analysis_workers : 0, 10);
  connect_analysis(s);

  // Library scans: once at start, then every rescan_interval (the "scanner" role).
  if (config.has_role("scanner"))
    s.scans = std::make_unique<catalog::ScanLoop>(*s.scanner, config.libraries, config.rescan_interval, metrics);
  if (s.scans) {
    // Imported listens that found no track may find one among the files a scan added.
    store::Database* db = s.db.get();
    catalog::Catalog* cat = s.catalog.get();
    s.scans->on_changed([db, cat](const catalog::ScanReport&) {
      auto n = resolve_unmatched_listens(*db, matcher_for(*cat->snapshot()));
      if (!n) log::warn("matching imported listens after a scan failed", {{"error", n.error().message}});
      else if (*n) log::info("imported listens matched after a scan", {{"listens", std::to_string(*n)}});
    });
  }
  return s;
}

Status start_roles(Services& s, const Config& config) {
  if (s.indexer) s.indexer->start();
  if (s.analysis) {
    if (auto st = s.analysis->start(); !st.ok()) return Error{st.error().code, "audio analysis: " + st.error().message};
  }
  // Once per cluster: the scans and the scheduled jobs, while this node leads (issue 17).
  if (s.scans) {
    Leadership::Hooks hooks;
    auto cfg = std::make_shared<Config>(config);
    hooks.gained = [&s, cfg] {
      if (s.transcodes) s.encode_ahead = encode_ahead_after_scans(*s.catalog, *s.transcodes, *cfg, *s.events_bus);
      s.scans->start();
    };
    hooks.lost = [&s] {
      s.scans->pause();
      s.encode_ahead = {};
    };
    s.leader = std::make_unique<Leadership>(
        std::make_unique<store::LeaderLease>(config.database, store::kScannerLeaderKey), "scanner", *s.metrics,
        std::move(hooks));
    s.leader->start();
  }
  // Revocations reach this server at once: its own directly, the CLI's (another process on the
  // same database) within one poll of the revision row, every 250 ms off the network threads.
  if (config.has_role("api")) s.auth->watch_revocations(std::chrono::milliseconds(250));
  // The catalog other nodes scan: only the leader scans, and every node serves the catalog from
  // its own snapshot, reloaded within a second of a scan that changed it (issue 17).
  s.catalog_follower = std::make_unique<Periodic>(std::chrono::seconds(1), [&s] {
    if (auto r = s.catalog->follow(); !r.ok())
      log::warn("catalog: cannot follow the stored catalog", {{"error", r.error().message}});
    else if (*r)
      log::info("catalog: reloaded after another node's scan", {{"version", std::to_string(s.catalog->loaded_version())}});
  });
  // Recommendation models: every node loads what was published; the node holding the training
  // lease (role "recommend") retrains when the model is missing or older than the interval.
  s.recommend_follower = std::make_unique<Periodic>(std::chrono::seconds(5), [&s] {
    if (auto st = s.recommend->follow(); !st.ok())
      log::warn("recommendations: cannot load the published model", {{"error", st.error().message}});
  });
  // The home bandit: every node serves the newest stored policy; the lease holder learns from
  // the impressions whose reward window closed (below).
  if (s.home) {
    if (auto st = s.home->load_policy(); !st.ok())
      log::warn("home: the stored policy does not load", {{"error", st.error().message}});
    s.home_policy = std::make_unique<Periodic>(std::chrono::seconds(30), [&s] {
      if (s.recommend_leader && s.recommend_leader->leading()) {
        if (auto n = s.home->learn(); !n.ok()) log::warn("home: learning failed", {{"error", n.error().message}});
      } else if (auto st = s.home->load_policy(); !st.ok()) {
        log::warn("home: the stored policy does not load", {{"error", st.error().message}});
      }
    });
  }
  // The same lease runs the mixes' scheduler: every made_for_you_interval, the users whose
  // Discover Weekly, Release Radar or Daily Mixes are due in their time zone (after downtime,
  // the first run catches everyone up).
  const bool train = config.recommend_train_interval.count() > 0;
  const bool mixes = config.made_for_you_interval.count() > 0;
  if (config.has_role("recommend") && (train || mixes)) {
    Leadership::Hooks hooks;
    const auto interval = config.recommend_train_interval;
    const auto mix_interval = config.made_for_you_interval;
    hooks.gained = [&s, interval, train, mixes, mix_interval] {
      if (train)
        s.recommend_trainer = std::make_unique<Periodic>(std::chrono::minutes(1), [&s, interval] {
          auto m = s.recommend->model();
          const int64_t age_ms = m ? events::wall_clock_ms() - m->info.trained_at_ms : INT64_MAX;
          if (age_ms < std::chrono::duration_cast<std::chrono::milliseconds>(interval).count()) return;
          auto r = s.recommend->train();
          if (r.ok())
            log::info("recommendation model trained", {{"version", r->version}, {"seconds", std::to_string(r->training_seconds)}});
          else if (r.error().code != ErrorCode::kInvalidArgument)  // nothing to train on yet is not news
            log::warn("recommendations: training failed", {{"error", r.error().message}});
        });
      if (mixes)
        s.made_for_you_scheduler = std::make_unique<Periodic>(mix_interval, [&s] {
          auto n = s.made_for_you->run_due();
          if (!n.ok())
            log::warn("made for you: the scheduled run failed", {{"error", n.error().message}});
          else if (*n > 0)
            log::info("made for you: mixes generated", {{"users", std::to_string(*n)}});
        });
    };
    hooks.lost = [&s] {
      s.recommend_trainer.reset();
      s.made_for_you_scheduler.reset();
    };
    s.recommend_leader = std::make_unique<Leadership>(
        std::make_unique<store::LeaderLease>(config.database, store::kRecommendLeaderKey), "recommend", *s.metrics,
        std::move(hooks));
    s.recommend_leader->start();
  }
  // Smart playlists: refreshed after catalog changes and every smart_refresh_interval by the one
  // node with the "recommend" role that holds their lease (so two nodes never rewrite the same
  // playlist at once); every node refreshes at once the playlists its API creates or changes.
  if (config.has_role("recommend")) {
    Leadership::Hooks hooks;
    const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(config.smart_refresh_interval);
    hooks.gained = [&s, interval] { s.smart_playlists->start(*s.events_bus, interval); };
    hooks.lost = [&s] { s.smart_playlists->stop(); };
    s.smart_leader = std::make_unique<Leadership>(
        std::make_unique<store::LeaderLease>(config.database, store::kSmartPlaylistsLeaderKey), "smart_playlists",
        *s.metrics, std::move(hooks));
    s.smart_leader->start();
  }
  // Edge health: the nodes that answer play requests probe the edges they list.
  if (config.has_role("api") && s.edges) {
    s.edge_prober = std::make_unique<edge::EdgeProber>(*s.edges, edge::ProberOptions{config.edge_probe_interval, std::chrono::milliseconds(500)});
    s.edge_prober->start();
  }
  std::string roles;
  for (const auto& r : config.roles) roles += (roles.empty() ? "" : ",") + r;
  log::info("roles started", {{"roles", roles}});
  return {};
}

void connect_analysis(Services& s) {
  s.recommend->set_features([analysis = s.analysis.get()](const TrackId& t) -> std::optional<audio::AudioAnalysis> {
    auto sound = analysis->track(t);
    if (!sound) return std::nullopt;
    return sound->features;
  }, [analysis = s.analysis.get()] { return analysis->generation(); });
  s.smart_playlists->set_features([analysis = s.analysis.get()](const TrackId& t) -> std::optional<recommend::smart::AudioValues> {
    auto sound = analysis->track(t);
    if (!sound) return std::nullopt;
    const auto& f = sound->features;
    recommend::smart::AudioValues v;
    v.v = {f.tempo, f.energy, f.danceability, f.valence, f.acousticness, f.instrumentalness, f.speechiness,
           f.liveness, f.loudness, static_cast<double>(f.key), static_cast<double>(f.mode)};
    return v;
  });
}

void open_analysis(Services& s, int workers, int nice) {
  analysis::AnalysisService::Options options;
  options.workers = workers;
  s.analysis = std::make_unique<analysis::AnalysisService>(*s.db, *s.catalog, *s.events_bus, analysis_runner(nice), options);
  s.analysis->register_metrics(*s.metrics);
}

analysis::Runner analysis_runner(int nice) {
  subprocess::Options o;
  o.timeout = std::chrono::minutes(10);
  o.nice = nice;
  o.max_address_space = uint64_t{4} << 30;
  return analysis::persistent_runner(subprocess::self_executable(), o);
}

}  // namespace segue::app
