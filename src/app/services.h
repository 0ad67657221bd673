// The composition root: opens a data directory and builds every domain service over it, in
// one place, each registering its own metrics. Used by `serve` (Scope::kServer, then
// start_roles()) and by the administrative commands (`user`, `client`, `scan`, ...: kCore).
//
// Background loops start by role (Config::roles, docs in README "Settings"): the scan loop
// ("scanner"), the search indexer ("indexer"), the transcode jobs ("transcode"), the analysis
// workers ("analysis"), the event-log consumers ("events"); "api" is the HTTP server (main.cc)
// and the revocation watcher.
#pragma once

#include <memory>
#include <string>

#include "app/config.h"
#include "app/leader.h"
#include "app/periodic.h"
#include "auth/auth_service.h"
#include "bus/event_bus.h"
#include "catalog/artwork.h"
#include "catalog/catalog.h"
#include "catalog/scan_loop.h"
#include "catalog/scanner.h"
#include "common/metrics.h"
#include "edge/edges.h"
#include "edge/prober.h"
#include "events/event_log.h"
#include "playback/stream_token.h"
#include "playlist/service.h"
#include "store/database.h"
#include "playback/service.h"
#include "playlist/import_service.h"
#include "recommend/home.h"
#include "recommend/made_for_you.h"
#include "recommend/service.h"
#include "recommend/smart_playlists.h"
#include "recommend/taste.h"
#include "search/indexer.h"
#include "user/library_service.h"
#include "search/recent.h"
#include "search/searcher.h"
#include "analysis/analysis_service.h"
#include "transcode/cache.h"
#include "user/library.h"
#include "user/preferences.h"

namespace segue::app {

struct Services {
  // First: every service below may publish domain events and register metrics, and outlives
  // none of them.
  std::unique_ptr<MetricsRegistry> metrics;
  std::unique_ptr<bus::EventBus> events_bus;  // the domain-event bus (bus::RedisBus with `redis`, else bus::LocalBus)
  std::unique_ptr<store::Database> db;
  std::unique_ptr<auth::AuthService> auth;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<catalog::Scanner> scanner;
  std::unique_ptr<catalog::Artwork> artwork;
  std::unique_ptr<recommend::TasteConsumer> taste;  // a consumer of `events`: declared first, destroyed after it
  std::unique_ptr<events::EventLog> events;
  std::unique_ptr<user::Library> library;
  std::unique_ptr<playback::StreamTokenSigner> stream_tokens;
  std::unique_ptr<playlist::PlaylistService> playlists;
  std::unique_ptr<user::Preferences> preferences;
  std::unique_ptr<search::RecentSearches> recent_searches;
  std::unique_ptr<user::LibraryService> library_service;  // Your Library's use cases
  std::unique_ptr<playlist::PlaylistImporter> importer;     // playlist import
  std::unique_ptr<recommend::RecommendService> recommend;  // models, training, recommendations
  std::unique_ptr<recommend::SharedHomeCache> home_cache;  // with `redis`: shelves shared by the nodes
  std::unique_ptr<recommend::HomeService> home;  // /v1/me/home
  std::unique_ptr<Periodic> home_policy;         // every node: the newest home policy; the lease holder also learns
  // The taste consumer's home clicks reach `home` through this (set once home exists).
  std::shared_ptr<std::atomic<recommend::HomeService*>> home_clicks = std::make_shared<std::atomic<recommend::HomeService*>>(nullptr);
  std::unique_ptr<recommend::MadeForYou> made_for_you;     // Discover Weekly, Release Radar, Daily Mixes

  // Scope::kServer only (null otherwise).
  std::unique_ptr<search::SearchIndex> search_index;  // <data>/search
  std::unique_ptr<search::Searcher> searcher;
  std::unique_ptr<search::Indexer> indexer;  // with the "indexer" role only
  std::unique_ptr<transcode::TranscodeCache> transcodes;  // jobs with the "transcode" role only
  // Caching edges (`edges`; an edge key also with `edge_key_file` alone, so a node without
  // edges of its own still takes edge tokens on /audio): before playback, which points at them.
  std::unique_ptr<playback::EdgeTokenSigner> edge_tokens;
  std::unique_ptr<edge::EdgeSet> edges;
  std::unique_ptr<playback::PlaybackService> playback;  // the play decision and /audio
  bus::Subscription encode_ahead;  // transcode_ahead: with the "transcode" role only
  std::unique_ptr<analysis::AnalysisService> analysis;  // workers with the "analysis" role only
  std::unique_ptr<catalog::ScanLoop> scans;  // with the "scanner" role only; runs while leading
  std::unique_ptr<edge::EdgeProber> edge_prober;  // with `edges` and the "api" role (start_roles)
  // Reloads the catalog when another node's scan changed it (Catalog::follow(), every second).
  std::unique_ptr<Periodic> catalog_follower;
  // Loads the model another node (or `segue recommend train`) published (every 5 s).
  std::unique_ptr<Periodic> recommend_follower;
  // With the "recommend" role: retraining every recommend_train_interval while this node holds
  // the training lease (one node of a cluster trains).
  std::unique_ptr<Periodic> recommend_trainer;
  // With the "recommend" role and made_for_you_interval: the mixes of every user whose period
  // (in their time zone) has none yet, while this node holds the same lease.
  std::unique_ptr<Periodic> made_for_you_scheduler;
  std::unique_ptr<Leadership> recommend_leader;
  // Smart playlists (both scopes): rules, and their refreshes (the thread starts in
  // start_roles() with the "recommend" role). Declared after `analysis`, whose features its
  // thread reads, so destroyed (and stopped) before it.
  std::unique_ptr<recommend::SmartPlaylists> smart_playlists;
  // With the "recommend" role: runs the smart playlists' refresh thread while this node holds
  // their lease (destroyed first: stops it).
  std::unique_ptr<Leadership> smart_leader;
  // Last, so destroyed first: with the "scanner" role, the cluster leadership that runs `scans`
  // and `encode_ahead` while this node holds it (start_roles()).
  std::unique_ptr<Leadership> leader;
};

enum class Scope {
  kCore,    // the database and the domain services: what the CLI commands need
  kServer,  // also the search index, the transcode cache, the analysis service and the loops
};

// Creates the data directory if missing, and makes an existing one the owner's only (0700,
// with a log line) if it was open to others.
Status secure_data_dir(const std::string& dir);
// Creates the data directory if needed (secure_data_dir), opens `<data>/segue.db` (refusing a
// corrupt database or one from a newer Segue), applies every module's migrations and loads the
// catalog.
// With kServer, nothing runs in the background before start_roles() (the event consumers of
// the "events" role excepted: they start with the event log, in both scopes).
Result<Services> open_services(const Config& config, Scope scope = Scope::kCore);

// Starts the background loops of the config's roles (kServer services): the indexer's first
// sync, the analysis workers, with "api" the revocation watcher, and with "scanner" the
// competition for the cluster's leadership (app/leader.h): the scan loop and transcode_ahead's
// queueing run while this node leads (always on SQLite).
Status start_roles(Services& s, const Config& config);

// Builds s.analysis with `workers` analysis processes at niceness `nice` (not started): the
// server's (kServer: analysis_workers with the "analysis" role, else 0; nice 10) and
// `segue analyze`'s (--jobs, nice 0).
void open_analysis(Services& s, int workers, int nice);
// Gives the recommendations and the smart playlists s.analysis's audio features (the server's,
// and `segue smart`'s, whose rules may name them).
void connect_analysis(Services& s);

// How the server and `segue analyze` run analyses: in long-lived child processes of this
// binary, with a time limit per file and an address-space cap (a hostile file costs that file
// and a process restart only).
analysis::Runner analysis_runner(int nice);

// The server's secret (stream-token key): 32 random bytes in `<data>/secret.key`, created
// with mode 0600 on first use.
Result<std::string> load_or_create_secret(const std::string& data_dir);

// The edge key (docs/formats/edge-token.md) from `path`: 64 hex characters (32 random bytes)
// and a newline written with mode 0600 when the file is missing (by whichever node gets there
// first when several start at once on a shared path), else the file's key as it is.
Result<std::string> load_or_create_edge_key(const std::string& path);

}  // namespace segue::app
