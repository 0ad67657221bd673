#include "api/spotify/access.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "api/spotify/context.h"
#include "playlist/service.h"

namespace segue::api::spotify {
namespace {
using auth::Scope;
using http = net::http::verb;
namespace json = boost::json;

constexpr Scope kLibRead = Scope::kUserLibraryRead;
constexpr Scope kLibModify = Scope::kUserLibraryModify;
constexpr Scope kPrivate = Scope::kUserReadPrivate;
constexpr Scope kModPublic = Scope::kPlaylistModifyPublic;
constexpr Scope kModPrivate = Scope::kPlaylistModifyPrivate;
constexpr Scope kPlayback = Scope::kUserModifyPlaybackState;
constexpr Scope kRecent = Scope::kUserReadRecentlyPlayed;

constexpr Caller kAnyone = Caller::kAnyone;
constexpr Caller kAnyToken = Caller::kAnyToken;
constexpr Caller kUser = Caller::kUser;
constexpr ObjectRule kNone = ObjectRule::kNone;
constexpr ObjectRule kOwn = ObjectRule::kOwn;
constexpr ObjectRule kRead = ObjectRule::kPlaylistRead;
constexpr ObjectRule kModify = ObjectRule::kPlaylistModify;
constexpr ObjectRule kByBody = ObjectRule::kByBody;
constexpr Origin kSpotify = Origin::kSpotify;
constexpr Origin kSegue = Origin::kSegue;
constexpr Origin kServer = Origin::kServer;

constexpr std::string_view kCatalogNote = "the catalog is shared by every user; app tokens read it too";
constexpr std::string_view kPlaylistModifyRef = "playlist-modify-public playlist-modify-private";
constexpr std::string_view kUserPlaylists =
    "the caller's own playlists; private ones only with playlist-read-private (collaborative ones "
    "also with playlist-read-collaborative), as Spotify filters them";

std::vector<RouteRule> build_rules() {
  std::vector<RouteRule> r;
  auto add = [&r](http m, std::string_view p, Caller c, std::vector<Scope> s, ObjectRule o, Origin origin,
                  std::string_view ref, std::string_view note) {
    r.push_back(RouteRule{m, p, c, std::move(s), o, origin, ref, note});
  };

  // ---- system, OAuth and media ----
  add(http::get, "/healthz", kAnyone, {}, kNone, kServer, "", "liveness and readiness for load balancers");
  add(http::get, "/metrics", Caller::kOperator, {}, kNone, kServer, "",
      "Prometheus text; counts only, but not for the public");
  add(http::get, "/", kAnyone, {}, kNone, kServer, "", "the web player or the landing page");
  add(http::get, "/web-config.json", kAnyone, {}, kNone, kServer, "",
      "the web player's public OAuth settings (client id, redirect path)");
  add(http::get, "/authorize", Caller::kLogin, {}, kNone, kServer, "", "the login and consent form");
  add(http::post, "/authorize", Caller::kLogin, {}, kNone, kServer, "",
      "checks a password; throttled per account and per address");
  add(http::post, "/api/token", Caller::kClient, {}, kNone, kServer, "",
      "client authentication, PKCE or a refresh token");
  add(http::post, "/api/revoke", Caller::kClient, {}, kNone, kServer, "", "RFC 7009; the client's own tokens only");
  add(http::get, "/audio/{file_id}", Caller::kCapability, {}, kNone, kServer, "",
      "a stream token signed for this user and file, valid 1 hour and until the user's password "
      "changes or sessions are revoked");
  add(http::get, "/images/{id}", kAnyone, {}, kNone, kServer, "", "album art of the shared catalog");
  add(http::get, "/images/playlists/{id}", Caller::kCapability, {}, kNone, kServer, "",
      "a public playlist's cover is open; a private one's needs the signed URL the playlist object gives");

  // ---- catalog ----
  for (std::string_view p : {"/v1/tracks/{id}", "/v1/tracks", "/v1/albums/{id}", "/v1/albums",
                             "/v1/albums/{id}/tracks", "/v1/artists/{id}", "/v1/artists",
                             "/v1/artists/{id}/albums", "/v1/artists/{id}/top-tracks",
                             "/v1/browse/new-releases"})
    add(http::get, p, kAnyToken, {}, kNone, kSpotify, "", kCatalogNote);
  add(http::get, "/v1/browse/recently-added", kAnyToken, {}, kNone, kSegue, "", kCatalogNote);
  for (std::string_view p : {"/v1/audio-features/{id}", "/v1/audio-features", "/v1/audio-analysis/{id}"})
    add(http::get, p, kAnyToken, {}, kNone, kSpotify, "", kCatalogNote);
  // ---- recommendations (issue 18) ----
  add(http::get, "/v1/recommendations", kAnyToken, {}, kNone, kSpotify, "",
      "tracks of the shared catalog like the seeds; a user token's own taste only breaks ties, and "
      "nothing of any user is shown");
  add(http::get, "/v1/recommendations/available-genre-seeds", kAnyToken, {}, kNone, kSpotify, "", kCatalogNote);
  add(http::get, "/v1/artists/{id}/related-artists", kAnyToken, {}, kNone, kSpotify, "",
      "artists of the shared catalog that the same listeners play (no user is named)");
  add(http::get, "/v1/me/home", kUser, {Scope::kUserTopRead}, kOwn, kSegue, "",
      "built from the user's own listening and playlists, so user-top-read; only the caller's own");
  add(http::get, "/v1/me/home/sections/{id}", kUser, {Scope::kUserTopRead}, kOwn, kSegue, "",
      "one of the caller's own home sections in full (\"Show all\"), so user-top-read as /v1/me/home");
  add(http::get, "/v1/me/recommendations", kUser, {Scope::kUserTopRead}, kOwn, kSegue, "",
      "built from the user's own listening, so user-top-read as /v1/me/top; only the caller's own");
  add(http::post, "/v1/me/radio", kUser, {}, kOwn, kSegue, "",
      "the caller's own station: its history comes in the body and their taste only orders it; a "
      "playlist seed is read with the caller's rights (another user's private playlist is 404)");
  add(http::get, "/v1/playlists/{id}/recommendations", kUser, {}, kRead, kSegue, "",
      "tracks like the playlist's: readable by whoever may read the playlist, as GET /v1/playlists/{id}");
  add(http::get, "/v1/me/made-for-you", kUser, {Scope::kPlaylistReadPrivate}, kOwn, kSegue, "",
      "the caller's own Discover Weekly, Release Radar and Daily Mixes: private playlists of theirs, "
      "so playlist-read-private");
  add(http::post, "/v1/me/made-for-you/refresh", kUser, {kModPrivate}, kOwn, kSegue, "",
      "makes or rewrites the caller's own private mix playlists, so playlist-modify-private");
  add(http::get, "/v1/library/duplicates", kUser, {kLibRead}, kNone, kSegue, "",
      "files that are the same recording; a view of the library, so user-library-read");

  // ---- search ----
  add(http::get, "/v1/search", kAnyToken, {}, kNone, kSpotify, "",
      "playlists in results and spelling corrections only from what the caller may see");
  add(http::get, "/v1/search/suggest", kAnyToken, {}, kNone, kSegue, "", "as /v1/search");
  add(http::get, "/v1/me/search/recent", kUser, {kPrivate}, kOwn, kSegue, "",
      "recent searches are private to their user");
  add(http::post, "/v1/me/search/recent", kUser, {kPrivate}, kOwn, kSegue, "", "as GET");
  add(http::delete_, "/v1/me/search/recent", kUser, {kPrivate}, kOwn, kSegue, "", "as GET");
  add(http::get, "/v1/me/preferences", kUser, {kPrivate}, kOwn, kSegue, "",
      "settings such as the private session; Spotify has no scope to write them, so reading and "
      "writing both need user-read-private");
  add(http::put, "/v1/me/preferences", kUser, {kPrivate}, kOwn, kSegue, "", "as GET");

  // ---- the user and Your Library ----
  add(http::get, "/v1/me", kUser, {}, kOwn, kSpotify, "user-read-private user-read-email",
      "any user token; product and explicit_content only with user-read-private (no email is kept)");
  for (std::string_view p : {"/v1/me/tracks", "/v1/me/albums"}) {
    add(http::get, p, kUser, {kLibRead}, kOwn, kSpotify, "user-library-read", "");
    add(http::put, p, kUser, {kLibModify}, kOwn, kSpotify, "user-library-modify", "");
    add(http::delete_, p, kUser, {kLibModify}, kOwn, kSpotify, "user-library-modify", "");
  }
  add(http::get, "/v1/me/tracks/contains", kUser, {kLibRead}, kOwn, kSpotify, "user-library-read", "");
  add(http::get, "/v1/me/albums/contains", kUser, {kLibRead}, kOwn, kSpotify, "user-library-read", "");

  // ---- playback and history ----
  add(http::post, "/v1/me/player/play", kUser, {kPlayback}, kOwn, kSegue, "",
      "the seed's play call: stream URLs and a token; quality capped by the user's tier");
  add(http::post, "/v1/me/player/events", kUser, {kPlayback}, kOwn, kSegue, "",
      "player events feed the user's history and bounded shares of shared counts");
  add(http::get, "/v1/me/player/recently-played", kUser, {kRecent}, kOwn, kSpotify, "user-read-recently-played", "");
  add(http::delete_, "/v1/me/player/recently-played", kUser, {kRecent, kPlayback}, kOwn, kSegue, "",
      "forgetting history changes what playback recorded");
  add(http::get, "/v1/me/top/{type}", kUser, {Scope::kUserTopRead}, kOwn, kSpotify, "user-top-read",
      "Spotify's reference documents user-top-read for this endpoint");
  add(http::get, "/v1/me/export", kUser, {kRecent}, kOwn, kSegue, "", "the user's history as a file");

  // ---- playlists ----
  add(http::get, "/v1/me/playlists", kUser, {}, kOwn, kSpotify, "playlist-read-private", kUserPlaylists);
  add(http::post, "/v1/me/playlists", kUser, {}, kByBody, kSpotify, kPlaylistModifyRef,
      "playlist-modify-public for a public playlist, playlist-modify-private for a private one");
  add(http::get, "/v1/users/{user_id}/playlists", kUser, {}, kNone, kSpotify,
      "playlist-read-private playlist-read-collaborative",
      "another user's public playlists; their private ones only to collaborators, with the read scopes");
  add(http::post, "/v1/users/{user_id}/playlists", kUser, {}, kByBody, kSpotify, kPlaylistModifyRef,
      "only for the caller's own user id");
  add(http::get, "/v1/playlists/{id}", kUser, {}, kRead, kSpotify, "",
      "app tokens are refused: every playlist read is on behalf of a user");
  add(http::put, "/v1/playlists/{id}", kUser, {}, kModify, kSpotify, kPlaylistModifyRef,
      "the owner only; changing visibility also needs the scope of the new visibility");
  for (std::string_view suffix : {"tracks", "items"}) {
    // Patterns must outlive the table: both spellings are string literals.
    std::string_view p = suffix == "tracks" ? "/v1/playlists/{id}/tracks" : "/v1/playlists/{id}/items";
    add(http::get, p, kUser, {}, kRead, kSpotify, "playlist-read-private",
        "a private playlist's items need playlist-read-private (or -collaborative)");
    add(http::post, p, kUser, {}, kModify, kSpotify, kPlaylistModifyRef, "owner or collaborator");
    add(http::put, p, kUser, {}, kModify, kSpotify, kPlaylistModifyRef, "owner or collaborator");
    add(http::delete_, p, kUser, {}, kModify, kSpotify, kPlaylistModifyRef, "owner or collaborator");
  }
  add(http::put, "/v1/playlists/{id}/followers", kUser, {kModPublic}, kRead, kSpotify, kPlaylistModifyRef,
      "follows are public in Segue (they count in followers), so playlist-modify-public");
  add(http::delete_, "/v1/playlists/{id}/followers", kUser, {kModPublic}, kRead, kSpotify, kPlaylistModifyRef,
      "as PUT");
  add(http::get, "/v1/playlists/{id}/followers/contains", kUser, {}, kRead, kSpotify, "",
      "Spotify asks no scope; a private playlist still needs the read scope, as for its items");
  add(http::get, "/v1/playlists/{id}/images", kUser, {}, kRead, kSpotify, "", "as followers/contains");
  add(http::put, "/v1/playlists/{id}/images", kUser, {Scope::kUgcImageUpload}, kModify, kSpotify,
      "ugc-image-upload playlist-modify-public playlist-modify-private",
      "ugc-image-upload and the modify scope of the playlist's visibility");
  add(http::get, "/v1/playlists/{id}/versions", kUser, {}, kRead, kSegue, "", "history reads like items");
  add(http::get, "/v1/playlists/{id}/versions/{snapshot_id}", kUser, {}, kRead, kSegue, "",
      "history reads like items");
  add(http::post, "/v1/playlists/{id}/versions/{snapshot_id}/restore", kUser, {}, kModify, kSegue, "",
      "a restore edits the items");
  add(http::get, "/v1/playlists/{id}/ops", kUser, {}, kRead, kSegue, "", "operations read like items");
  add(http::get, "/v1/playlists/{id}/export", kUser, {}, kRead, kSegue, "", "an export reads like items");
  add(http::post, "/v1/me/playlists/import", kUser, {}, kByBody, kSegue, "",
      "creates a playlist: the modify scope of its visibility (?public=)");
  add(http::post, "/v1/playlists/{id}/invites", kUser, {}, kModify, kSegue, "",
      "the owner only; collaborative playlists are private, so playlist-modify-private");
  add(http::get, "/v1/playlists/{id}/invites", kUser, {}, kModify, kSegue, "",
      "the owner's open invites (tokens are never shown again); managing members is modifying");
  add(http::delete_, "/v1/playlists/{id}/invites/{invite_id}", kUser, {}, kModify, kSegue, "",
      "the owner revokes an invite");
  add(http::get, "/v1/me/playlist-invites", kUser, {Scope::kPlaylistReadCollaborative}, kOwn, kSegue, "",
      "invites addressed to the caller's login name: an invitation to a collaborative playlist");
  add(http::post, "/v1/playlist-invites/{token}", kUser, {kModPrivate}, kNone, kSegue, "",
      "joining makes the user an editor of a private playlist: playlist-modify-private; the link "
      "token (or, for an invite addressed to the caller's name, its id) is the credential");
  add(http::get, "/v1/playlists/{id}/collaborators", kUser, {}, kRead, kSegue, "", "members read like items");
  add(http::put, "/v1/playlists/{id}/collaborators/{user_id}", kUser, {}, kModify, kSegue, "", "the owner only");
  add(http::delete_, "/v1/playlists/{id}/collaborators/{user_id}", kUser, {}, kModify, kSegue, "",
      "the owner, or a collaborator leaving");

  // ---- smart playlists (issue 18) ----
  add(http::get, "/v1/me/smart-playlists", kUser, {Scope::kPlaylistReadPrivate}, kOwn, kSegue, "",
      "the caller's own smart playlists, private ones among them, so playlist-read-private");
  add(http::post, "/v1/me/smart-playlists", kUser, {}, kByBody, kSegue, "",
      "creates a playlist: the modify scope of its visibility (\"public\", default true), as POST /v1/me/playlists");
  add(http::post, "/v1/me/smart-playlists/import", kUser, {}, kByBody, kSegue, "",
      "creates a playlist from a .nsp file: the modify scope of its visibility (?public=, default false)");
  add(http::get, "/v1/playlists/{id}/rules", kUser, {}, kRead, kSegue, "", "rules read like items");
  add(http::put, "/v1/playlists/{id}/rules", kUser, {}, kModify, kSegue, "",
      "the owner only (rules decide the items; a collaborator is refused): the modify scope of its visibility");
  add(http::delete_, "/v1/playlists/{id}/rules", kUser, {}, kModify, kSegue, "",
      "the owner only, as PUT: the rules go, the playlist stays an ordinary one");

  // ---- real time ----
  add(http::get, "/v1/ws", kUser, {}, kOwn, kSegue, "",
      "WebSocket; each topic has its own rule (topic_rules) and is re-checked when access changes");
  return r;
}

std::string method_and_pattern(http m, std::string_view p) {
  return std::string(net::http::to_string(m)) + " " + std::string(p);
}

}  // namespace

const std::vector<RouteRule>& route_rules() {
  static const std::vector<RouteRule> rules = build_rules();
  return rules;
}

const std::vector<TopicRule>& topic_rules() {
  static const std::vector<TopicRule> rules = {
      {"me", {kLibRead}, kOwn, "the user's own library changes"},
      {"playlist", {}, kRead, "a playlist the user may read, with the same scopes as its items"},
  };
  return rules;
}

const RouteRule* find_route_rule(http method, std::string_view pattern) {
  if (method == http::head) method = http::get;
  for (const auto& r : route_rules())
    if (r.method == method && r.pattern == pattern) return &r;
  return nullptr;
}

std::vector<std::string> check_route_rules(const net::Router& router, bool require_all) {
  std::vector<std::string> problems;
  std::set<std::string> served;
  for (const auto& [method, pattern] : router.routes()) {
    served.insert(method_and_pattern(method, pattern));
    if (!find_route_rule(method, pattern)) problems.push_back(method_and_pattern(method, pattern));
  }
  for (const auto& path : router.websocket_paths()) {
    served.insert(method_and_pattern(http::get, path));
    if (!find_route_rule(http::get, path)) problems.push_back(method_and_pattern(http::get, path));
  }
  if (require_all)
    for (const auto& r : route_rules())
      if (!served.count(method_and_pattern(r.method, r.pattern)))
        problems.push_back(method_and_pattern(r.method, r.pattern) + " (rule without a route)");
  return problems;
}

std::vector<std::string> check_topic_rules(const std::vector<std::string>& kinds) {
  std::vector<std::string> missing;
  for (const auto& k : kinds) {
    bool found = false;
    for (const auto& t : topic_rules()) found = found || t.kind == k;
    if (!found) missing.push_back("topic " + k);
  }
  return missing;
}

Status check_object_rule(ApiContext& ctx, const auth::Principal& p, const RouteRule& rule,
                         const net::Request& req) {
  if (rule.object != ObjectRule::kPlaylistRead && rule.object != ObjectRule::kPlaylistModify) return Status{};
  if (!ctx.playlists || !p.user) return Error::not_found("Not found");
  auto info = ctx.playlists->get(PlaylistId(req.param("id")), *p.user);
  if (!info.ok()) return info.error();
  if (rule.object == ObjectRule::kPlaylistRead) {
    if (info->is_public || p.scopes.contains(Scope::kPlaylistReadPrivate) ||
        (info->collaborative && p.scopes.contains(Scope::kPlaylistReadCollaborative)))
      return Status{};
    return Error::permission_denied("Insufficient client scope: playlist-read-private");
  }
  Scope need = info->is_public ? kModPublic : kModPrivate;
  if (p.scopes.contains(need)) return Status{};
  return Error::permission_denied(std::string("Insufficient client scope: ") + std::string(auth::scope_name(need)));
}

std::string_view caller_name(Caller c) {
  switch (c) {
    case Caller::kAnyone: return "anyone";
    case Caller::kLogin: return "login";
    case Caller::kClient: return "client";
    case Caller::kCapability: return "capability";
    case Caller::kOperator: return "operator";
    case Caller::kAnyToken: return "any_token";
    case Caller::kUser: return "user";
  }
  return "?";
}

std::string_view object_rule_name(ObjectRule r) {
  switch (r) {
    case ObjectRule::kNone: return "none";
    case ObjectRule::kOwn: return "own";
    case ObjectRule::kPlaylistRead: return "playlist_read";
    case ObjectRule::kPlaylistModify: return "playlist_modify";
    case ObjectRule::kByBody: return "by_body";
  }
  return "?";
}

std::string_view origin_name(Origin o) {
  switch (o) {
    case Origin::kSpotify: return "spotify";
    case Origin::kSegue: return "segue";
    case Origin::kServer: return "server";
  }
  return "?";
}

std::string route_rules_json() {
  auto scopes = [](const std::vector<Scope>& s) {
    json::array a;
    for (Scope x : s) a.emplace_back(auth::scope_name(x));
    return a;
  };
  json::array routes;
  for (const auto& r : route_rules()) {
    json::object o;
    o["method"] = std::string(net::http::to_string(r.method));
    o["path"] = r.pattern;
    o["caller"] = caller_name(r.caller);
    o["scopes"] = scopes(r.scopes);
    o["object"] = object_rule_name(r.object);
    o["origin"] = origin_name(r.origin);
    o["spotify_scopes"] = r.spotify_scopes;
    o["note"] = r.note;
    routes.push_back(std::move(o));
  }
  json::array topics;
  for (const auto& t : topic_rules()) {
    json::object o;
    o["kind"] = t.kind;
    o["scopes"] = scopes(t.scopes);
    o["object"] = object_rule_name(t.object);
    o["note"] = t.note;
    topics.push_back(std::move(o));
  }
  return json::serialize(json::object{{"routes", std::move(routes)}, {"topics", std::move(topics)}});
}

}  // namespace segue::api::spotify
