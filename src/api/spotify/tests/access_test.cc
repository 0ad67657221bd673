#include "api/spotify/access.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>

namespace segue::api::spotify {
namespace {
namespace http = net::http;

net::Handler nothing() {
  return [](net::Request&) -> boost::asio::awaitable<net::Response> { co_return net::Response::empty(204); };
}

TEST(RouteRules, OneRulePerMethodAndPattern) {
  std::set<std::string> seen;
  for (const auto& r : route_rules())
    EXPECT_TRUE(seen.insert(std::string(http::to_string(r.method)) + " " + std::string(r.pattern)).second)
        << r.pattern << " has two rules";
}

TEST(RouteRules, EveryRouteWithoutARuleIsReported) {
  net::Router router;
  router.add(http::verb::get, "/v1/tracks/{id}", nothing());
  router.add(http::verb::get, "/v1/playlists/{id}/secrets", nothing());
  router.add(http::verb::delete_, "/v1/me/tracks", nothing());
  router.add(http::verb::patch, "/v1/me/tracks", nothing());
  router.add_websocket("/v1/ws", [](net::Request&) -> boost::asio::awaitable<net::WsAccept> { co_return net::WsAccept{}; });
  router.add_websocket("/v1/other-ws", [](net::Request&) -> boost::asio::awaitable<net::WsAccept> { co_return net::WsAccept{}; });
  auto missing = check_route_rules(router);
  EXPECT_EQ(missing, (std::vector<std::string>{"GET /v1/playlists/{id}/secrets", "PATCH /v1/me/tracks", "GET /v1/other-ws"}));
}

TEST(RouteRules, EveryTopicKindWithoutARuleIsReported) {
  EXPECT_TRUE(check_topic_rules({"me", "playlist"}).empty());
  EXPECT_EQ(check_topic_rules({"me", "connect", "playlist"}), (std::vector<std::string>{"topic connect"}));
}

TEST(RouteRules, RequireAllReportsRulesWithoutRoutes) {
  net::Router router;
  router.add(http::verb::get, "/healthz", nothing());
  auto problems = check_route_rules(router, /*require_all=*/true);
  EXPECT_EQ(problems.size(), route_rules().size() - 1);
  EXPECT_NE(std::find(problems.begin(), problems.end(), "GET /v1/me (rule without a route)"), problems.end());
}

TEST(RouteRules, HeadReadsTheRuleOfGet) {
  const RouteRule* r = find_route_rule(http::verb::head, "/v1/playlists/{id}");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->method, http::verb::get);
  EXPECT_EQ(r->object, ObjectRule::kPlaylistRead);
  EXPECT_EQ(find_route_rule(http::verb::post, "/v1/tracks/{id}"), nullptr);
}

TEST(RouteRules, PlaylistRulesNameAPlaylistIdAndEveryExtensionSaysWhy) {
  for (const auto& r : route_rules()) {
    if (r.object == ObjectRule::kPlaylistRead || r.object == ObjectRule::kPlaylistModify)
      EXPECT_EQ(r.pattern.rfind("/v1/playlists/{id}", 0), 0u) << r.pattern;
    if (r.origin != Origin::kSpotify) EXPECT_FALSE(r.note.empty()) << r.pattern;
    // Bearer-token callers are the only ones with scopes; others carry their own credential.
    if (r.caller != Caller::kUser && r.caller != Caller::kAnyToken) EXPECT_TRUE(r.scopes.empty()) << r.pattern;
    // Writes never accept an app token: they always act for a user.
    if (r.method != http::verb::get) EXPECT_NE(r.caller, Caller::kAnyToken) << r.pattern;
  }
}

TEST(RouteRules, JsonListsEveryRuleAndTopic) {
  auto v = boost::json::parse(route_rules_json());
  EXPECT_EQ(v.at("routes").as_array().size(), route_rules().size());
  EXPECT_EQ(v.at("topics").as_array().size(), topic_rules().size());
  const auto& first = v.at("routes").as_array().at(0).as_object();
  EXPECT_TRUE(first.contains("caller") && first.contains("scopes") && first.contains("object"));
}

}  // namespace
}  // namespace segue::api::spotify
