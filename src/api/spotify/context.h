// What the Spotify-API handlers need, passed by reference: the domain services, the worker
// pool for blocking calls, the rate limiters and a few settings. Built once in app/.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/spotify/objects.h"
#include "auth/auth_service.h"
#include "catalog/artwork.h"
#include "catalog/catalog.h"
#include "common/metrics.h"
#include "events/event_log.h"
#include "net/http.h"
#include "net/rate_limiter.h"
#include "net/worker_pool.h"
#include "playback/stream_token.h"
#include "playlist/service.h"
#include "store/database.h"
#include "user/library.h"
#include "user/preferences.h"

namespace segue::analysis {
class AnalysisService;
}  // namespace segue::analysis
namespace segue::recommend {
class RecommendService;
class HomeService;
class SmartPlaylists;
class MadeForYou;
}  // namespace segue::recommend
namespace segue::search {
class Searcher;
class Indexer;
class RecentSearches;
}  // namespace segue::search
namespace segue::transcode {
class TranscodeCache;
}  // namespace segue::transcode
namespace segue::playback {
class PlaybackService;
}  // namespace segue::playback
namespace segue::user {
class LibraryService;
}  // namespace segue::user
namespace segue::playlist {
class PlaylistImporter;
}  // namespace segue::playlist

namespace segue::api::spotify {

struct Realtime;     // api/spotify/realtime.h
struct AbuseLimits;  // api/spotify/abuse.h

struct ApiContext {
  store::Database& db;
  auth::AuthService& auth;
  catalog::Catalog& catalog;
  catalog::Artwork& artwork;
  events::EventLog& events;
  user::Library& library;
  playback::StreamTokenSigner& stream_tokens;
  net::WorkerPool& workers;
  net::RateLimit& client_limiter;  // net::RateLimiter, or net::SharedRateLimiter with `redis`
  net::RateLimit& user_limiter;
  MetricsRegistry& metrics;
  // Base URL for hrefs and stream URLs. Empty: from each request's Host header when that is a
  // host the operator allowed (trusted_origin()), else the address the connection arrived on.
  std::string public_url;
  // Serve the plain landing page at `/` (when the web player is not installed).
  bool landing_page = true;
  // Real-time push (/v1/ws): the hub and the topic kinds; null: no /v1/ws, nothing published.
  Realtime* realtime = nullptr;
  playlist::PlaylistService* playlists = nullptr;
  // Playlist import (null: POST /v1/me/playlists/import answers 503).
  playlist::PlaylistImporter* importer = nullptr;
  // Search (null: no /v1/search routes), recent searches and user preferences.
  search::Searcher* searcher = nullptr;
  // The indexer keeping the search index in step (null: the index is always ready): readiness
  // for /healthz, and 503 from the search routes while an initial build runs.
  const search::Indexer* indexer = nullptr;
  search::RecentSearches* recent_searches = nullptr;
  user::Preferences* preferences = nullptr;
  // The popularity (0-100) in track, album and artist objects (empty: 0): the event log's play
  // counts, read from memory. Set by whoever builds the context; no process-wide setter.
  PopularitySource popularity;
  // Encodings made on demand (null: only the original files are offered).
  transcode::TranscodeCache* transcodes = nullptr;
  // Saving to and removing from Your Library (null: those routes answer 503).
  user::LibraryService* library_service = nullptr;
  // The play decision and /audio resolution (null: play and /audio answer 503).
  playback::PlaybackService* playback = nullptr;
  // Audio features, analysis, loudness and duplicates (null: no /v1/audio-* routes).
  segue::analysis::AnalysisService* analysis = nullptr;
  // Recommendations, related artists, genre seeds (null: no such routes).
  segue::recommend::RecommendService* recommend = nullptr;
  segue::recommend::HomeService* home = nullptr;  // GET /v1/me/home (null: no route)
  // Smart playlists: creating, importing .nsp files, rules (null: no such routes).
  segue::recommend::SmartPlaylists* smart_playlists = nullptr;
  // Discover Weekly, Release Radar and the Daily Mixes (null: no /v1/me/made-for-you routes).
  segue::recommend::MadeForYou* made_for_you = nullptr;
  // Login backoff, the password-hashing pool and per-address limits (null: none of them).
  AbuseLimits* abuse = nullptr;

  // Hosts links may be built from besides loopback names, the listen address and the address a
  // connection arrived on (`allowed_hosts`: "name" for any port, or "name:port").
  std::vector<std::string> allowed_hosts;
  std::string listen_host;  // the configured listen address (its host part)
  // Remote callers of /metrics must send `Authorization: Bearer <metrics_token>`; empty: only
  // loopback callers get /metrics.
  std::string metrics_token;

  // "http://host:port" for links in responses to `req`: public_url if set, else the request's
  // Host if trusted_origin() allows it, else the address the connection arrived on. Never a
  // host a client made up.
  std::string base_url(const net::Request& req) const;
  // The origin of `req` if links may be built from it: public_url if set, else "http://" + the
  // Host header when it names a loopback host, the listen address or the address the connection
  // arrived on (on that port), or an allowed_hosts entry. nullopt for any other Host.
  std::optional<std::string> trusted_origin(const net::Request& req) const;
};

}  // namespace segue::api::spotify
