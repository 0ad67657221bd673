// The segue command: serve, scan, user, client, demo-library. Every command exits non-zero
// with a one-line reason on bad input.
#include <termios.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "api/spotify/access.h"
#include "api/spotify/abuse.h"
#include "api/spotify/realtime.h"
#include "api/spotify/routes.h"
#include "api/web/web_routes.h"
#include "app/config.h"
#include "app/import_listens.h"
#include "app/migrate.h"
#include "app/services.h"
#include "events/top_items.h"
#include "app/worker.h"
#include "auth/login_throttle_shared.h"
#include "analysis/analysis_service.h"
#include "common/subprocess.h"
#include "search/indexer.h"
#include "search/searcher.h"
#include "catalog/demo_library.h"
#include "common/log.h"
#include "common/strings.h"
#include "net/http_server.h"
#include "net/pubsub.h"
#include "net/rate_limiter_shared.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

extern char** environ;

namespace segue::app {
namespace {

constexpr const char* kUsage = R"(usage: segue COMMAND [options]

  serve   --data DIR --listen HOST:PORT [--library DIR]... [--config FILE]
          [--public-url URL] [--cors-origin ORIGIN]... [--io-threads N] [--workers N]
          [--allowed-host HOST]... [--max-connections-per-address N] [--metrics-token TOKEN]
          [--trusted-proxies CIDR,...]
          [--roles api,scanner,indexer,transcode,analysis,events,recommend]
          [--models-dir DIR] [--recommend-train-interval SECONDS]
          [--database postgresql://...] [--redis redis://HOST:PORT | redis:///PATH/TO/SOCKET]
          [--event-log database|redis] [--event-log-durability fsync|relaxed]
          [--edges NAME=URL[@REGION][*WEIGHT],...] [--edge-key-file FILE] [--edge-probe-interval 1s]
  scan    --data DIR [--library DIR]... [--full]
  user    add NAME [--admin] [--tier free|premium]   (password on stdin)
          list | passwd NAME | set NAME [--tier free|premium] [--admin true|false]
          revoke NAME   (signs NAME out everywhere: sessions, stream tokens, WebSockets)
  client  add NAME --redirect-uri URI [--redirect-uri URI]... [--public]
  analyze --data DIR [--library DIR]... [--jobs N]
  events  --data DIR [--replay CONSUMER]
  migrate --data DIR --to postgresql://...   (copies DIR's SQLite state into an empty database)
  import  listens --data DIR [--user NAME] [--create-users] FILE...
          (ListenBrainz JSON lines or Last.fm scrobble CSV; matched to the catalog's tracks)
  recommend train | status | rollback  --data DIR [--models-dir DIR]
  recommend evaluate [--epsilon PERCENT] [--positions N] | experiments  --data DIR
          (the home bandit's newest policy off-line by IPS/SNIPS; the home_order experiment's arms)
          (trains the recommendation models from plays, skips, saves, playlist adds and imported
          listens; a running server loads the new model within 5 s)
  recommend mixes --data DIR [--user NAME]
          (makes Discover Weekly, Release Radar and the Daily Mixes now, as the users' playlists)
  smart   list | show ID | delete ID  --data DIR --user NAME
  smart   create --data DIR --user NAME --name NAME [--description TEXT] [--public] [--rules FILE|-]
          (the rules as JSON, as PUT /v1/playlists/{id}/rules takes them, from FILE or stdin)
  smart   import --data DIR --user NAME [--name NAME] [--public] FILE.nsp...
          (smart playlists: docs/formats/smart-playlists.md; delete keeps the playlist, without rules)
  routes  (prints every route's access rule as JSON)
  demo-library DIR

Settings also come from a TOML file (--config FILE) and SEGUE_* environment variables
(SEGUE_DATA, SEGUE_LISTEN, SEGUE_LIBRARY=dir1:dir2, ...); flags win over the environment,
which wins over the file.
)";

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "segue: %s\n", message.c_str());
  std::exit(2);
}

// Parsed command line: positional arguments, settings flags and command flags.
struct Args {
  std::vector<std::string> positional;
  Settings settings;  // config keys
  std::multimap<std::string, std::string> flags;  // other flags (without the dashes)
  std::optional<std::string> config_file;
};

const std::map<std::string, std::string> kSettingFlags = {
    {"data", "data"}, {"listen", "listen"}, {"library", "library"}, {"public-url", "public_url"},
    {"cors-origin", "cors_origins"}, {"io-threads", "io_threads"}, {"workers", "workers"},
    {"access-log", "access_log"}, {"log-level", "log_level"}, {"rescan-interval", "rescan_interval"},
    {"rate-limit-client", "rate_limit_client"}, {"rate-limit-user", "rate_limit_user"},
    {"max-connections", "max_connections"}, {"web", "web"}, {"stream-token-ttl", "stream_token_ttl"},
    {"max-connections-per-address", "max_connections_per_address"},
    {"audio-rate-limit", "audio_rate_limit"}, {"image-rate-limit", "image_rate_limit"}, {"allowed-host", "allowed_hosts"},
    {"models-dir", "models_dir"}, {"recommend-train-interval", "recommend_train_interval"},
    {"smart-refresh-interval", "smart_refresh_interval"},
    {"made-for-you-interval", "made_for_you_interval"},
    {"metrics-token", "metrics_token"}, {"database", "database"}, {"database-writers", "database_writers"},
    {"redis", "redis"}, {"roles", "roles"}, {"event-log", "event_log"}, {"event-log-durability", "event_log_durability"},
    {"edges", "edges"}, {"edge-key-file", "edge_key_file"}, {"transcode-dir", "transcode_dir"}, {"edge-probe-interval", "edge_probe_interval"},
    {"trusted-proxies", "trusted_proxies"}};
const std::set<std::string> kBoolFlags = {"full", "public", "admin-flag"};

Args parse_args(int argc, char** argv, int start, const std::set<std::string>& command_flags,
                const std::set<std::string>& bool_flags) {
  Args a;
  for (int i = start; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      a.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    bool is_bool = bool_flags.count(name) > 0;
    if (!is_bool && !has_value) {
      if (i + 1 >= argc) fail("--" + name + " needs a value");
      value = argv[++i];
    }
    if (name == "config") {
      a.config_file = value;
    } else if (auto it = kSettingFlags.find(name); it != kSettingFlags.end()) {
      a.settings.emplace(it->second, value);
    } else if (command_flags.count(name)) {
      a.flags.emplace(name, is_bool && !has_value ? "true" : value);
    } else {
      fail("unknown option --" + name);
    }
  }
  return a;
}

Config load_config(const Args& a) {
  Settings file;
  if (a.config_file) {
    auto f = read_toml_file(*a.config_file);
    if (!f.ok()) fail(f.error().message);
    file = std::move(*f);
  }
  auto c = build_config(file, read_environment(environ), a.settings);
  if (!c.ok()) fail(c.error().message);
  return std::move(*c);
}

Services open_or_fail(const Config& c, Scope scope = Scope::kCore) {
  auto s = open_services(c, scope);
  if (!s.ok()) fail(s.error().message);
  return std::move(*s);
}

std::string read_password(bool confirm) {
  if (!isatty(STDIN_FILENO)) {
    std::string line;
    if (!std::getline(std::cin, line)) fail("expected the password on stdin");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  auto ask = [](const char* prompt) {
    std::fprintf(stderr, "%s", prompt);
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
    return line;
  };
  std::string pw = ask("Password: ");
  if (confirm && ask("Repeat password: ") != pw) fail("the passwords differ");
  return pw;
}

std::string flag(const Args& a, const std::string& name, const std::string& def = "") {
  auto it = a.flags.find(name);
  return it == a.flags.end() ? def : it->second;
}

void print_report(const catalog::ScanReport& r) {
  std::printf("scan: %zu files in %.1f s: added %zu, updated %zu, moved %zu, removed %zu, unchanged %zu, failed %zu\n",
              r.files_seen, static_cast<double>(r.elapsed.count()) / 1000.0, r.added, r.updated, r.moved,
              r.removed, r.unchanged, r.failed.size());
  for (const auto& f : r.failed) std::printf("  failed: %s: %s\n", f.path.c_str(), f.reason.c_str());
}

catalog::ProgressFn terminal_progress(const char* unit = "files") {
  if (!isatty(STDERR_FILENO)) return nullptr;
  auto start = std::chrono::steady_clock::now();
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [start, last, unit](std::size_t done, std::size_t total) {
    auto now = std::chrono::steady_clock::now();
    if (done != total && now - *last < std::chrono::milliseconds(100)) return;
    *last = now;
    double secs = std::chrono::duration<double>(now - start).count();
    double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    int width = 30;
    int filled = total ? static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width) : width;
    std::string bar(static_cast<std::size_t>(filled), '=');
    bar.resize(static_cast<std::size_t>(width), ' ');
    std::fprintf(stderr, "\r[%s] %zu/%zu %s  %.0f %s/s  ETA %.0fs ", bar.c_str(), done, total, unit, rate, unit, eta);
    if (done == total) std::fprintf(stderr, "\n");
  };
}

// Listening history from ListenBrainz and Last.fm exports (app/import_listens.h).
int cmd_import(int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) != "listens") fail("import needs a subcommand: listens");
  Args a = parse_args(argc, argv, 3, {"user", "create-users"}, {"create-users"});
  if (a.positional.empty()) fail("import listens needs at least one FILE");
  Config c = load_config(a);
  Services s = open_or_fail(c);
  ImportListensOptions o;
  if (a.flags.count("user")) o.user = flag(a, "user");
  o.create_users = flag(a, "create-users") == "true";
  auto r = import_listens(*s.db, *s.auth, *s.catalog->snapshot(), a.positional, o, terminal_progress("bytes"));
  if (!r.ok()) fail(r.error().message);
  std::printf("import: %zu listens read in %.1f s (%.0f/s): %zu new, %zu matched to a track, %zu kept unmatched; "
              "%zu refused, %zu skipped; %zu earlier listens matched now\n",
              r->read, r->seconds, r->seconds > 0 ? static_cast<double>(r->read) / r->seconds : 0.0, r->added,
              r->matched, r->read - r->skipped - r->matched, r->bad, r->skipped, r->resolved);
  for (const auto& e : r->errors) std::printf("  refused: %s\n", e.c_str());
  for (const auto& u : r->users_created) std::printf("  created user %s (no login until `segue user passwd %s`)\n", u.c_str(), u.c_str());
  for (const auto& u : r->users_missing)
    std::printf("  skipped user %s: not in Segue (give --create-users to create it)\n", u.c_str());
  return r->bad > 0 && r->read == 0 ? 1 : 0;
}

// The recommendation models (recommend/service.h): train one now, show the current one, or
// go back to the previous one.
int cmd_recommend(int argc, char** argv) {
  const std::string sub = argc >= 3 ? argv[2] : "";
  if (sub != "train" && sub != "status" && sub != "rollback" && sub != "evaluate" && sub != "experiments" && sub != "mixes")
    fail("recommend needs a subcommand: train, status, rollback, evaluate, experiments or mixes");
  Args a = parse_args(argc, argv, 3,
                      sub == "mixes" ? std::set<std::string>{"user"} : std::set<std::string>{"epsilon", "positions"}, {});
  if (!a.positional.empty()) fail("recommend " + sub + " takes no positional arguments");
  Config c = load_config(a);
  Services s = open_or_fail(c);
  recommend::RecommendService& rec = *s.recommend;
  if (sub == "mixes") {
    // Made for you, now: every user's mixes (or one user's), whatever their periods.
    if (auto st = s.events->catch_up(); !st.ok()) fail(st.error().message);
    std::vector<auth::User> users;
    if (a.flags.count("user")) {
      auto u = s.auth->get_user_by_name(flag(a, "user"));
      if (!u.ok()) fail("no user " + flag(a, "user"));
      users.push_back(*u);
    } else {
      auto all = s.auth->list_users();
      if (!all.ok()) fail(all.error().message);
      users = *all;
    }
    for (const auto& u : users) {
      auto r = s.made_for_you->generate(u.id, /*force=*/true);
      if (!r.ok()) fail(u.name + ": " + r.error().message);
      auto mixes = s.made_for_you->playlists_of(u.id);
      if (!mixes.ok()) fail(mixes.error().message);
      std::printf("%s: %d created, %d replaced, %d unchanged;", u.name.c_str(), r->created, r->replaced, r->unchanged);
      for (const auto& m : *mixes)
        std::printf(" %s%s %s (%s)", std::string(recommend::mix_kind_name(m.kind)).c_str(),
                    m.kind == recommend::MixKind::kDailyMix ? (" " + std::to_string(m.index + 1)).c_str() : "",
                    m.playlist.str().c_str(), m.period.c_str());
      std::printf("\n");
    }
    return 0;
  }
  auto print_model = [](const recommend::Model& m) {
    std::printf("model %s: trained %.1f s ago in %.2f s; %zu users, %d tracks, %d artists, %lld signals, %d factors\n",
                m.info.version.c_str(), static_cast<double>(events::wall_clock_ms() - m.info.trained_at_ms) / 1000.0,
                m.info.training_seconds, m.users.size(), m.tracks.size(), m.artists.size(),
                static_cast<long long>(m.info.signals), m.info.factors);
  };
  if (sub == "status") {
    auto m = rec.model();
    if (!m) {
      std::printf("no model yet in %s (segue recommend train)\n", rec.store().dir().c_str());
      return 1;
    }
    print_model(*m);
    auto prev = rec.store().previous_version();
    std::printf("previous: %s\n", prev.ok() ? prev->c_str() : "none");
    return 0;
  }
  if (sub == "evaluate") {
    // The newest home policy, off-line, from what the bandit arm logged (IPS and SNIPS).
    auto eps = strings::parse_int(flag(a, "epsilon", "5"));
    auto positions = strings::parse_int(flag(a, "positions", "1"));
    if (!eps || *eps < 0 || *eps > 100) fail("--epsilon must be a percentage 0..100");
    if (!positions || *positions < 1 || *positions > 20) fail("--positions must be 1..20");
    auto r = s.home->evaluate(static_cast<double>(*eps) / 100.0, static_cast<std::size_t>(*positions));
    if (!r.ok()) fail(r.error().message);
    auto line = [](const char* name, const recommend::Estimate& e) {
      std::printf("%-7s %.4f  95%% CI [%.4f, %.4f]  (se %.4f)\n", name, e.value, e.low, e.high, e.std_error);
    };
    std::printf("home policy %s with epsilon %.2f, top %lld shelves, %zu logged pages\n", s.home->policy_version().c_str(),
                static_cast<double>(*eps) / 100.0, static_cast<long long>(*positions), r->slates);
    line("logged", r->logged);
    line("IPS", r->ips);
    line("SNIPS", r->snips);
    std::printf("effective sample size %.1f, mean weight %.3f, max weight %.3f\n", r->effective_sample_size,
                r->mean_weight, r->max_weight);
    return 0;
  }
  if (sub == "experiments") {
    auto r = s.home->experiment_summary();
    if (!r.ok()) fail(r.error().message);
    std::printf("experiment %s\n", s.home->experiment().name().c_str());
    for (const auto& arm : *r)
      std::printf("  %-10s %8llu pages  %8llu with a reward  rate %.4f  95%% CI [%.4f, %.4f]\n", arm.arm.c_str(),
                  static_cast<unsigned long long>(arm.impressions), static_cast<unsigned long long>(arm.clicks), arm.ctr.rate,
                  arm.ctr.low, arm.ctr.high);
    return 0;
  }
  if (sub == "rollback") {
    auto v = rec.rollback();
    if (!v.ok()) fail(v.error().message);
    std::printf("current model is now %s\n", v->c_str());
    return 0;
  }
  // Train: first bring the taste sums up to date with the log.
  if (auto st = s.events->catch_up(recommend::TasteConsumer::kName); !st.ok()) fail(st.error().message);
  const bool tty = isatty(STDERR_FILENO);
  std::string last_stage;
  auto r = rec.train([&](const std::string& stage, int done, int total) {
    if (tty) {
      const int width = 30;
      const int filled = total ? done * width / total : width;
      std::string bar(static_cast<std::size_t>(filled), '=');
      bar.resize(static_cast<std::size_t>(width), ' ');
      std::fprintf(stderr, "\r%-8s [%s] %d/%d ", stage.c_str(), bar.c_str(), done, total);
      if (done == total) std::fprintf(stderr, "\n");
    } else if (stage != last_stage) {
      std::fprintf(stderr, "%s...\n", stage.c_str());
    }
    last_stage = stage;
    return true;
  });
  if (!r.ok()) fail(r.error().message);
  print_model(*rec.model());
  return 0;
}

// Smart playlists (recommend/smart_playlists.h, docs/formats/smart-playlists.md) for one user:
// the same service calls as the API's /v1/me/smart-playlists and /v1/playlists/{id}/rules.
std::string read_all(std::istream& in) {
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return out;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  return read_all(in);
}

void print_smart(const recommend::SmartPlaylists::View& v, bool with_rules) {
  std::string refreshed = "never";
  if (v.refreshed_at_ms > 0) {
    const std::time_t t = static_cast<std::time_t>(v.refreshed_at_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    refreshed = buf;
  }
  std::printf("%-22s %6lld tracks  %-7s refreshed %s  %s\n", v.playlist.id.str().c_str(),
              static_cast<long long>(v.playlist.track_count), v.playlist.is_public ? "public" : "private",
              refreshed.c_str(), v.playlist.name.c_str());
  if (with_rules) {
    if (!v.playlist.description.empty()) std::printf("description: %s\n", v.playlist.description.c_str());
    std::printf("rules: %s\n", v.rules ? boost::json::serialize(*v.rules).c_str() : "none (an ordinary playlist)");
  }
}

int cmd_smart(int argc, char** argv) {
  const std::string sub = argc >= 3 ? argv[2] : "";
  if (sub != "list" && sub != "show" && sub != "create" && sub != "import" && sub != "delete")
    fail("smart needs a subcommand: list, show, create, import or delete");
  std::set<std::string> flags = {"user"};
  if (sub == "create") flags.insert({"name", "description", "public", "rules"});
  if (sub == "import") flags.insert({"name", "public"});
  Args a = parse_args(argc, argv, 3, flags, {"public"});
  if (!a.flags.count("user")) fail("smart " + sub + " needs --user NAME");
  const bool is_public = flag(a, "public") == "true";
  // Check the arguments before opening anything.
  if ((sub == "list" || sub == "create") && !a.positional.empty()) fail("smart " + sub + " takes no positional arguments");
  if ((sub == "show" || sub == "delete") && a.positional.size() != 1) fail("smart " + sub + " needs exactly one playlist ID");
  if ((sub == "show" || sub == "delete") && !is_base62_id(a.positional[0]))
    fail("'" + a.positional[0] + "' is not a playlist id");
  if (sub == "import" && a.positional.empty()) fail("smart import needs at least one .nsp FILE");
  if (sub == "import" && a.flags.count("name") && a.positional.size() > 1) fail("--name names one imported file only");
  if (sub == "create" && flag(a, "name").empty()) fail("smart create needs --name NAME");
  boost::json::value rules;
  if (sub == "create") {
    const std::string from = flag(a, "rules", "-");
    const std::string text = from == "-" ? read_all(std::cin) : read_text_file(from);
    boost::system::error_code ec;
    rules = boost::json::parse(text, ec);
    if (ec) fail("rules" + (from == "-" ? std::string(" on stdin") : " in " + from) + ": not valid JSON: " + ec.message());
  }
  std::vector<std::pair<std::string, std::string>> files;  // path, text
  for (const auto& path : sub == "import" ? a.positional : std::vector<std::string>{})
    files.emplace_back(path, read_text_file(path));

  Config c = load_config(a);
  Services s = open_or_fail(c);
  auto user = s.auth->get_user_by_name(flag(a, "user"));
  if (!user.ok()) fail("no user " + flag(a, "user"));
  recommend::SmartPlaylists& smart = *s.smart_playlists;
  if (sub == "list") {
    auto views = smart.list(user->id);
    if (!views.ok()) fail(views.error().message);
    for (const auto& v : *views) print_smart(v, false);
    if (views->empty()) std::printf("%s has no smart playlists\n", user->name.c_str());
    return 0;
  }
  if (sub == "show") {
    auto v = smart.rules(PlaylistId(a.positional[0]), user->id);
    if (!v.ok()) fail(a.positional[0] + ": " + v.error().message);
    print_smart(*v, true);
    return 0;
  }
  if (sub == "delete") {
    if (auto st = smart.remove_rules(PlaylistId(a.positional[0]), user->id); !st.ok())
      fail(a.positional[0] + ": " + st.error().message);
    std::printf("deleted the rules of %s; the playlist stays with the tracks it holds\n", a.positional[0].c_str());
    return 0;
  }
  // Creating fills the playlist now: the audio features and the owner's plays must be current.
  open_analysis(s, 0, 10);
  if (auto st = s.analysis->start(); !st.ok()) fail(st.error().message);
  connect_analysis(s);
  if (auto st = s.events->catch_up(events::TopItemsConsumer::kName); !st.ok()) fail(st.error().message);
  if (sub == "create") {
    auto v = smart.create(user->id, flag(a, "name"), flag(a, "description"), is_public, rules);
    if (!v.ok()) fail(v.error().message);
    print_smart(*v, false);
    return 0;
  }
  int failed = 0;
  for (const auto& [path, text] : files) {
    std::optional<std::string> name;
    if (a.flags.count("name")) name = flag(a, "name");
    // A file without a "name" is named after itself, as Navidrome names it.
    boost::system::error_code ec;
    auto doc = boost::json::parse(text, ec);
    if (!name && !ec && doc.is_object() && !doc.as_object().contains("name"))
      name = std::filesystem::path(path).stem().string();
    auto v = smart.import_nsp(user->id, text, name, is_public);
    if (!v.ok()) {
      std::fprintf(stderr, "segue: %s: %s\n", path.c_str(), v.error().message.c_str());
      ++failed;
      continue;
    }
    print_smart(*v, false);
  }
  return failed > 0 ? 2 : 0;
}

int cmd_scan(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"full"}, {"full"});
  if (!a.positional.empty()) fail("scan takes no positional arguments");
  Config c = load_config(a);
  if (c.libraries.empty()) fail("no library to scan: give --library DIR");
  Services s = open_or_fail(c);
  auto r = s.scanner->scan(c.libraries, flag(a, "full") == "true", terminal_progress());
  if (!r.ok()) fail(r.error().message);
  print_report(*r);
  if (r->added || r->updated || r->moved) {
    auto n = resolve_unmatched_listens(*s.db, matcher_for(*s.catalog->snapshot()));
    if (!n.ok()) fail("matching imported listens: " + n.error().message);
    if (*n) std::printf("listens: %zu imported listens matched to the new tracks\n", *n);
  }
  return 0;
}

// Analyzes every file of the catalog that has no current analysis, `--jobs` at a time, with a
// progress bar. Resumable: results are stored per file as they come, so an interrupted run
// continues where it stopped. With --library, scans first.
int cmd_analyze(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"jobs"}, {});
  if (!a.positional.empty()) fail("analyze takes no positional arguments");
  Config c = load_config(a);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto jobs = strings::parse_int(flag(a, "jobs", std::to_string(cores)));
  if (!jobs || *jobs < 1 || *jobs > 64) fail("--jobs must be 1..64");
  Services s = open_or_fail(c);
  if (!c.libraries.empty()) {
    auto r = s.scanner->scan(c.libraries, false, terminal_progress());
    if (!r.ok()) fail(r.error().message);
  }
  open_analysis(s, static_cast<int>(*jobs), 0);
  analysis::AnalysisService& svc = *s.analysis;
  if (auto st = svc.start(); !st.ok()) fail(st.error().message);
  const bool tty = isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  auto show = [&](const analysis::AnalysisProgress& p) {
    const std::size_t current = p.analyzed + p.failed;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double realtime = secs > 0 ? p.audio_seconds_since_start / secs : 0;
    const int width = 30;
    const int filled = p.files ? static_cast<int>(static_cast<double>(current) / static_cast<double>(p.files) * width) : width;
    std::string bar(static_cast<std::size_t>(std::min(filled, width)), '=');
    bar.resize(static_cast<std::size_t>(width), ' ');
    std::fprintf(stderr, "%s[%s] %zu/%zu files  %zu failed  %.0fx realtime ", tty ? "\r" : "", bar.c_str(), current,
                 p.files, p.failed, realtime);
    if (!tty) std::fprintf(stderr, "\n");
  };
  svc.wait_idle(show, std::chrono::milliseconds(tty ? 200 : 5000));
  analysis::AnalysisProgress p = svc.progress();
  show(p);
  std::fprintf(stderr, "\n");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("analyzed %zu of %zu files (%zu failed); this run: %llu files, %.0f s of audio in %.1f s "
              "(%.0fx realtime with %lld jobs, %.0fx per job)\n",
              p.analyzed, p.files, p.failed, static_cast<unsigned long long>(p.done_since_start),
              p.audio_seconds_since_start, secs, secs > 0 ? p.audio_seconds_since_start / secs : 0.0,
              static_cast<long long>(*jobs),
              p.busy_seconds_since_start > 0 ? p.audio_seconds_since_start / p.busy_seconds_since_start : 0.0);
  for (const auto& [file, why] : svc.failures()) {
    const auto* f = s.catalog->snapshot()->file(file);
    std::printf("  failed: %s: %s\n", f ? f->path.c_str() : file.str().c_str(), why.c_str());
  }
  return 0;
}

// Shows the event log's head and each consumer's committed offset, lag and last error; with
// --replay NAME, drops that consumer's state and rebuilds it from the log before showing.
int cmd_events(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"replay"}, {});
  if (!a.positional.empty()) fail("events takes no positional arguments");
  Config c = load_config(a);
  Services s = open_or_fail(c);
  if (auto name = flag(a, "replay"); !name.empty()) {
    if (auto st = s.events->drop_and_replay(name); !st.ok()) fail(st.error().message);
    if (auto st = s.events->catch_up(name); !st.ok()) fail(st.error().message);
    std::printf("replayed %s from the log\n", name.c_str());
  }
  std::printf("log head: %lld\n", static_cast<long long>(s.events->head()));
  std::printf("%-12s %12s %10s  %s\n", "consumer", "committed", "lag", "last error");
  for (const auto& cs : s.events->consumers())
    std::printf("%-12s %12lld %10lld  %s\n", cs.name.c_str(), static_cast<long long>(cs.committed),
                static_cast<long long>(cs.lag), cs.last_error ? cs.last_error->message.c_str() : "-");
  return 0;
}

// Copies the SQLite state under --data into an empty PostgreSQL database (src/app/migrate.h).
int cmd_migrate(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"to"}, {});
  if (!a.positional.empty()) fail("migrate takes no positional arguments");
  const std::string to = flag(a, "to");
  if (to.empty()) fail("migrate needs --to postgresql://... (an empty database)");
  Config c = load_config(a);
  auto r = migrate_to_postgres(c.data_dir, to, terminal_progress("rows"));
  if (!r.ok()) fail("migrate: " + r.error().message);
  for (const auto& t : r->skipped) std::fprintf(stderr, "segue: migrate: skipped %s (not in the PostgreSQL schema)\n", t.c_str());
  std::printf("migrate: %zu tables, %lld rows in %.1f s (%.0f rows/s); serve with --database and the same --data\n",
              r->tables, static_cast<long long>(r->rows), r->seconds,
              r->seconds > 0 ? static_cast<double>(r->rows) / r->seconds : 0.0);
  return 0;
}

int cmd_user(int argc, char** argv) {
  if (argc < 3) fail("user needs a subcommand: add, list, passwd, set, revoke");
  std::string sub = argv[2];
  Args a = parse_args(argc, argv, 3, {"admin", "tier"}, {});
  // --admin is a switch for `add` and takes true/false for `set`.
  if (sub == "add") {
    // Re-parse with --admin as a switch.
    a = parse_args(argc, argv, 3, {"admin", "tier"}, {"admin"});
  }
  Config c = load_config(a);
  auto need_name = [&]() -> std::string {
    if (a.positional.size() != 1) fail("user " + sub + " needs exactly one NAME");
    return a.positional[0];
  };
  auto tier_of = [&](const std::string& v) {
    auto t = auth::tier_from_name(v);
    if (!t) fail("--tier must be free or premium");
    return *t;
  };
  if (sub == "add") {
    std::string name = need_name();
    auth::Tier tier = tier_of(flag(a, "tier", "free"));
    bool admin = flag(a, "admin") == "true";
    std::string pw = read_password(true);
    Services s = open_or_fail(c);
    auto u = s.auth->create_user(name, pw, admin, tier);
    if (!u.ok()) fail(u.error().message);
    std::printf("added user %s (id %s, %s%s)\n", u->name.c_str(), u->id.str().c_str(), auth::tier_name(u->tier),
                u->admin ? ", admin" : "");
    return 0;
  }
  if (sub == "list") {
    if (!a.positional.empty()) fail("user list takes no arguments");
    Services s = open_or_fail(c);
    auto users = s.auth->list_users();
    if (!users.ok()) fail(users.error().message);
    std::printf("%-24s %-22s %-8s %s\n", "NAME", "ID", "TIER", "ADMIN");
    for (const auto& u : *users)
      std::printf("%-24s %-22s %-8s %s\n", u.name.c_str(), u.id.str().c_str(), auth::tier_name(u.tier),
                  u.admin ? "yes" : "no");
    return 0;
  }
  if (sub == "passwd") {
    std::string name = need_name();
    std::string pw = read_password(true);
    Services s = open_or_fail(c);
    if (auto st = s.auth->set_password(name, pw); !st.ok()) fail(st.error().message);
    auto u = s.auth->get_user_by_name(name);
    if (!u.ok()) fail(u.error().message);
    if (auto st = s.auth->revoke_user_sessions(u->id); !st.ok()) fail(st.error().message);
    std::printf("password changed for %s; their sessions were signed out\n", name.c_str());
    return 0;
  }
  if (sub == "revoke") {
    // A running server on the same database sees this within its revocation poll (250 ms).
    std::string name = need_name();
    Services s = open_or_fail(c);
    auto u = s.auth->get_user_by_name(name);
    if (!u.ok()) fail(u.error().message);
    if (auto st = s.auth->revoke_user_sessions(u->id); !st.ok()) fail(st.error().message);
    std::printf("signed %s out everywhere: sessions, stream tokens and live connections end now\n", u->name.c_str());
    return 0;
  }
  if (sub == "set") {
    std::string name = need_name();
    if (a.flags.empty()) fail("user set needs --tier or --admin");
    Services s = open_or_fail(c);
    if (a.flags.count("tier"))
      if (auto st = s.auth->set_tier(name, tier_of(flag(a, "tier"))); !st.ok()) fail(st.error().message);
    if (a.flags.count("admin")) {
      std::string v = flag(a, "admin");
      if (v != "true" && v != "false") fail("--admin must be true or false");
      if (auto st = s.auth->set_admin(name, v == "true"); !st.ok()) fail(st.error().message);
    }
    std::printf("updated %s\n", name.c_str());
    return 0;
  }
  fail("unknown user subcommand '" + sub + "'");
}

int cmd_client(int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) != "add") fail("client needs a subcommand: add");
  Args a = parse_args(argc, argv, 3, {"redirect-uri", "public"}, {"public"});
  if (a.positional.size() != 1) fail("client add needs exactly one NAME");
  std::vector<std::string> uris;
  auto [b, e] = a.flags.equal_range("redirect-uri");
  for (auto it = b; it != e; ++it) uris.push_back(it->second);
  if (uris.empty()) fail("client add needs at least one --redirect-uri");
  Config c = load_config(a);
  Services s = open_or_fail(c);
  auto r = s.auth->register_client(a.positional[0], uris, flag(a, "public") == "true");
  if (!r.ok()) fail(r.error().message);
  std::printf("client_id: %s\n", r->client.id.str().c_str());
  if (r->secret) std::printf("client_secret: %s\n", r->secret->c_str());
  return 0;
}

int cmd_demo_library(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"catalog"}, {});
  if (a.positional.size() != 1) fail("demo-library needs exactly one DIR");
  if (a.flags.count("catalog")) {
    auto st = catalog::write_catalog_library(a.positional[0], flag(a, "catalog"), terminal_progress());
    if (!st.ok()) fail(st.error().message);
  } else {
    auto st = catalog::write_demo_library(a.positional[0]);
    if (!st.ok()) fail(st.error().message);
  }
  std::printf("wrote library to %s\n", a.positional[0].c_str());
  return 0;
}

int cmd_serve(int argc, char** argv) {
#if defined(__GLIBC__)
  // A long-running server: fixed malloc thresholds. glibc otherwise raises its mmap threshold
  // (up to 32 MB) and trim threshold (64 MB) each time a large block is freed, after which the
  // large transient buffers of a rescan or a big response stay in a thread's arena instead of
  // going back to the OS, and RSS steps up a few tens of MB at a time (issue 14).
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 4 << 20);
#endif
  Args a = parse_args(argc, argv, 2, {}, {});
  if (!a.positional.empty()) fail("serve takes no positional arguments");
  Config c = load_config(a);
  log::set_level(c.log_level == "debug" ? log::Level::kDebug
                 : c.log_level == "warn" ? log::Level::kWarn
                 : c.log_level == "error" ? log::Level::kError : log::Level::kInfo);
  Services s = open_or_fail(c, Scope::kServer);
  MetricsRegistry& metrics = *s.metrics;

  if (!c.has_role("api")) {
    // A node without the API: its background loops only, until SIGINT or SIGTERM.
    if (auto st = start_roles(s, c); !st.ok()) fail(st.error().message);
    std::printf("Segue is running without the API (roles: %s; data in %s)\n",
                [&] {
                  std::string r;
                  for (const auto& x : c.roles) r += (r.empty() ? "" : ",") + x;
                  return r;
                }().c_str(),
                c.data_dir.c_str());
    std::fflush(stdout);
    boost::asio::io_context io;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    io.run();
    if (s.scans) s.scans->stop();
    log::info("stopped");
    return 0;
  }

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // Workers block on the database: on PostgreSQL, enough of them to keep every connection busy.
  std::size_t default_workers = std::max<std::size_t>(4, 2 * cores);
  if (!c.database.empty())
    default_workers = std::max<std::size_t>(default_workers, static_cast<std::size_t>(c.database_writers) + store::Options{}.readers);
  net::WorkerPool workers(c.workers > 0 ? static_cast<std::size_t>(c.workers) : default_workers);
  // Per-client and per-user limits: counted across the nodes sharing `redis` (all nodes
  // together allow the limit), else in this process (net/rate_limiter_shared.h).
  auto make_limit = [&](const char* name, uint32_t limit) -> std::unique_ptr<net::RateLimit> {
    if (c.redis.empty()) return std::make_unique<net::RateLimiter>(limit, c.rate_window);
    net::SharedRateLimitOptions o;
    o.name = name;
    o.limit = limit;
    o.window = c.rate_window;
    auto address = redis::parse_url(c.redis);
    if (!address.ok()) fail(address.error().message);
    o.address = *address;
    return std::make_unique<net::SharedRateLimiter>(std::move(o), &metrics);
  };
  std::unique_ptr<net::RateLimit> client_limit = make_limit("client", c.rate_limit_client);
  std::unique_ptr<net::RateLimit> user_limit = make_limit("user", c.rate_limit_user);
  net::RateLimit& client_limiter = *client_limit;
  net::RateLimit& user_limiter = *user_limit;

  api::spotify::ApiContext ctx{*s.db, *s.auth, *s.catalog, *s.artwork, *s.events, *s.library,
                               *s.stream_tokens, workers, client_limiter, user_limiter, metrics,
                               c.public_url};
  ctx.allowed_hosts = c.allowed_hosts;
  ctx.listen_host = c.listen_host;
  ctx.metrics_token = c.metrics_token;
  ctx.popularity = [log = s.events.get()](events::ItemKind kind, const std::string& id) { return log->popularity(kind, id); };
  // Real-time push: the in-process hub (/v1/ws subscribers), fed from the domain events.
  net::LocalPubSub hub(&metrics);
  api::spotify::Realtime realtime(hub, *s.events_bus);
  ctx.realtime = &realtime;
  ctx.playlists = s.playlists.get();
  ctx.searcher = s.searcher.get();
  ctx.indexer = s.indexer.get();
  ctx.recent_searches = s.recent_searches.get();
  ctx.preferences = s.preferences.get();
  ctx.transcodes = s.transcodes.get();
  ctx.analysis = s.analysis.get();
  ctx.recommend = s.recommend.get();
  ctx.home = s.home.get();
  ctx.smart_playlists = s.smart_playlists.get();
  ctx.made_for_you = s.made_for_you.get();
  ctx.importer = s.importer.get();
  ctx.library_service = s.library_service.get();
  ctx.playback = s.playback.get();

  // The web player: its files, and the first-party OAuth client it logs in with.
  std::optional<api::web::StaticSite> site;
  if (c.web_dir != "off") {
    std::string dir = c.web_configured ? c.web_dir : std::string(SEGUE_DEFAULT_WEB_DIR);
    auto loaded = api::web::StaticSite::load(dir);
    if (loaded.ok()) site = std::move(loaded).value();
    else if (c.web_configured) fail("web: " + loaded.error().message);
    else log::info("web player not installed; serving the API only", {{"reason", loaded.error().message}});
  }
  if (auto st = s.auth->ensure_first_party_client(ClientId(api::web::kClientId), api::web::kClientName,
                                                  api::web::kRedirectPath); !st.ok())
    fail("registering the web player's OAuth client: " + st.error().message);
  ctx.landing_page = !site;

  struct StopWatching {  // the revocation watcher (started with the "api" role) ends first
    auth::AuthService* auth;
    ~StopWatching() { auth->stop_watching(); }
  } stop_watching{s.auth.get()};
  // Login backoff, the password-hashing pool, per-address limits (api/spotify/abuse.h).
  api::spotify::AbuseOptions abuse_options;
  abuse_options.audio_per_10s = c.audio_rate_limit;
  abuse_options.images_per_10s = c.image_rate_limit;
  // With `redis`, counted by all nodes together (issue 17): the per-address limits by the
  // shared rate limiter, the login backoff in Redis (auth/login_throttle_shared.h).
  api::spotify::AbuseLimits::MakeLimit make_abuse_limit;
  api::spotify::AbuseLimits::MakeBackoff make_backoff;
  if (!c.redis.empty()) {
    auto address = redis::parse_url(c.redis);
    if (!address.ok()) fail(address.error().message);
    make_abuse_limit = [&, address = *address](const std::string& name, uint32_t limit, std::chrono::seconds window)
        -> std::unique_ptr<net::RateLimit> {
      net::SharedRateLimitOptions o;
      o.name = name;
      o.limit = limit;
      o.window = window;
      o.address = address;
      return std::make_unique<net::SharedRateLimiter>(std::move(o), &metrics);
    };
    make_backoff = [&, address = *address](const std::string& name, const auth::LoginThrottle::Policy& policy)
        -> std::unique_ptr<auth::LoginBackoff> {
      auth::SharedLoginThrottleOptions o;
      o.name = name;
      o.policy = policy;
      o.address = address;
      return std::make_unique<auth::SharedLoginThrottle>(std::move(o), &metrics);
    };
  }
  api::spotify::AbuseLimits abuse(abuse_options, make_abuse_limit, make_backoff);
  ctx.abuse = &abuse;

  net::Router router;
  api::spotify::register_routes(router, ctx);
  if (site) api::web::register_web_routes(router, *site);
  // Every route has its access rule in api/spotify/access.cc, or the server does not start.
  auto missing = api::spotify::check_route_rules(router);
  if (ctx.realtime)
    for (auto& t : api::spotify::check_topic_rules(ctx.realtime->topics.kinds())) missing.push_back(std::move(t));
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    fail("routes or WebSocket topics without an access rule in api/spotify/access.cc: " + list);
  }

  net::ServerOptions opt;
  opt.host = c.listen_host;
  opt.port = c.listen_port;
  opt.io_threads = c.io_threads;
  opt.max_connections = c.max_connections;
  opt.max_connections_per_address = c.max_connections_per_address;
  opt.body_limit = c.body_limit;
  opt.request_timeout = c.request_timeout;
  opt.idle_timeout = c.idle_timeout;
  opt.cors_origins = c.cors_origins;
  opt.access_log = c.access_log;
  if (auto t = net::TrustedProxies::parse(c.trusted_proxies); t.ok()) opt.trusted_proxies = std::move(*t);
  else fail(t.error().message);
  if (!opt.trusted_proxies.empty())
    log::info("client addresses from X-Forwarded-For of trusted proxies", {{"trusted_proxies", opt.trusted_proxies.describe()}});
  net::Server server(opt, router, workers, metrics);
  if (auto st = server.bind(); !st.ok()) fail(st.error().message);

  // The background loops of this node's roles (scans, indexer, analysis, revocation watcher).
  if (auto st = start_roles(s, c); !st.ok()) fail(st.error().message);

  const std::string url = "http://" + (c.listen_host.find(':') != std::string::npos ? "[" + c.listen_host + "]" : c.listen_host) +
                          ":" + std::to_string(server.port());
  server.on_listening = [&](uint16_t) {
    std::printf("Segue is serving %s (data in %s)\n", url.c_str(), c.data_dir.c_str());
    auto users = s.auth->list_users();
    if (users.ok() && users->empty()) {
      std::printf("No users yet. Create one, then log in from any Spotify Web API client:\n"
                  "  segue user add NAME --admin --data %s\n"
                  "  segue client add MYAPP --redirect-uri http://127.0.0.1:8888/callback --data %s\n",
                  c.data_dir.c_str(), c.data_dir.c_str());
    }
    std::fflush(stdout);
    log::info("listening", {{"url", url}, {"port", std::to_string(server.port())}});
  };
  server.stop_on_signals();
  server.run();

  if (s.scans) s.scans->stop();
  workers.join();
  log::info("stopped");
  return 0;
}

}  // namespace
}  // namespace segue::app

int main(int argc, char** argv) {
  using namespace segue::app;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  // What Segue creates (database, WAL, keys, search index, transcodes, exports) is the owner's
  // only (issue 14). A demo library is music for other programs too: it keeps the usual mode.
  if (cmd != "demo-library") ::umask(077);
  try {
    if (cmd == "serve") return cmd_serve(argc, argv);
    if (cmd == "scan") return cmd_scan(argc, argv);
    if (cmd == "user") return cmd_user(argc, argv);
    if (cmd == "client") return cmd_client(argc, argv);
    if (cmd == "demo-library") return cmd_demo_library(argc, argv);
    if (cmd == "worker") return run_worker(argc, argv);
    if (cmd == "analyze") return cmd_analyze(argc, argv);
    if (cmd == "events") return cmd_events(argc, argv);
    if (cmd == "migrate") return cmd_migrate(argc, argv);
    if (cmd == "import") return cmd_import(argc, argv);
    if (cmd == "recommend") return cmd_recommend(argc, argv);
    if (cmd == "smart") return cmd_smart(argc, argv);
    if (cmd == "routes") {
      // The access table: every route, who may call it, its scopes and object rule.
      std::printf("%s\n", segue::api::spotify::route_rules_json().c_str());
      return 0;
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (cmd == "version" || cmd == "--version") {
      std::puts("segue 0.1.0");
      return 0;
    }
  } catch (const std::exception& e) {
    fail(std::string("unexpected error: ") + e.what());
  }
  fail("unknown command '" + cmd + "' (try: segue help)");
}
