#include "app/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

#include "bus/redis_bus.h"
#include "common/strings.h"
#include "net/trusted_proxies.h"
#include "store/database.h"

namespace segue::app {
namespace {

const std::set<std::string> kListKeys = {"library", "cors_origins", "allowed_hosts", "roles", "edges", "trusted_proxies"};
const std::set<std::string> kKnownKeys = {
    "data", "listen", "library", "public_url", "io_threads", "workers", "analysis_workers", "cors_origins",
    "max_connections", "body_limit", "request_timeout", "idle_timeout", "rate_limit_client",
    "rate_limit_user", "rate_window", "rescan_interval", "access_log", "log_level", "web", "stream_token_ttl",
    "transcode_cache_mb", "transcode_jobs", "transcode_ahead", "transcode_dir", "max_connections_per_address", "allowed_hosts",
    "audio_rate_limit", "image_rate_limit",
    "metrics_token", "test_index_delay_ms", "database", "database_writers", "redis", "roles",
    "event_log", "event_log_durability", "edges", "edge_key_file", "edge_probe_interval", "trusted_proxies",
    "models_dir", "recommend_train_interval", "smart_refresh_interval", "made_for_you_interval", "test_clock_offset_s"};

Result<int64_t> to_int(const std::string& key, const std::string& v, int64_t lo, int64_t hi) {
  auto n = strings::parse_int(v);
  if (!n || *n < lo || *n > hi)
    return Error::invalid(key + ": expected an integer between " + std::to_string(lo) + " and " +
                          std::to_string(hi) + ", got '" + v + "'");
  return *n;
}

Result<bool> to_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "on" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "off" || v == "no") return false;
  return Error::invalid(key + ": expected true or false, got '" + v + "'");
}

}  // namespace

Result<Settings> read_toml_file(const std::string& path) {
  Settings out;
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Error::invalid(path + ":" + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description()));
  }
  for (const auto& [k, node] : tbl) {
    std::string key(k.str());
    if (auto arr = node.as_array()) {
      for (const auto& el : *arr) {
        if (auto s = el.value<std::string>()) out.emplace(key, *s);
        else return Error::invalid(path + ": " + key + ": array items must be strings");
      }
    } else if (auto s = node.value<std::string>()) {
      out.emplace(key, *s);
    } else if (auto i = node.value<int64_t>()) {
      out.emplace(key, std::to_string(*i));
    } else if (auto b = node.value<bool>()) {
      out.emplace(key, *b ? "true" : "false");
    } else {
      return Error::invalid(path + ": " + key + ": unsupported value type");
    }
  }
  return out;
}

Settings read_environment(char** envp) {
  Settings out;
  for (char** e = envp; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.substr(0, 6) != "SEGUE_") continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key = strings::ascii_lower(kv.substr(6, eq - 6));
    std::string value(kv.substr(eq + 1));
    if (kListKeys.count(key)) {
      char sep = key == "library" ? ':' : ',';
      for (auto& part : strings::split(value, sep))
        if (!part.empty()) out.emplace(key, std::string(strings::trim(part)));
    } else {
      out.emplace(key, value);
    }
  }
  return out;
}

Result<Config> build_config(const Settings& file, const Settings& env, const Settings& flags) {
  // Merge: for each key, the highest source that mentions it wins entirely.
  Settings merged;
  std::set<std::string> keys;
  for (const Settings* s : {&file, &env, &flags})
    for (const auto& [k, v] : *s) keys.insert(k);
  for (const auto& k : keys) {
    if (!kKnownKeys.count(k)) return Error::invalid("unknown setting '" + k + "'");
    const Settings* src = flags.count(k) ? &flags : env.count(k) ? &env : &file;
    auto [b, e] = src->equal_range(k);
    for (auto it = b; it != e; ++it) merged.emplace(k, it->second);
  }
  auto last = [&](const std::string& k) -> const std::string* {
    auto [b, e] = merged.equal_range(k);
    if (b == e) return nullptr;
    return &std::prev(e)->second;
  };

  Config c;
  if (auto v = last("data")) c.data_dir = *v;
  if (c.data_dir.empty()) return Error::invalid("data: must not be empty");
  if (auto v = last("database"); v && !v->empty()) {
    if (!store::is_postgres_url(*v))
      return Error::invalid("database: expected a postgresql:// URL (without it Segue uses SQLite in the data directory), got '" + *v + "'");
    c.database = *v;
  }
  if (auto v = last("redis"); v && !v->empty()) {
    SEGUE_TRY(bus::parse_redis_url(*v));
    c.redis = *v;
  }
  if (auto v = last("event_log")) {
    if (*v != "database" && *v != "redis")
      return Error::invalid("event_log: expected \"database\" or \"redis\", got '" + *v + "'");
    c.event_log = *v;
  }
  if (c.event_log == "redis" && c.redis.empty())
    return Error::invalid("event_log: \"redis\" needs the `redis` setting (redis://HOST[:PORT] or redis:///PATH/TO/SOCKET)");
  if (auto v = last("event_log_durability")) {
    if (*v != "fsync" && *v != "relaxed")
      return Error::invalid("event_log_durability: expected \"fsync\" or \"relaxed\", got '" + *v + "'");
    c.event_log_durability = *v;
  }
  {
    std::vector<std::string> entries;
    auto [b, e] = merged.equal_range("edges");
    for (auto it = b; it != e; ++it) entries.push_back(it->second);
    SEGUE_ASSIGN_OR_RETURN(c.edges, edge::parse_edges(entries));
  }
  if (auto v = last("edge_key_file")) c.edge_key_file = *v;
  if (auto v = last("edge_probe_interval")) {
    // "500ms", "2s", or a bare number of seconds; 100 ms to 60 s.
    std::string_view t = *v;
    int64_t scale = 1000;
    if (t.size() > 2 && t.substr(t.size() - 2) == "ms") {
      t.remove_suffix(2);
      scale = 1;
    } else if (t.size() > 1 && t.back() == 's') {
      t.remove_suffix(1);
    }
    auto n = strings::parse_int(t);
    if (!n || *n * scale < 100 || *n * scale > 60'000)
      return Error::invalid("edge_probe_interval: expected a duration from 100ms to 60s (\"500ms\", \"2s\"), got '" + *v + "'");
    c.edge_probe_interval = std::chrono::milliseconds(*n * scale);
  }
  if (auto v = last("database_writers")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("database_writers", *v, 1, 256));
    c.database_writers = static_cast<int>(n);
  }
  if (auto v = last("listen")) {
    auto colon = v->rfind(':');
    if (colon == std::string::npos) return Error::invalid("listen: expected HOST:PORT, got '" + *v + "'");
    c.listen_host = v->substr(0, colon);
    if (c.listen_host.size() >= 2 && c.listen_host.front() == '[' && c.listen_host.back() == ']')
      c.listen_host = c.listen_host.substr(1, c.listen_host.size() - 2);
    SEGUE_ASSIGN_OR_RETURN(auto port, to_int("listen", v->substr(colon + 1), 0, 65535));
    c.listen_port = static_cast<uint16_t>(port);
  }
  {
    auto [b, e] = merged.equal_range("library");
    for (auto it = b; it != e; ++it) c.libraries.push_back(it->second);
  }
  {
    auto [b, e] = merged.equal_range("cors_origins");
    for (auto it = b; it != e; ++it) c.cors_origins.push_back(it->second);
  }
  {
    auto [b, e] = merged.equal_range("allowed_hosts");
    for (auto it = b; it != e; ++it) {
      const std::string& h = it->second;
      bool ok = !h.empty() && h.size() < 256;
      for (char ch : h)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']'))
          ok = false;
      if (!ok) return Error::invalid("allowed_hosts: expected host names (\"name\" or \"name:port\"), got '" + h + "'");
      c.allowed_hosts.push_back(strings::ascii_lower(h));
    }
  }
  {
    // A TOML array, SEGUE_TRUSTED_PROXIES=a,b, or --trusted-proxies a,b (repeatable).
    auto [b, e] = merged.equal_range("trusted_proxies");
    for (auto it = b; it != e; ++it)
      for (auto part : strings::split(it->second, ','))
        if (auto t = strings::trim(part); !t.empty()) c.trusted_proxies.emplace_back(t);
    SEGUE_TRY(net::TrustedProxies::parse(c.trusted_proxies));
  }
  if (merged.count("roles")) {
    // A TOML array, SEGUE_ROLES=api,scanner, or --roles api,scanner (repeatable).
    c.roles.clear();
    auto [b, e] = merged.equal_range("roles");
    for (auto it = b; it != e; ++it)
      for (auto part : strings::split(it->second, ',')) {
        std::string role(strings::trim(part));
        if (role.empty()) continue;
        if (std::find(kAllRoles.begin(), kAllRoles.end(), role) == kAllRoles.end())
          return Error::invalid("roles: unknown role '" + role + "' (expected api, scanner, indexer, transcode, analysis or events)");
        c.roles.insert(role);
      }
    if (c.roles.empty()) return Error::invalid("roles: name at least one role");
  }
  if (auto v = last("metrics_token")) {
    if (!v->empty() && v->size() < 16) return Error::invalid("metrics_token: use at least 16 characters");
    c.metrics_token = *v;
  }
  if (auto v = last("max_connections_per_address")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("max_connections_per_address", *v, 0, 10'000'000));
    c.max_connections_per_address = static_cast<std::size_t>(n);
  }
  if (auto v = last("audio_rate_limit")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("audio_rate_limit", *v, 0, 100'000'000));
    c.audio_rate_limit = static_cast<uint32_t>(n);
  }
  if (auto v = last("image_rate_limit")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("image_rate_limit", *v, 0, 100'000'000));
    c.image_rate_limit = static_cast<uint32_t>(n);
  }
  if (auto v = last("public_url")) {
    if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
      return Error::invalid("public_url: must start with http:// or https://");
    c.public_url = *v;
    while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  }
  if (auto v = last("io_threads")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("io_threads", *v, 0, 256)); c.io_threads = static_cast<int>(n); }
  if (auto v = last("workers")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("workers", *v, 0, 1024)); c.workers = static_cast<int>(n); }
  if (auto v = last("analysis_workers")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("analysis_workers", *v, 0, 64));
    c.analysis_workers = static_cast<int>(n);
  }
  if (auto v = last("max_connections")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("max_connections", *v, 1, 10'000'000)); c.max_connections = static_cast<std::size_t>(n); }
  if (auto v = last("body_limit")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("body_limit", *v, 1024, 1LL << 30)); c.body_limit = static_cast<std::size_t>(n); }
  if (auto v = last("request_timeout")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("request_timeout", *v, 1, 3600)); c.request_timeout = std::chrono::seconds(n); }
  if (auto v = last("idle_timeout")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("idle_timeout", *v, 1, 3600)); c.idle_timeout = std::chrono::seconds(n); }
  if (auto v = last("rate_limit_client")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("rate_limit_client", *v, 0, 100'000'000)); c.rate_limit_client = static_cast<uint32_t>(n); }
  if (auto v = last("rate_limit_user")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("rate_limit_user", *v, 0, 100'000'000)); c.rate_limit_user = static_cast<uint32_t>(n); }
  if (auto v = last("rate_window")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("rate_window", *v, 1, 86400)); c.rate_window = std::chrono::seconds(n); }
  if (auto v = last("models_dir")) c.models_dir = *v;
  if (auto v = last("recommend_train_interval")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("recommend_train_interval", *v, 0, 86400 * 30));
    c.recommend_train_interval = std::chrono::seconds(n);
  }
  if (auto v = last("smart_refresh_interval")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("smart_refresh_interval", *v, 1, 86400));
    c.smart_refresh_interval = std::chrono::seconds(n);
  }
  if (auto v = last("made_for_you_interval")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("made_for_you_interval", *v, 0, 86400));
    c.made_for_you_interval = std::chrono::seconds(n);
  }
  if (auto v = last("test_clock_offset_s")) {
    SEGUE_ASSIGN_OR_RETURN(c.test_clock_offset_s, to_int("test_clock_offset_s", *v, -86400LL * 3650, 86400LL * 3650));
  }
  if (auto v = last("rescan_interval")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("rescan_interval", *v, 0, 86400 * 30)); c.rescan_interval = std::chrono::seconds(n); }
  if (auto v = last("access_log")) { SEGUE_ASSIGN_OR_RETURN(c.access_log, to_bool("access_log", *v)); }
  if (auto v = last("web")) { c.web_dir = *v; c.web_configured = true; }
  if (auto v = last("test_index_delay_ms")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("test_index_delay_ms", *v, 0, 60000)); c.test_index_delay = std::chrono::milliseconds(n); }
  if (auto v = last("stream_token_ttl")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("stream_token_ttl", *v, 10, 86400)); c.stream_token_ttl = std::chrono::seconds(n); }
  if (auto v = last("transcode_cache_mb")) {
    SEGUE_ASSIGN_OR_RETURN(auto n, to_int("transcode_cache_mb", *v, 0, 1LL << 24));
    c.transcode_cache_bytes = static_cast<uint64_t>(n) << 20;
  }
  if (auto v = last("transcode_jobs")) { SEGUE_ASSIGN_OR_RETURN(auto n, to_int("transcode_jobs", *v, 0, 64)); c.transcode_jobs = static_cast<int>(n); }
  if (auto v = last("transcode_dir")) {
    if (v->empty()) return Error::invalid("transcode_dir: expected a directory");
    c.transcode_dir = *v;
  }
  if (auto v = last("transcode_ahead")) {
    // "FORMAT:KBPS" with a format Segue encodes to; "" or "off" for none.
    if (!v->empty() && *v != "off") {
      auto colon = v->find(':');
      std::string fmt = colon == std::string::npos ? "" : v->substr(0, colon);
      auto kbps = colon == std::string::npos ? std::nullopt : strings::parse_int(v->substr(colon + 1));
      if ((fmt != "vorbis" && fmt != "opus" && fmt != "aac") || !kbps || *kbps < 32 || *kbps > 512)
        return Error::invalid("transcode_ahead: expected FORMAT:KBPS with vorbis, opus or aac and 32..512 kbps, got '" +
                              *v + "'");
      c.transcode_ahead = *v;
    }
  }
  if (auto v = last("log_level")) {
    if (*v != "debug" && *v != "info" && *v != "warn" && *v != "error")
      return Error::invalid("log_level: expected debug, info, warn or error");
    c.log_level = *v;
  }
  return c;
}

}  // namespace segue::app
