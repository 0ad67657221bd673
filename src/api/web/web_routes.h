// Serves the web player: its files, the single-page app's index.html for every client-side
// route, and /web-config.json, which tells the app its OAuth client id. The app is an ordinary
// public OAuth client of the Spotify-shaped API: it gets nothing a third-party client cannot.
#pragma once

#include <string>

#include "api/web/static_site.h"
#include "net/router.h"

namespace segue::api::web {

// The first-party OAuth client the web player logs in with. Its redirect URI is the path
// kRedirectPath on whatever origin the server was reached by (see AuthService).
inline constexpr const char* kClientId = "segue-web";
inline constexpr const char* kClientName = "Segue web player";
inline constexpr const char* kRedirectPath = "/callback";
// The scopes the web player asks for.
inline constexpr const char* kScopes =
    "user-read-private user-read-email user-library-read user-library-modify "
    "user-read-recently-played user-modify-playback-state user-read-playback-state streaming "
    "playlist-read-private playlist-read-collaborative playlist-modify-private "
    "playlist-modify-public user-top-read";

// Registers GET /web-config.json, GET / and the router's fallback for unmatched GET paths.
// `site` must outlive the router.
void register_web_routes(net::Router& router, const StaticSite& site);

}  // namespace segue::api::web
