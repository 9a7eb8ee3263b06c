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

/// librdkafka statistics of a group member with partitions of t.articles assigned; `%1` is
/// the consumer group state, `%2` the state of broker 2 (leader of partition 1), `%3` the leader
/// of partition 2.
std::string member_statistics(const std::string& cgrp, const std::string& broker2, int leader2) {
  return R"({"name": "syndicate-archive#consumer-1", "type": "consumer",
  "brokers": {
    "127.0.0.1:9092/1": {"name": "127.0.0.1:9092/1", "nodeid": 1, "source": "learned", "state": "UP"},
    "127.0.0.1:9094/2": {"name": "127.0.0.1:9094/2", "nodeid": 2, "source": "learned", "state": ")" +
         broker2 + R"("},
    "127.0.0.1:9096/3": {"name": "127.0.0.1:9096/3", "nodeid": 3, "source": "learned", "state": "DOWN"},
    "GroupCoordinator": {"name": "GroupCoordinator", "nodeid": 1, "source": "logical", "state": "UP"}},
  "topics": {"t.articles": {"topic": "t.articles", "partitions": {
    "0": {"partition": 0, "leader": 1, "fetch_state": "active", "consumer_lag": 0},
    "1": {"partition": 1, "leader": 2, "fetch_state": "active", "consumer_lag": 0},
    "2": {"partition": 2, "leader": )" +
         std::to_string(leader2) + R"(, "fetch_state": "offset-query", "consumer_lag": -1},
    "3": {"partition": 3, "leader": 3, "fetch_state": "none", "consumer_lag": -1},
    "-1": {"partition": -1, "leader": -1, "fetch_state": "none", "consumer_lag": -1}}}},
  "cgrp": {"state": ")" +
         cgrp + R"(", "join_state": "steady", "assignment_size": 3}})";
}

TEST(RunnerStats, ReadyWhileTheCoordinatorAndTheLeadersOfAssignedPartitionsAreUp) {
  syn::runner::stats s;
  EXPECT_FALSE(s.kafka_problem()) << "no statistics yet: nothing known to be wrong";
  // Broker 3 is down, but it leads only a partition this member is not assigned.
  s.take_statistics(member_statistics("up", "UP", 1));
  EXPECT_FALSE(s.kafka_problem()) << *s.kafka_problem();
  EXPECT_NE(syn::runner::prometheus_text(s, "archive").find("syndicate_kafka_ready{sink=\"archive\"} 1\n"),
            std::string::npos);
}

TEST(RunnerStats, NotReadyWhileALeaderIsDownOrMissingOrTheCoordinatorIsGone) {
  syn::runner::stats s;
  s.take_statistics(member_statistics("up", "CONNECT", 1));
  ASSERT_TRUE(s.kafka_problem());
  EXPECT_EQ(*s.kafka_problem(), "t.articles[1]: leader broker 2 is CONNECT");
  EXPECT_NE(syn::runner::prometheus_text(s, "archive").find("syndicate_kafka_ready{sink=\"archive\"} 0\n"),
            std::string::npos);
  s.take_statistics(member_statistics("up", "DOWN", -1));
  ASSERT_TRUE(s.kafka_problem());
  EXPECT_EQ(*s.kafka_problem(), "t.articles[1]: leader broker 2 is DOWN (and 1 more partitions)");
  s.take_statistics(member_statistics("wait-coord", "UP", 1));
  ASSERT_TRUE(s.kafka_problem());
  EXPECT_EQ(*s.kafka_problem(), "group coordinator not connected (consumer group state wait-coord)");
  // Back by itself with the next document that shows everything reachable.
  s.take_statistics(member_statistics("up", "UP", 1));
  EXPECT_FALSE(s.kafka_problem());
}

TEST(RunnerStats, StatisticsThatDoNotParseLeaveReadinessAsItWas) {
  syn::runner::stats s;
  s.take_statistics(member_statistics("up", "DOWN", 1));
  s.take_statistics("{not json");
  s.take_statistics("[]");
  EXPECT_TRUE(s.kafka_problem());
}

TEST(RunnerStats, ReadinessStatisticsComeAtLeastEveryFiveSeconds) {
  using std::chrono::milliseconds;
  EXPECT_EQ(syn::runner::readiness_statistics_interval(milliseconds(15000)), milliseconds(5000));
  EXPECT_EQ(syn::runner::readiness_statistics_interval(milliseconds(500)), milliseconds(500));
  EXPECT_EQ(syn::runner::readiness_statistics_interval(milliseconds(0)), milliseconds(5000));
}

}  // namespace
