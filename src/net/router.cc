#include "net/router.h"

#include "common/strings.h"

namespace segue::net {
namespace {
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  if (!path.empty() && path[0] == '/') i = 1;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}
}  // namespace

std::optional<std::string> decode_path_segment(std::string_view s) {
  return strings::percent_decode(s, /*plus_is_space=*/false, /*reject_nul=*/true);
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  if (q.empty()) return out;
  for (const auto& part : strings::split(q, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto k = strings::form_decode(std::string_view(part).substr(0, eq));
    auto v = strings::form_decode(eq == std::string::npos ? std::string_view()
                                                          : std::string_view(part).substr(eq + 1));
    if (!k || !v) return std::nullopt;
    out.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

void Router::add(http::verb method, std::string pattern, Handler handler) {
  Route r{method, pattern, {}, std::move(handler)};
  for (auto seg : split_path(pattern)) r.segments.emplace_back(seg);
  routes_.push_back(std::move(r));
}

void Router::add_websocket(std::string path, WsHandler handler) {
  websockets_.emplace_back(std::move(path), std::move(handler));
}

std::vector<std::pair<http::verb, std::string>> Router::routes() const {
  std::vector<std::pair<http::verb, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

std::vector<std::string> Router::websocket_paths() const {
  std::vector<std::string> out;
  for (const auto& [p, h] : websockets_) out.push_back(p);
  return out;
}

const WsHandler* Router::websocket(std::string_view path) const {
  for (const auto& [p, h] : websockets_)
    if (p == path) return &h;
  return nullptr;
}

Router::Match Router::match(http::verb method, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>& params) const {
  Match m;
  auto segs = split_path(path);
  http::verb want = method == http::verb::head ? http::verb::get : method;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& s = r.segments[i];
      bool is_param = s.size() >= 2 && s.front() == '{' && s.back() == '}';
      if (!is_param && s != segs[i]) ok = false;
      if (is_param && segs[i].empty()) ok = false;
    }
    if (!ok) continue;
    if (r.method != want) {
      if (m.kind != MatchKind::kFound) {
        m.kind = MatchKind::kWrongMethod;
        m.route = r.pattern;
        if (!m.allow.empty()) m.allow += ", ";
        m.allow += std::string(http::to_string(r.method));
      }
      continue;
    }
    params.clear();
    for (std::size_t i = 0; i < segs.size(); ++i) {
      const auto& s = r.segments[i];
      if (s.size() >= 2 && s.front() == '{') {
        auto decoded = decode_path_segment(segs[i]);
        if (!decoded) {
          m.kind = MatchKind::kBadEncoding;
          m.route = r.pattern;
          return m;
        }
        params.emplace_back(s.substr(1, s.size() - 2), std::move(*decoded));
      }
    }
    m.kind = MatchKind::kFound;
    m.handler = &r.handler;
    m.route = r.pattern;
    return m;
  }
  return m;
}

}  // namespace segue::net
