#include "api/spotify/routes.h"

#include "api/spotify/objects.h"

#include "common/strings.h"

namespace segue::api::spotify {

std::string ApiContext::base_url(const net::Request& req) const {
  if (!public_url.empty()) return public_url;
  std::string_view host = req.header(net::http::field::host);
  // Only plausible host names: a Host header must not inject text into links.
  bool sane = !host.empty() && host.size() < 256;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
      sane = false;
  return "http://" + (sane ? std::string(host) : std::string("127.0.0.1"));
}

std::vector<std::string> strings_split(const std::string& csv) {
  std::vector<std::string> out;
  for (auto& p : strings::split(csv, ','))
    if (auto t = strings::trim(p); !t.empty()) out.emplace_back(t);
  return out;
}

void register_routes(net::Router& router, ApiContext& ctx) {
  register_system_routes(router, ctx);
  register_oauth_routes(router, ctx);
  register_catalog_routes(router, ctx);
  register_me_routes(router, ctx);
  register_player_routes(router, ctx);
  register_media_routes(router, ctx);
  register_ws_routes(router, ctx);
  register_playlist_routes(router, ctx);
  register_search_routes(router, ctx);
  register_analysis_routes(router, ctx);
  register_events_routes(router, ctx);
  events::EventLog* log = &ctx.events;
  set_popularity_source([log](events::ItemKind kind, const std::string& id) { return log->popularity(kind, id); });
}

}  // namespace segue::api::spotify
