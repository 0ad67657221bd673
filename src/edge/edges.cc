#include "edge/edges.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "common/log.h"
#include "common/strings.h"

namespace segue::edge {
namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 32) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

Result<EdgeSpec> parse_entry(std::string_view entry) {
  const std::string where = "edges: '" + std::string(entry) + "': ";
  const std::string form = " (expected NAME=URL[@REGION][*WEIGHT], e.g. eu1=http://127.0.0.1:8301@eu*2)";
  EdgeSpec e;
  auto eq = entry.find('=');
  if (eq == std::string_view::npos) return Error::invalid(where + "no '='" + form);
  e.name = std::string(strings::trim(entry.substr(0, eq)));
  if (!valid_name(e.name)) return Error::invalid(where + "the name must be 1 to 32 letters, digits, '-' or '_'" + form);
  std::string_view rest = strings::trim(entry.substr(eq + 1));
  // The weight after the last '*', the region after the last '@' (neither occurs in a URL we accept).
  if (auto star = rest.rfind('*'); star != std::string_view::npos) {
    std::string w(rest.substr(star + 1));
    char* end = nullptr;
    double v = w.empty() ? 0 : std::strtod(w.c_str(), &end);
    if (w.empty() || end != w.c_str() + w.size() || !std::isfinite(v) || v <= 0 || v > 1e6)
      return Error::invalid(where + "the weight must be a number above 0, got '" + w + "'" + form);
    e.weight = v;
    rest = rest.substr(0, star);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    e.region = std::string(rest.substr(at + 1));
    if (e.region.empty() || !valid_name(e.region))
      return Error::invalid(where + "the region must be 1 to 32 letters, digits, '-' or '_'" + form);
    rest = rest.substr(0, at);
  }
  std::string url(rest);
  while (!url.empty() && url.back() == '/') url.pop_back();
  const bool http = url.rfind("http://", 0) == 0, https = url.rfind("https://", 0) == 0;
  const std::size_t host_at = http ? 7 : 8;
  if ((!http && !https) || url.size() <= host_at || url[host_at] == '/')
    return Error::invalid(where + "the URL must be http:// or https:// with a host" + form);
  for (char c : url)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '?' || c == '#' || c == '"' || c == '\\')
      return Error::invalid(where + "the URL must not contain spaces, '?', '#', quotes or backslashes" + form);
  e.base_url = std::move(url);
  return e;
}

}  // namespace

Result<std::vector<EdgeSpec>> parse_edges(const std::vector<std::string>& entries) {
  std::vector<EdgeSpec> out;
  std::set<std::string> names;
  for (const auto& list : entries)
    for (const auto& part : strings::split(list, ',')) {
      if (strings::trim(part).empty()) continue;
      SEGUE_ASSIGN_OR_RETURN(auto e, parse_entry(strings::trim(part)));
      if (!names.insert(e.name).second) return Error::invalid("edges: the name '" + e.name + "' is used twice");
      out.push_back(std::move(e));
    }
  return out;
}

EdgeSet::EdgeSet(std::vector<EdgeSpec> specs, EdgeSetOptions options)
    : specs_(std::move(specs)), options_(options), states_(specs_.size()), healthy_gauges_(specs_.size(), nullptr) {
  ranking_.store(std::make_shared<const Ranking>());
}

std::optional<bool> EdgeSet::record(std::size_t index, std::optional<std::chrono::duration<double>> latency) {
  std::lock_guard lock(mu_);
  if (index >= states_.size()) return std::nullopt;
  EdgeState& s = states_[index];
  const bool first = !s.probed;
  const bool was = s.healthy;
  s.probed = true;
  if (latency) {
    const double sample = std::max(0.0, latency->count());
    s.latency_ewma_s = s.latency_ewma_s == 0 ? sample
                                             : options_.ewma_alpha * sample + (1 - options_.ewma_alpha) * s.latency_ewma_s;
    ++s.consecutive_ok;
    s.consecutive_failed = 0;
    if (!s.healthy && (first || s.consecutive_ok >= options_.successes_to_up)) s.healthy = true;
  } else {
    ++s.consecutive_failed;
    s.consecutive_ok = 0;
    if (s.healthy && s.consecutive_failed >= options_.failures_to_down) s.healthy = false;
  }
  // The ranking changes with every latency sample, not only with health.
  rebuild_locked();
  if (s.healthy == was) return std::nullopt;
  if (healthy_gauges_[index]) healthy_gauges_[index]->set(s.healthy ? 1 : 0);
  const auto& spec = specs_[index];
  if (s.healthy)
    log::info("edge healthy", {{"edge", spec.name}, {"url", spec.base_url},
                               {"latency_ms", std::to_string(std::lround(s.latency_ewma_s * 1000))}});
  else
    log::warn("edge unhealthy", {{"edge", spec.name}, {"url", spec.base_url},
                                 {"failed_probes", std::to_string(s.consecutive_failed)}});
  return s.healthy;
}

void EdgeSet::rebuild_locked() {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < specs_.size(); ++i)
    if (states_[i].healthy) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double ka = states_[a].latency_ewma_s / specs_[a].weight, kb = states_[b].latency_ewma_s / specs_[b].weight;
    if (ka != kb) return ka < kb;
    return specs_[a].name < specs_[b].name;
  });
  auto r = std::make_shared<Ranking>();
  for (auto i : order) r->push_back({specs_[i].name, specs_[i].base_url, specs_[i].region, states_[i].latency_ewma_s});
  ranking_.store(std::move(r), std::memory_order_release);
}

EdgeState EdgeSet::state(std::size_t index) const {
  std::lock_guard lock(mu_);
  return index < states_.size() ? states_[index] : EdgeState{};
}

void EdgeSet::register_metrics(MetricsRegistry& metrics) {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    Labels labels{{"edge", specs_[i].name}};
    auto& g = metrics.gauge("segue_edge_healthy", "Whether a configured caching edge is healthy (1) or not (0)", labels);
    {
      std::lock_guard lock(mu_);
      g.set(states_[i].healthy ? 1 : 0);
      healthy_gauges_[i] = &g;
    }
    metrics.gauge_fn("segue_edge_latency_seconds", "Latency of a caching edge's health probe (moving average)", labels,
                     [this, i] { return state(i).latency_ewma_s; });
  }
}

}  // namespace segue::edge
