// Segue's configuration, built once from a TOML file, SEGUE_* environment variables and
// command-line flags (flags win over the environment, which wins over the file), validated,
// then passed by const reference to whoever needs it. No globals.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "edge/edges.h"

namespace segue::app {

// What a node runs (setting `roles`): "api" serves HTTP and /v1/ws (and watches for the CLI's
// revocations), "scanner" scans the libraries at start and every rescan_interval, "indexer"
// keeps the search index in step, "transcode" runs the transcode jobs, "analysis" the
// background audio analysis, "events" the event-log consumers (history, popularity, top items,
// taste), "recommend" the scheduled training of the recommendation models (one node of a
// cluster at a time: a lease). Default: all of them.
inline const std::vector<std::string> kAllRoles = {"api", "scanner", "indexer", "transcode", "analysis", "events",
                                                   "recommend"};

struct Config {
  std::set<std::string> roles{kAllRoles.begin(), kAllRoles.end()};
  bool has_role(const std::string& role) const { return roles.count(role) > 0; }
  std::string data_dir = "data";
  // Where relational state lives: empty for the embedded SQLite file `<data_dir>/segue.db`, or a
  // PostgreSQL URL (`postgresql://user@host/db`, `postgresql:///db?host=/run/postgresql`).
  // The data directory still holds the stream-token key, the search index, transcodes and caches.
  std::string database;
  int database_writers = 8;  // PostgreSQL writer connections (SQLite has one writer)
  // Redis shared by the nodes of a cluster (issue 17): `redis://HOST[:PORT]` or
  // `redis:///PATH/TO/SOCKET`. When set, domain events cross nodes over it (bus::RedisBus);
  // empty: a single node (bus::LocalBus).
  std::string redis;
  // Where events are kept (issue 17): "database" (the `event_log` table, default) or "redis"
  // (a Redis stream shared by the nodes, events::RedisStream; needs `redis`). With "redis",
  // `event_log_durability` "fsync" (default) refuses a Redis without `appendonly yes` and
  // `appendfsync always`; "relaxed" accepts it (an acknowledged event may then be lost).
  std::string event_log = "database";
  std::string event_log_durability = "fsync";
  // Caching edges (issue 17; README "Caching edges"): nginx edges play responses list before
  // the origin, ranked by health and latency. `edges` in the compact form
  // NAME=URL[@REGION][*WEIGHT],... (edge::parse_edges); the edge key shared by every node and
  // edge of a cluster (empty: `<data_dir>/edge.key`, created when missing); how often every
  // edge's /edge-health is probed.
  std::vector<edge::EdgeSpec> edges;
  std::string edge_key_file;
  std::chrono::milliseconds edge_probe_interval{1000};
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::vector<std::string> libraries;
  std::string public_url;  // base of links and stream URLs; empty: from each request's Host if allowed
  int io_threads = 0;      // 0: one per core
  int workers = 0;         // 0: max(4, 2 x cores); on PostgreSQL at least database_writers + 4 readers
  int analysis_workers = 1;  // background analysis processes (niced); 0: no background analysis
  std::vector<std::string> cors_origins;
  std::size_t max_connections = 20000;
  // Open connections from one client address (IPv6: one /64); 0: no per-address cap. Behind a
  // reverse proxy on the same host every client shares the proxy's address: raise it or use 0.
  std::size_t max_connections_per_address = 256;
  // Host names links may be built from when public_url is empty, besides loopback names, the
  // listen address and the address a connection arrived on ("name" any port, "name:port").
  std::vector<std::string> allowed_hosts;
  // Peers (a gateway, a reverse proxy) whose X-Forwarded-For names the client (issue 17;
  // net/trusted_proxies.h): addresses or CIDRs, validated; empty: nobody.
  std::vector<std::string> trusted_proxies;
  // Bearer token remote callers need for /metrics; empty: /metrics for loopback callers only.
  std::string metrics_token;
  std::size_t body_limit = 1024 * 1024;
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds idle_timeout{75};
  // Rolling-window rate limits (Spotify uses a 30-second window). 0 disables.
  uint32_t rate_limit_client = 6000;  // requests per window per OAuth client
  uint32_t rate_limit_user = 3000;    // requests per window per user
  std::chrono::seconds rate_window{30};
  // Per client address (an IPv6 client's /64), per 10 s: /audio and /images requests
  // (api/spotify/abuse.h says why these numbers). 0 disables; behind a reverse proxy on the same
  // host every client shares the proxy's address, so raise them or use 0 there.
  uint32_t audio_rate_limit = 3000;
  uint32_t image_rate_limit = 1000;
  std::chrono::seconds rescan_interval{300};  // periodic rescan while serving; 0 disables
  // Recommendation models (issue 18): their directory (empty: <data_dir>/models; in a cluster a
  // path every node sees, so the node that trains publishes for all), and how often the node
  // with the "recommend" role retrains (0: only `segue recommend train`). A node with no model
  // or one older than the interval trains a minute after it starts.
  std::string models_dir;
  std::chrono::seconds recommend_train_interval{86400};
  // Smart playlists are re-evaluated after each catalog change and every this often (play
  // counts and last-played dates change without one), by nodes with the "recommend" role.
  std::chrono::seconds smart_refresh_interval{600};
  // "Made for you" (recommend/made_for_you.h): how often the node holding the recommend lease
  // looks for users whose Discover Weekly, Release Radar or Daily Mixes are due (0: never; the
  // mixes are then made only on request).
  std::chrono::seconds made_for_you_interval{60};
  // Test knob (docs/formats/made-for-you.md): shifts the clock the mixes' periods are read from
  // by this many seconds, so tests can start a server "next week". 0: off.
  int64_t test_clock_offset_s = 0;
  bool access_log = true;
  std::string log_level = "info";
  // The built web player (web/dist). Unset: the source tree's web/dist if it exists; "off":
  // none. A configured directory that cannot be loaded is an error.
  std::string web_dir;
  bool web_configured = false;
  std::chrono::seconds stream_token_ttl{3600};  // lifetime of stream tokens (the seed's 3600 s)
  // Test knob (docs/search.md, "Readiness"): the search indexer writes 10 documents at a time
  // and pauses this long before each, so that tests can watch an initial build. 0: off.
  std::chrono::milliseconds test_index_delay{0};
  // Transcoding: the bound on <data>/transcodes (least recently used encodings go first),
  // concurrent transcode processes (0: half the cores, at least 1), and an encoding made for
  // every track after each scan ("vorbis:160"; empty: none).
  uint64_t transcode_cache_bytes = 4ull << 30;
  int transcode_jobs = 0;
  std::string transcode_ahead;
  // Where encodings are kept; empty: <data_dir>/transcodes. The nodes of a cluster share one
  // (a path every node sees: NFS or similar), so an encoding one node made is served by all.
  std::string transcode_dir;
};

// Raw settings by key ("listen", "data", "library", ...) as they come from one source.
using Settings = std::multimap<std::string, std::string>;

// Reads `path` as TOML into settings. Error::invalid with the line on a syntax error.
Result<Settings> read_toml_file(const std::string& path);
// Collects SEGUE_* variables (SEGUE_LISTEN -> "listen"; SEGUE_LIBRARY may hold several
// paths separated by ':').
Settings read_environment(char** envp);

// Applies sources in order file < environment < flags; for a list key (library,
// cors_origins) the highest source that sets it replaces the lower ones.
Result<Config> build_config(const Settings& file, const Settings& env, const Settings& flags);

}  // namespace segue::app
