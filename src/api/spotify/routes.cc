#include "api/spotify/routes.h"

#include <cctype>

#include "api/spotify/objects.h"
#include "common/strings.h"

namespace segue::api::spotify {

namespace {

// A Host header split into its name (brackets kept for IPv6) and port ("" if none); nullopt for
// anything that is not a plausible host name: a Host header must not inject text into links.
std::optional<std::pair<std::string, std::string>> split_host(std::string_view host) {
  if (host.empty() || host.size() >= 256) return std::nullopt;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
      return std::nullopt;
  std::string_view name = host, port;
  if (host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    name = host.substr(0, close + 1);
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (auto colon = host.find(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
  }
  if (name.empty()) return std::nullopt;
  const bool bracketed = name.size() > 2 && name.front() == '[' && name.back() == ']';
  if (bracketed ? name.substr(1, name.size() - 2).find_first_of("[]") != std::string_view::npos
                : name.find_first_of("[]") != std::string_view::npos)
    return std::nullopt;
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::make_pair(strings::ascii_lower(name), std::string(port));
}

bool is_loopback_name(const std::string& name) {
  if (name == "localhost" || name == "[::1]") return true;
  // 127.0.0.0/8 as a dotted quad.
  if (name.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : name) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return dots == 3;
}

}  // namespace

std::optional<std::string> ApiContext::trusted_origin(const net::Request& req) const {
  if (!public_url.empty()) return public_url;
  std::string_view host = req.header(net::http::field::host);
  auto split = split_host(host);
  if (!split) return std::nullopt;
  const auto& [name, port] = *split;
  const std::string origin = "http://" + std::string(host);
  for (const auto& allowed : allowed_hosts) {
    auto a = split_host(allowed);
    if (a && a->first == name && (a->second.empty() || a->second == port)) return origin;
  }
  // The rest only on the port the connection arrived on (or none: the scheme's default).
  auto local = split_host(req.local_addr);
  if (!local) return std::nullopt;
  if (!port.empty() && port != local->second) return std::nullopt;
  if (is_loopback_name(name) || name == local->first) return origin;
  std::string listen = strings::ascii_lower(listen_host);
  if (listen.find(':') != std::string::npos && listen.front() != '[') listen = "[" + listen + "]";
  if (!listen.empty() && name == listen && listen != "0.0.0.0" && listen != "[::]") return origin;
  return std::nullopt;
}

std::string ApiContext::base_url(const net::Request& req) const {
  if (auto origin = trusted_origin(req)) return *origin;
  if (!req.local_addr.empty()) return "http://" + req.local_addr;
  return "http://127.0.0.1";
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
  register_recommend_routes(router, ctx);
  register_smart_routes(router, ctx);
  register_made_for_you_routes(router, ctx);
}

}  // namespace segue::api::spotify
