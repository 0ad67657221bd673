#include "app/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace segue::app {

TEST(Config, FlagsWinOverEnvironmentOverFile) {
  Settings file = {{"listen", "0.0.0.0:9000"}, {"data", "/file"}, {"workers", "3"}};
  Settings env = {{"listen", "127.0.0.1:9001"}, {"data", "/env"}};
  Settings flags = {{"data", "/flag"}};
  auto c = build_config(file, env, flags);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->data_dir, "/flag");
  EXPECT_EQ(c->listen_port, 9001);
  EXPECT_EQ(c->workers, 3);
  EXPECT_EQ(c->public_url, "");  // not configured: links follow each request's Host
}

TEST(Config, ListsFromAHigherSourceReplaceLowerOnes) {
  Settings file = {{"library", "/a"}, {"library", "/b"}};
  Settings flags = {{"library", "/c"}};
  auto c = build_config(file, {}, flags);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->libraries, std::vector<std::string>{"/c"});
  c = build_config(file, {}, {});
  EXPECT_EQ(c->libraries, (std::vector<std::string>{"/a", "/b"}));
}

TEST(Config, RolesDefaultToAllAndComeFromFileEnvironmentOrFlags) {
  auto c = build_config({}, {}, {});
  ASSERT_TRUE(c.ok());
  for (const auto& r : kAllRoles) EXPECT_TRUE(c->has_role(r)) << r;
  // TOML array items, then SEGUE_ROLES=api,indexer (read_environment splits on commas).
  c = build_config({{"roles", "api"}, {"roles", "scanner"}}, {}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->roles, (std::set<std::string>{"api", "scanner"}));
  char env0[] = "SEGUE_ROLES=api, indexer";
  char* envp[] = {env0, nullptr};
  c = build_config({{"roles", "scanner"}}, read_environment(envp), {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->roles, (std::set<std::string>{"api", "indexer"}));
  c = build_config({}, {}, {{"roles", "events,analysis"}});  // --roles events,analysis
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->roles, (std::set<std::string>{"events", "analysis"}));
  EXPECT_FALSE(c->has_role("api"));
  c = build_config({}, {}, {{"roles", "api,mining"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("mining"), std::string::npos);
  c = build_config({}, {}, {{"roles", ","}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("roles"), std::string::npos);
}

TEST(Config, DatabaseIsAPostgresUrlWithItsWriterCount) {
  auto c = build_config({}, {}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->database, "");  // SQLite under the data directory
  EXPECT_EQ(c->database_writers, 8);
  char env0[] = "SEGUE_DATABASE=postgresql:///segue?host=/run/postgresql";
  char env1[] = "SEGUE_DATABASE_WRITERS=12";
  char* envp[] = {env0, env1, nullptr};
  c = build_config({}, read_environment(envp), {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->database, "postgresql:///segue?host=/run/postgresql");
  EXPECT_EQ(c->database_writers, 12);
  c = build_config({}, {}, {{"database", "/var/lib/segue/segue.db"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("postgresql://"), std::string::npos);
  c = build_config({}, {}, {{"database_writers", "0"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("database_writers"), std::string::npos);
}

TEST(Config, RedisIsATcpOrUnixSocketUrl) {
  auto c = build_config({}, {}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->redis, "");  // a single node: the in-process bus
  char env0[] = "SEGUE_REDIS=redis:///run/redis/redis.sock";
  char* envp[] = {env0, nullptr};
  c = build_config({{"redis", "redis://file:1"}}, read_environment(envp), {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->redis, "redis:///run/redis/redis.sock");  // the environment over the file
  c = build_config({}, read_environment(envp), {{"redis", "redis://10.0.0.5:6380"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->redis, "redis://10.0.0.5:6380");  // the flag over the environment
  c = build_config({}, {}, {{"redis", "10.0.0.5:6379"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("redis:"), std::string::npos);
  EXPECT_NE(c.error().message.find("redis://HOST[:PORT]"), std::string::npos);
}

TEST(Config, RejectsBadValuesNamingTheSetting) {
  auto c = build_config({}, {}, {{"listen", "localhost"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("listen"), std::string::npos);
  c = build_config({}, {}, {{"listen", "127.0.0.1:99999"}});
  ASSERT_FALSE(c.ok());
  c = build_config({}, {}, {{"colour", "blue"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("colour"), std::string::npos);
  c = build_config({}, {}, {{"access_log", "maybe"}});
  ASSERT_FALSE(c.ok());
}

TEST(Config, AnalysisAndTranscodingSettings) {
  auto c = build_config({}, {}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->analysis_workers, 1);
  EXPECT_EQ(c->transcode_cache_bytes, uint64_t{4} << 30);
  EXPECT_EQ(c->transcode_ahead, "");
  c = build_config({}, {{"analysis_workers", "0"}, {"transcode_cache_mb", "512"}, {"transcode_jobs", "3"}},
                   {{"transcode_ahead", "opus:96"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->analysis_workers, 0);
  EXPECT_EQ(c->transcode_cache_bytes, uint64_t{512} << 20);
  EXPECT_EQ(c->transcode_jobs, 3);
  EXPECT_EQ(c->transcode_ahead, "opus:96");
  EXPECT_EQ(build_config({}, {}, {{"transcode_ahead", "off"}})->transcode_ahead, "");
  for (const auto& [key, bad] : std::vector<std::pair<std::string, std::string>>{
           {"analysis_workers", "65"}, {"analysis_workers", "-1"}, {"transcode_jobs", "x"},
           {"transcode_ahead", "mp3:160"}, {"transcode_ahead", "vorbis"}, {"transcode_ahead", "vorbis:9999"}}) {
    auto r = build_config({}, {}, {{key, bad}});
    ASSERT_FALSE(r.ok()) << key << "=" << bad;
    EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
  }
}

TEST(Config, SecuritySettings) {
  auto c = build_config({}, {}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_connections_per_address, 256u);
  EXPECT_LT(c->max_connections_per_address, c->max_connections);
  EXPECT_TRUE(c->allowed_hosts.empty());
  EXPECT_EQ(c->metrics_token, "");
  EXPECT_EQ(c->audio_rate_limit, 3000u);
  EXPECT_EQ(c->image_rate_limit, 1000u);
  c = build_config({}, {}, {{"audio_rate_limit", "0"}, {"image_rate_limit", "50"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->audio_rate_limit, 0u);
  EXPECT_EQ(c->image_rate_limit, 50u);
  c = build_config({}, {{"allowed_hosts", "Music.Example"}, {"allowed_hosts", "nas.lan:8080"}},
                   {{"max_connections_per_address", "0"}, {"metrics_token", "0123456789abcdef0123"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->allowed_hosts, (std::vector<std::string>{"music.example", "nas.lan:8080"}));
  EXPECT_EQ(c->max_connections_per_address, 0u);
  EXPECT_EQ(c->metrics_token, "0123456789abcdef0123");
  for (const auto& [key, bad] : std::vector<std::pair<std::string, std::string>>{
           {"allowed_hosts", "evil.example/x"}, {"allowed_hosts", "a b"}, {"metrics_token", "short"},
           {"max_connections_per_address", "-1"}, {"audio_rate_limit", "x"}, {"image_rate_limit", "-5"}}) {
    auto r = build_config({}, {}, {{key, bad}});
    ASSERT_FALSE(r.ok()) << key << "=" << bad;
    EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
  }
}

TEST(Config, ReadsTomlAndEnvironment) {
  auto path = std::filesystem::temp_directory_path() / ("segue-config-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "listen = \"127.0.0.1:7000\"\npublic_url = \"https://music.example/\"\nlibrary = [\"/m1\", \"/m2\"]\nworkers = 8\naccess_log = false\n";
  auto file = read_toml_file(path.string());
  ASSERT_TRUE(file.ok()) << file.error().message;
  std::string e1 = "SEGUE_LIBRARY=/x:/y", e2 = "OTHER=1";
  char* envp[] = {e1.data(), e2.data(), nullptr};
  auto env = read_environment(envp);
  auto c = build_config(*file, env, {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen_port, 7000);
  EXPECT_EQ(c->public_url, "https://music.example");  // from the file, trailing slash dropped
  EXPECT_EQ(c->workers, 8);
  EXPECT_FALSE(c->access_log);
  EXPECT_EQ(c->libraries, (std::vector<std::string>{"/x", "/y"}));
  std::ofstream(path) << "listen = [unclosed\n";
  EXPECT_FALSE(read_toml_file(path.string()).ok());
  std::filesystem::remove(path);
}

TEST(Config, EdgesFromTomlEnvironmentOrFlagsWithTheirProbeInterval) {
  auto c = build_config({}, {}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->edges.empty());
  EXPECT_EQ(c->edge_key_file, "");  // <data>/edge.key
  EXPECT_EQ(c->edge_probe_interval, std::chrono::milliseconds(1000));

  auto path = std::filesystem::temp_directory_path() / ("segue-edges-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "edges = [\"eu1=http://127.0.0.1:8301@eu*2\", \"us1=https://us1.example.net\"]\n"
                         "edge_key_file = \"/etc/segue/edge.key\"\nedge_probe_interval = \"250ms\"\n";
  auto file = read_toml_file(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  c = build_config(*file, {}, {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->edges.size(), 2u);
  EXPECT_EQ(c->edges[0].name, "eu1");
  EXPECT_EQ(c->edges[0].region, "eu");
  EXPECT_EQ(c->edges[0].weight, 2);
  EXPECT_EQ(c->edges[1].base_url, "https://us1.example.net");
  EXPECT_EQ(c->edge_key_file, "/etc/segue/edge.key");
  EXPECT_EQ(c->edge_probe_interval, std::chrono::milliseconds(250));

  // SEGUE_EDGES replaces the file's list; a flag replaces both.
  std::string e = "SEGUE_EDGES=a=http://127.0.0.1:1@x,b=http://127.0.0.1:2";
  char* envp[] = {e.data(), nullptr};
  c = build_config(*file, read_environment(envp), {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->edges.size(), 2u);
  EXPECT_EQ(c->edges[1].name, "b");
  c = build_config(*file, read_environment(envp), {{"edges", "z=http://h:9"}, {"edge_probe_interval", "2s"}});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->edges.size(), 1u);
  EXPECT_EQ(c->edges[0].name, "z");
  EXPECT_EQ(c->edge_probe_interval, std::chrono::seconds(2));

  for (const Settings& bad : std::vector<Settings>{{{"edges", "eu1=ftp://x"}}, {{"edges", "novalue"}},
                                                   {{"edge_probe_interval", "10ms"}}, {{"edge_probe_interval", "fast"}}}) {
    auto r = build_config({}, {}, bad);
    ASSERT_FALSE(r.ok()) << bad.begin()->second;
    EXPECT_EQ(r.error().message.rfind(bad.begin()->first + ":", 0), 0u) << r.error().message;
  }
}

}  // namespace segue::app
