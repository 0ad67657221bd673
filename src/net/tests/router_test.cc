#include "net/router.h"

#include <gtest/gtest.h>

namespace segue::net {
namespace {
Handler noop() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response::empty(204); };
}
}  // namespace

TEST(Router, MatchesLiteralAndParameterSegments) {
  Router r;
  r.add(http::verb::get, "/v1/albums/{id}/tracks", noop());
  r.add(http::verb::get, "/v1/albums/{id}", noop());
  std::vector<std::pair<std::string, std::string>> params;
  auto m = r.match(http::verb::get, "/v1/albums/abc/tracks", params);
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.route, "/v1/albums/{id}/tracks");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].second, "abc");
  EXPECT_EQ(r.match(http::verb::get, "/v1/albums/", params).kind, Router::MatchKind::kNoRoute);
  EXPECT_EQ(r.match(http::verb::get, "/v1/albums/x/y", params).kind, Router::MatchKind::kNoRoute);
}

TEST(Router, WrongMethodReportsAllowedMethods) {
  Router r;
  r.add(http::verb::get, "/v1/me/tracks", noop());
  r.add(http::verb::put, "/v1/me/tracks", noop());
  std::vector<std::pair<std::string, std::string>> params;
  auto m = r.match(http::verb::post, "/v1/me/tracks", params);
  EXPECT_EQ(m.kind, Router::MatchKind::kWrongMethod);
  EXPECT_EQ(m.allow, "GET, PUT");
  EXPECT_EQ(r.match(http::verb::head, "/v1/me/tracks", params).kind, Router::MatchKind::kFound);
}

TEST(Router, DecodesParametersAndRejectsBadEscapes) {
  Router r;
  r.add(http::verb::get, "/audio/{file_id}", noop());
  std::vector<std::pair<std::string, std::string>> params;
  auto m = r.match(http::verb::get, "/audio/..%2F..%2Fetc", params);
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(params[0].second, "../../etc");  // decoded; the handler must validate the id
  EXPECT_EQ(r.match(http::verb::get, "/audio/%zz", params).kind, Router::MatchKind::kBadEncoding);
  EXPECT_EQ(r.match(http::verb::get, "/audio/a%00", params).kind, Router::MatchKind::kBadEncoding);
}

TEST(Router, ParsesQueryStrings) {
  auto q = parse_query("ids=a,b&market=&q=hello+world%21");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].second, "a,b");
  EXPECT_EQ((*q)[1].second, "");
  EXPECT_EQ((*q)[2].second, "hello world!");
  EXPECT_FALSE(parse_query("a=%G1"));
}

}  // namespace segue::net
