#include "common/metrics.h"

#include <gtest/gtest.h>

namespace segue {

TEST(Metrics, RendersCountersWithLabelsAndHelp) {
  MetricsRegistry r;
  r.counter("segue_requests_total", "Requests", {{"route", "/v1/tracks/{id}"}, {"status", "200"}}).inc(3);
  std::string text = r.render();
  EXPECT_NE(text.find("# TYPE segue_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("segue_requests_total{route=\"/v1/tracks/{id}\",status=\"200\"} 3"),
            std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  MetricsRegistry r;
  auto& h = r.histogram("lat", "Latency", {}, {0.1, 1.0});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string text = r.render();
  EXPECT_NE(text.find("lat_bucket{le=\"0.1\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"1\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("lat_count 3"), std::string::npos);
}

TEST(Metrics, SameSeriesIsReturnedTwice) {
  MetricsRegistry r;
  auto& a = r.gauge("g", "G", {{"k", "v"}});
  auto& b = r.gauge("g", "G", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
  a.set(5);
  EXPECT_EQ(b.value(), 5);
}

TEST(Metrics, LabelledComputedGaugesAreReadWhenRendered) {
  MetricsRegistry r;
  double a = 1, b = 0.25;
  r.gauge_fn("segue_edge_latency_seconds", "Edge latency", {{"edge", "eu1"}}, [&] { return a; });
  r.gauge_fn("segue_edge_latency_seconds", "Edge latency", {{"edge", "us1"}}, [&] { return b; });
  a = 0;  // read at render time, not at registration
  std::string text = r.render();
  EXPECT_EQ(text.find("# TYPE segue_edge_latency_seconds gauge"), text.rfind("# TYPE segue_edge_latency_seconds gauge"));
  EXPECT_NE(text.find("segue_edge_latency_seconds{edge=\"eu1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("segue_edge_latency_seconds{edge=\"us1\"} 0.25\n"), std::string::npos) << text;
}

}  // namespace segue
