// Registers every route of the Spotify-shaped API, the OAuth server, media and system
// endpoints on a router. Handlers are thin: parse, call one service, map the answer.
#pragma once

#include <string>
#include <vector>

#include "api/spotify/context.h"
#include "net/router.h"

namespace segue::api::spotify {

void register_routes(net::Router& router, ApiContext& ctx);

void register_catalog_routes(net::Router& router, ApiContext& ctx);
void register_me_routes(net::Router& router, ApiContext& ctx);
void register_player_routes(net::Router& router, ApiContext& ctx);
void register_media_routes(net::Router& router, ApiContext& ctx);
void register_oauth_routes(net::Router& router, ApiContext& ctx);
void register_system_routes(net::Router& router, ApiContext& ctx);
// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (a request's remote_ip).
bool is_loopback_address(std::string_view ip);
void register_ws_routes(net::Router& router, ApiContext& ctx);
void register_playlist_routes(net::Router& router, ApiContext& ctx);
void register_search_routes(net::Router& router, ApiContext& ctx);
void register_analysis_routes(net::Router& router, ApiContext& ctx);
void register_events_routes(net::Router& router, ApiContext& ctx);
void register_recommend_routes(net::Router& router, ApiContext& ctx);
void register_smart_routes(net::Router& router, ApiContext& ctx);
void register_made_for_you_routes(net::Router& router, ApiContext& ctx);
// Registers the "playlist" topic of /v1/ws and publishes every playlist change to it.
void install_playlist_realtime(ApiContext& ctx);

std::vector<std::string> strings_split(const std::string& csv);

}  // namespace segue::api::spotify
