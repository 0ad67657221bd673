#include "edge/edges.h"

#include <gtest/gtest.h>

namespace segue::edge {
namespace {
using namespace std::chrono_literals;
using Ms = std::chrono::duration<double, std::milli>;

std::vector<EdgeSpec> three() {
  return *parse_edges({"a=http://127.0.0.1:8301@eu,b=http://127.0.0.1:8302@eu*2", "c=https://c.example.net/cdn/@us*0.5"});
}

std::vector<std::string> names(const EdgeSet& s) {
  std::vector<std::string> out;
  for (const auto& e : *s.ranking()) out.push_back(e.name);
  return out;
}

}  // namespace

TEST(EdgeParse, ReadsTheCompactForm) {
  auto e = three();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].name, "a");
  EXPECT_EQ(e[0].base_url, "http://127.0.0.1:8301");
  EXPECT_EQ(e[0].region, "eu");
  EXPECT_EQ(e[0].weight, 1);
  EXPECT_EQ(e[1].weight, 2);
  EXPECT_EQ(e[2].base_url, "https://c.example.net/cdn");  // trailing '/' dropped
  EXPECT_EQ(e[2].region, "us");
  EXPECT_EQ(e[2].weight, 0.5);
  auto bare = parse_edges({"x=http://h:1"});
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ((*bare)[0].region, "");
}

TEST(EdgeParse, RefusesBadEntriesByName) {
  struct Case { const char* text; const char* says; };
  for (auto c : std::vector<Case>{{"nourl", "no '='"},
                                  {"=http://h:1", "name"},
                                  {"a b=http://h:1", "name"},
                                  {"a=ftp://h", "http://"},
                                  {"a=http://", "host"},
                                  {"a=http://h:1@", "region"},
                                  {"a=http://h:1*0", "weight"},
                                  {"a=http://h:1*-1", "weight"},
                                  {"a=http://h:1*x", "weight"},
                                  {"a=http://h:1/?x=1", "'?'"},
                                  {"a=http://h:1,a=http://h:2", "twice"}}) {
    auto r = parse_edges({c.text});
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << c.text << ": " << r.error().message;
  }
}

TEST(EdgeSet, NothingIsRankedBeforeAProbe) {
  EdgeSet s(three());
  EXPECT_TRUE(s.ranking()->empty());
  EXPECT_FALSE(s.state(0).healthy);
}

TEST(EdgeSet, RanksHealthyEdgesByLatencyOverWeight) {
  EdgeSet s(three());
  s.record(0, Ms(10));  // a: 10 / 1 = 10
  s.record(1, Ms(16));  // b: 16 / 2 = 8
  s.record(2, Ms(4));   // c: 4 / 0.5 = 8 (tie with b: by name)
  EXPECT_EQ(names(s), (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ((*s.ranking())[0].base_url, "http://127.0.0.1:8302");
  EXPECT_EQ((*s.ranking())[0].region, "eu");
  // a's latency falls: the moving average moves it first after a few probes.
  for (int i = 0; i < 10; ++i) s.record(0, Ms(1));
  EXPECT_EQ(names(s).front(), "a");
}

TEST(EdgeSet, LatencyIsAMovingAverage) {
  EdgeSetOptions o;
  o.ewma_alpha = 0.5;
  EdgeSet s(three(), o);
  s.record(0, Ms(100));
  EXPECT_DOUBLE_EQ(s.state(0).latency_ewma_s, 0.1);
  s.record(0, Ms(20));
  EXPECT_DOUBLE_EQ(s.state(0).latency_ewma_s, 0.06);
  s.record(0, std::nullopt);  // a failure does not move it
  EXPECT_DOUBLE_EQ(s.state(0).latency_ewma_s, 0.06);
}

TEST(EdgeSet, GoesDownAfterTwoFailuresAndUpAfterTwoSuccesses) {
  EdgeSet s(three());
  EXPECT_EQ(s.record(0, Ms(5)), std::optional<bool>(true));  // first probe: up at once
  EXPECT_EQ(names(s), (std::vector<std::string>{"a"}));
  EXPECT_EQ(s.record(0, std::nullopt), std::nullopt);        // one failure: still up
  EXPECT_EQ(names(s), (std::vector<std::string>{"a"}));
  EXPECT_EQ(s.record(0, Ms(5)), std::nullopt);               // the count starts again
  EXPECT_EQ(s.record(0, std::nullopt), std::nullopt);
  EXPECT_EQ(s.record(0, std::nullopt), std::optional<bool>(false));  // two in a row: down
  EXPECT_TRUE(s.ranking()->empty());
  EXPECT_EQ(s.record(0, Ms(5)), std::nullopt);               // one success: still down
  EXPECT_TRUE(s.ranking()->empty());
  EXPECT_EQ(s.record(0, std::nullopt), std::nullopt);
  EXPECT_EQ(s.record(0, Ms(5)), std::nullopt);
  EXPECT_EQ(s.record(0, Ms(5)), std::optional<bool>(true));  // two in a row: up
  EXPECT_EQ(names(s), (std::vector<std::string>{"a"}));
}

TEST(EdgeSet, AnEdgeThatFailsFromTheStartIsNeverRanked) {
  EdgeSet s(three());
  s.record(1, Ms(5));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s.record(0, std::nullopt), std::nullopt);
  EXPECT_EQ(names(s), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(s.state(0).probed);
  EXPECT_EQ(s.state(0).consecutive_failed, 5);
}

TEST(EdgeSet, AnOldRankingStaysValidWhileProbesMoveOn) {
  EdgeSet s(three());
  s.record(0, Ms(5));
  auto held = s.ranking();
  s.record(0, std::nullopt);
  s.record(0, std::nullopt);
  EXPECT_TRUE(s.ranking()->empty());
  ASSERT_EQ(held->size(), 1u);  // a reader's snapshot is immutable
  EXPECT_EQ((*held)[0].name, "a");
}

TEST(EdgeSet, ExposesHealthAndLatencyAsMetrics) {
  EdgeSet s(three());
  MetricsRegistry m;
  s.register_metrics(m);
  s.record(1, Ms(250));
  std::string text = m.render();
  EXPECT_NE(text.find("segue_edge_healthy{edge=\"a\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("segue_edge_healthy{edge=\"b\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("segue_edge_latency_seconds{edge=\"b\"} 0.25"), std::string::npos) << text;
  s.record(1, std::nullopt);
  s.record(1, std::nullopt);
  EXPECT_NE(m.render().find("segue_edge_healthy{edge=\"b\"} 0"), std::string::npos);
}

}  // namespace segue::edge
