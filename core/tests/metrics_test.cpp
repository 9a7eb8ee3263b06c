// The Prometheus text writer and the consumer lag taken from librdkafka's statistics JSON.
#include "syn/core/metrics.hpp"

#include <gtest/gtest.h>

#include "syn/core/runner.hpp"

namespace {

using syn::metrics::histogram;
using syn::metrics::writer;

TEST(MetricsWriter, FamilyHasHelpAndTypeThenItsSamplesWithEscapedLabels) {
  writer w;
  w.family("syndicate_x_total", "counter", "Things.\nCounted.")
      .sample({{"path", "a\\b\"c\nd"}}, std::uint64_t{3})
      .sample({}, std::uint64_t{4});
  EXPECT_EQ(w.text(),
            "# HELP syndicate_x_total Things. Counted.\n"
            "# TYPE syndicate_x_total counter\n"
            "syndicate_x_total{path=\"a\\\\b\\\"c\\nd\"} 3\n"
            "syndicate_x_total 4\n");
}

TEST(MetricsWriter, HistogramBucketsAreCumulativeAndEndAtInfEqualToCount) {
  histogram h;
  h.observe(std::chrono::microseconds(500));      // <= 0.001
  h.observe(std::chrono::microseconds(3000));     // <= 0.005
  h.observe(std::chrono::microseconds(7000000));  // > 5
  writer w;
  w.family("syndicate_h_seconds", "histogram", "H.").observations({{"sink", "a"}}, h);
  const std::string& t = w.text();
  EXPECT_NE(t.find("syndicate_h_seconds_bucket{sink=\"a\",le=\"0.001\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("syndicate_h_seconds_bucket{sink=\"a\",le=\"0.0025\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("syndicate_h_seconds_bucket{sink=\"a\",le=\"0.005\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("syndicate_h_seconds_bucket{sink=\"a\",le=\"5\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("syndicate_h_seconds_bucket{sink=\"a\",le=\"+Inf\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("syndicate_h_seconds_count{sink=\"a\"} 3\n"), std::string::npos) << t;
  EXPECT_NEAR(h.sum_seconds(), 7.0035, 1e-9);
}

TEST(MetricsCounterFamily, CountsPerLabelSet) {
  syn::metrics::counter_family f;
  f.inc({{"code", "202"}});
  f.inc({{"code", "202"}});
  f.inc({{"code", "401"}});
  const auto snap = f.snapshot();
  ASSERT_EQ(snap.size(), 2U);
  EXPECT_EQ(snap[0].second, 2U);
  EXPECT_EQ(snap[1].second, 1U);
}

// Shape of librdkafka 2.0.2's statistics (STATISTICS.md), trimmed to what the gauge reads.
constexpr const char* statistics = R"({
  "name": "syndicate-archive#consumer-1", "type": "consumer",
  "topics": {
    "t.articles": {"topic": "t.articles", "partitions": {
      "0": {"partition": 0, "fetch_state": "active", "consumer_lag": 7},
      "1": {"partition": 1, "fetch_state": "active", "consumer_lag": -1},
      "2": {"partition": 2, "fetch_state": "none", "consumer_lag": 3},
      "-1": {"partition": -1, "fetch_state": "none", "consumer_lag": -1}}},
    "t.issues": {"topic": "t.issues", "partitions": {
      "0": {"partition": 0, "fetch_state": "active", "consumer_lag": 1}}}
  }})";

TEST(RunnerStats, LagGaugeTakesAssignedPartitionsWithAKnownLag) {
  syn::runner::stats s;
  s.update_lag(statistics);
  const auto lag = s.lag();
  ASSERT_EQ(lag.size(), 2U);
  EXPECT_EQ(lag[0].topic, "t.articles");
  EXPECT_EQ(lag[0].partition, 0);
  EXPECT_EQ(lag[0].lag, 7);
  EXPECT_EQ(lag[1].topic, "t.issues");
  EXPECT_EQ(lag[1].lag, 1);
  EXPECT_EQ(s.statistics_updates.load(), 1U);
  const std::string text = syn::runner::prometheus_text(s, "archive");
  EXPECT_NE(text.find("# TYPE syndicate_consumer_lag gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("syndicate_consumer_lag{sink=\"archive\",topic=\"t.articles\",partition=\"0\"} 7\n"),
            std::string::npos)
      << text;
}

TEST(RunnerStats, StatisticsThatDoNotParseLeaveTheGaugeAsItWas) {
  syn::runner::stats s;
  s.update_lag(statistics);
  s.update_lag("{not json");
  s.update_lag(R"({"topics": 3})");
  EXPECT_EQ(s.lag().size(), 2U);
  EXPECT_EQ(s.statistics_updates.load(), 1U);
}

}  // namespace
