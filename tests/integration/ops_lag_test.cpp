// `syndicate lag` against a real broker: produce N, commit M, read the numbers back.
#include "ops_it.hpp"
#include "syn/ops/lag.hpp"

namespace syn::ops::it {
namespace {

class LagIT : public OpsIT {};

TEST_F(LagIT, CommittedEndAndLagPerPartitionWithATotal) {
  const auto topic = make_topic("lag", 3);
  produce_n(topic, 0, 6);
  produce_n(topic, 1, 4);
  // partition 2 stays empty
  const auto group = unique("group");
  commit(group, {{topic, 0, 2, std::nullopt}, {topic, 2, 0, std::nullopt}});
  const auto idle = unique("idle");

  lag_options o;
  o.common = common_;
  o.groups = {group, idle};
  const auto r = run(run_lag, o);
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = r.json();
  ASSERT_EQ(j["groups"].size(), 2U);
  const auto& g = j["groups"][0];
  EXPECT_EQ(g["group"], group);
  EXPECT_EQ(g["members"], 0);
  ASSERT_EQ(g["partitions"].size(), 3U);
  EXPECT_EQ(g["partitions"][0]["committed"], 2);
  EXPECT_EQ(g["partitions"][0]["end"], 6);
  EXPECT_EQ(g["partitions"][0]["lag"], 4);
  EXPECT_TRUE(g["partitions"][1]["committed"].is_null());
  EXPECT_EQ(g["partitions"][1]["end"], 4);
  EXPECT_TRUE(g["partitions"][1]["lag"].is_null());
  EXPECT_EQ(g["partitions"][2]["lag"], 0);
  EXPECT_EQ(g["totalLag"], 4);
  // A group that never committed: no partitions, no total.
  EXPECT_EQ(j["groups"][1]["group"], idle);
  EXPECT_EQ(j["groups"][1]["partitions"].size(), 0U);
  EXPECT_TRUE(j["groups"][1]["totalLag"].is_null());

  // Commit more: the lag follows.
  commit(group, {{topic, 0, 6, std::nullopt}, {topic, 1, 1, std::nullopt}});
  o.common.json = false;
  const auto t = run(run_lag, o);
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_NE(t.out.find(topic + "          0          6    6    0"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(topic + "          1          1    4    3"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("total"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(idle + "  "), std::string::npos) << t.out;

  // --topic shows a topic the group has not committed on, every partition with `-`.
  o.common.json = true;
  o.groups = {idle};
  o.topics = {topic};
  const auto forced = run(run_lag, o).json();
  ASSERT_EQ(forced["groups"][0]["partitions"].size(), 3U);
  EXPECT_TRUE(forced["groups"][0]["partitions"][0]["committed"].is_null());
  EXPECT_EQ(forced["groups"][0]["partitions"][0]["end"], 6);
}

// Regression: a group that consumed every record of a transactional topic commits the offset after
// the last record, which is the transaction's commit marker; Kafka counts that as lag 1. lag says
// the group is caught up.
TEST_F(LagIT, ATransactionMarkerAloneIsCaughtUp) {
  const auto topic = make_topic("lag", 1);
  kafka::producer_options po;
  po.transactional_id = unique("txn");
  auto tx = kafka::producer::create(cfg_, po);
  ASSERT_TRUE(tx) << tx.error().to_string();
  ASSERT_TRUE(tx.value().init_transactions(kafka::after(30s)));
  auto reports = tx.value().transact(kafka::after(60s), [&](kafka::producer& p) -> kafka::result<void> {
    for (int i = 0; i < 3; ++i) {
      const std::string k = "k" + std::to_string(i);
      BOOST_OUTCOME_TRY(p.send({topic, k, "v", {}, 0, std::nullopt}, kafka::after(10s)));
    }
    return kafka::success();
  });
  ASSERT_TRUE(reports) << reports.error().to_string();
  const auto group = unique("group");
  commit(group, {{topic, 0, 3, std::nullopt}});  // after record 2: the marker's offset

  lag_options o;
  o.common = common_;
  o.groups = {group};
  auto j = run(run_lag, o).json();
  const auto& row = j["groups"][0]["partitions"][0];
  EXPECT_EQ(row["end"], 4);
  EXPECT_EQ(row["lag"], 1);
  EXPECT_EQ(row["caughtUp"], true);
  o.common.json = false;
  const auto t = run(run_lag, o);
  EXPECT_NE(t.out.find("1*\n"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("* transaction markers or aborted records only"), std::string::npos) << t.out;

  commit(group, {{topic, 0, 2, std::nullopt}});
  o.common.json = true;
  j = run(run_lag, o).json();
  EXPECT_EQ(j["groups"][0]["partitions"][0]["lag"], 2);
  EXPECT_EQ(j["groups"][0]["partitions"][0]["caughtUp"], false);
}

TEST_F(LagIT, DefaultsToTheFourConfiguredGroups) {
  lag_options o;
  o.common = common_;
  const auto r = run(run_lag, o);
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = r.json();
  ASSERT_EQ(j["groups"].size(), 4U);
  EXPECT_EQ(j["groups"][0]["group"], "syndicate-feed");
  EXPECT_EQ(j["groups"][1]["group"], "syndicate-archive");
  EXPECT_EQ(j["groups"][2]["group"], "syndicate-translation");
  EXPECT_EQ(j["groups"][3]["group"], "syndicate-translator");
}

}  // namespace
}  // namespace syn::ops::it
