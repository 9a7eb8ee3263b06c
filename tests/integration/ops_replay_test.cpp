// `syndicate replay` against a real broker: dry run vs --execute for each rewind target (offsets
// read back from the group), refusal while the group has a member, and --to-topic copies.
#include <atomic>

#include "ops_it.hpp"
#include "syn/ops/replay.hpp"

namespace syn::ops::it {
namespace {

class ReplayIT : public OpsIT {
 protected:
  replay_options opts(const std::string& group, const std::string& topic) {
    replay_options o;
    o.common = common_;
    o.group = group;
    o.topic = topic;
    return o;
  }
  outcome replay(const replay_options& o) { return run(run_replay, o); }
};

TEST_F(ReplayIT, ToOffsetDryRunChangesNothingExecuteCommits) {
  const auto topic = make_topic("replay", 2);
  produce_n(topic, 0, 10);
  produce_n(topic, 1, 10);
  const auto group = unique("group");
  commit(group, {{topic, 0, 10, std::nullopt}, {topic, 1, 10, std::nullopt}});

  auto o = opts(group, topic);
  o.to_offset = 3;
  const auto dry = replay(o);
  ASSERT_EQ(dry.rc, 0) << dry.err;
  const auto j = dry.json();
  EXPECT_EQ(j["applied"], false);
  EXPECT_EQ(j["totalRedelivered"], 14);
  ASSERT_EQ(j["partitions"].size(), 2U);
  EXPECT_EQ(j["partitions"][0]["current"], 10);
  EXPECT_EQ(j["partitions"][0]["new"], 3);
  EXPECT_EQ(j["partitions"][0]["redelivered"], 7);
  EXPECT_EQ(committed(group, topic), (std::map<std::int32_t, std::int64_t>{{0, 10}, {1, 10}}));

  o.execute = true;
  const auto done = replay(o);
  ASSERT_EQ(done.rc, 0) << done.err;
  EXPECT_EQ(done.json()["applied"], true);
  EXPECT_EQ(committed(group, topic), (std::map<std::int32_t, std::int64_t>{{0, 3}, {1, 3}}));

  // The human table, too.
  o.execute = false;
  o.common.json = false;
  o.to_offset = 0;
  const auto table = replay(o);
  ASSERT_EQ(table.rc, 0) << table.err;
  EXPECT_NE(table.out.find("PARTITION  CURRENT  NEW  REDELIVERED"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("dry run: nothing changed; add --execute"), std::string::npos) << table.out;
}

TEST_F(ReplayIT, ShiftByOnOnePartitionLeavesTheOthers) {
  const auto topic = make_topic("replay", 2);
  produce_n(topic, 0, 10);
  produce_n(topic, 1, 10);
  const auto group = unique("group");
  commit(group, {{topic, 0, 10, std::nullopt}, {topic, 1, 10, std::nullopt}});
  auto o = opts(group, topic);
  o.shift_by = -4;
  o.partitions = {1};
  o.execute = true;
  const auto r = replay(o);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(committed(group, topic), (std::map<std::int32_t, std::int64_t>{{0, 10}, {1, 6}}));
  // Past the log start: clamped.
  o.shift_by = -100;
  ASSERT_EQ(replay(o).rc, 0);
  EXPECT_EQ(committed(group, topic)[1], 0);
}

TEST_F(ReplayIT, ToDatetimeFindsTheFirstRecordAtOrAfterTheTime) {
  const auto topic = make_topic("replay", 1);
  produce_n(topic, 0, 5, "before-");
  std::this_thread::sleep_for(1500ms);
  const auto t = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  std::this_thread::sleep_for(100ms);
  produce_n(topic, 0, 5, "after-");
  const auto group = unique("group");
  commit(group, {{topic, 0, 10, std::nullopt}});

  auto o = opts(group, topic);
  o.to_datetime = in_plus_eight(t);  // e.g. 2025-...T...+08:00
  const auto dry = replay(o);
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_EQ(dry.json()["partitions"][0]["new"], 5) << dry.out;
  EXPECT_EQ(committed(group, topic)[0], 10);
  o.execute = true;
  ASSERT_EQ(replay(o).rc, 0);
  EXPECT_EQ(committed(group, topic)[0], 5);

  // A time after every record: the end.
  o.to_datetime = in_plus_eight(t + 3600 * 1000);
  ASSERT_EQ(replay(o).rc, 0);
  EXPECT_EQ(committed(group, topic)[0], 10);
}

TEST_F(ReplayIT, EarliestAndLatest) {
  const auto topic = make_topic("replay", 1);
  produce_n(topic, 0, 4);
  const auto group = unique("group");
  commit(group, {{topic, 0, 2, std::nullopt}});
  auto o = opts(group, topic);
  o.execute = true;
  o.to_latest = true;
  ASSERT_EQ(replay(o).rc, 0);
  EXPECT_EQ(committed(group, topic)[0], 4);
  o.to_latest = false;
  o.to_earliest = true;
  ASSERT_EQ(replay(o).rc, 0);
  EXPECT_EQ(committed(group, topic)[0], 0);
}

TEST_F(ReplayIT, IssueRewindsOnlyTheIssuesPartitionToItsFirstRecord) {
  const int partitions = 3;
  const auto topic = make_topic("replay", partitions);
  const std::string issue = "cjrb-20240130";
  const auto p = kafka::partition_for(issue, partitions);
  // Other issues first on that partition, then the issue's articles, then more of another issue.
  std::vector<to_send> recs;
  for (int i = 0; i < 3; ++i)
    recs.push_back({p, "cjrb-20240129-01-0" + std::to_string(i), "x", {{"issue-id", "cjrb-20240129"}}});
  for (int i = 1; i <= 4; ++i)
    recs.push_back({p, "cjrb-20240130-01-0" + std::to_string(i), "y", {{"issue-id", issue}}});
  for (int i = 0; i < 2; ++i)
    recs.push_back({p, "cjrb-20240131-01-0" + std::to_string(i), "z", {{"issue-id", "cjrb-20240131"}}});
  produce(topic, recs);
  const auto other = (p + 1) % partitions;
  produce_n(topic, other, 5);
  const auto group = unique("group");
  commit(group, {{topic, p, 9, std::nullopt}, {topic, other, 5, std::nullopt}});

  auto o = opts(group, topic);
  o.issue = issue;
  const auto dry = replay(o);
  ASSERT_EQ(dry.rc, 0) << dry.err;
  const auto j = dry.json();
  ASSERT_EQ(j["partitions"].size(), 3U);
  EXPECT_EQ(j["partitions"][p]["new"], 3);
  EXPECT_EQ(j["partitions"][p]["redelivered"], 6);
  EXPECT_EQ(j["partitions"][other]["changes"], false);
  o.execute = true;
  const auto done = replay(o);
  ASSERT_EQ(done.rc, 0) << done.err;
  EXPECT_EQ(committed(group, topic), (std::map<std::int32_t, std::int64_t>{{p, 3}, {other, 5}}));

  o.issue = "cjrb-19990101";
  const auto missing = replay(o);
  EXPECT_EQ(missing.rc, 1);
  EXPECT_NE(missing.err.find("issue cjrb-19990101 has no committed record"), std::string::npos)
      << missing.err;
}

TEST_F(ReplayIT, RefusesWhileTheGroupHasAnActiveMember) {
  const auto topic = make_topic("replay", 1);
  produce_n(topic, 0, 6);
  const auto group = unique("group");
  commit(group, {{topic, 0, 6, std::nullopt}});

  std::atomic<bool> assigned{false};
  kafka::consumer_options co;
  co.group_id = group;
  co.hooks.on_assigned = [&](std::span<const kafka::topic_partition>) { assigned = true; };
  auto member = kafka::consumer::create(cfg_, std::move(co));
  ASSERT_TRUE(member) << member.error().to_string();
  const std::vector<std::string> topics{topic};
  ASSERT_TRUE(member.value().subscribe(topics));
  const auto until = kafka::after(45s);
  while (!assigned && kafka::clock::now() < until) (void)member.value().poll(100ms);
  ASSERT_TRUE(assigned) << "the member was not assigned a partition within 45 s";

  auto o = opts(group, topic);
  o.to_offset = 1;
  o.execute = true;
  const auto refused = replay(o);
  EXPECT_EQ(refused.rc, 1);
  EXPECT_NE(
      refused.err.find("refusing to rewind group " + group + ": it has 1 active member(s) (state Stable"),
      std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("Nothing was changed."), std::string::npos) << refused.err;
  EXPECT_EQ(committed(group, topic)[0], 6);

  // The dry run still works while the member runs.
  o.execute = false;
  EXPECT_EQ(replay(o).rc, 0);

  ASSERT_TRUE(member.value().close(kafka::after(20s)));
  o.execute = true;
  const auto done = replay(o);
  ASSERT_EQ(done.rc, 0) << done.err;
  EXPECT_EQ(committed(group, topic)[0], 1);
}

TEST_F(ReplayIT, CopyToTopicKeepsKeysPartitionsHeadersAndAddsReplayedFrom) {
  const auto src = make_topic("copy-src", 2);
  const auto dst = make_topic("copy-dst", 2);
  for (std::int32_t p = 0; p < 2; ++p) {
    std::vector<to_send> recs;
    for (int i = 0; i < 5; ++i) {
      recs.push_back(
          {p,
           "key-" + std::to_string(p) + "-" + std::to_string(i),
           "value-" + std::to_string(i),
           {{"schema", "syndication.v1.Article"}, {"issue-id", "cjrb-20240130"}, {"language", "zh-Hans"}}});
    }
    produce(src, recs);
  }
  replay_options o;
  o.common = common_;
  o.topic = src;
  o.to_topic = dst;
  o.from_offset = 1;
  o.to_offset = 4;  // exclusive: offsets 1, 2, 3 of each partition

  const auto dry = replay(o);
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_EQ(dry.json()["records"], 6);
  EXPECT_TRUE(read_all(dst, 2, 1, 3s).empty()) << "a dry run copied records";

  o.execute = true;
  const auto done = replay(o);
  ASSERT_EQ(done.rc, 0) << done.err;
  EXPECT_EQ(done.json()["delivered"], 6);
  const auto got = read_all(dst, 2, 6);
  ASSERT_EQ(got.size(), 6U);
  for (const auto& r : got) {
    const auto from = r.header("replayed-from");
    ASSERT_FALSE(from.empty());
    // replayed-from = <src>/<partition>/<offset>, the same partition, and the key of that offset.
    const auto expect_prefix = src + "/" + std::to_string(r.partition) + "/";
    ASSERT_EQ(from.rfind(expect_prefix, 0), 0U) << from;
    const auto src_offset = std::stoi(from.substr(expect_prefix.size()));
    EXPECT_GE(src_offset, 1);
    EXPECT_LE(src_offset, 3);
    EXPECT_EQ(r.key, "key-" + std::to_string(r.partition) + "-" + std::to_string(src_offset));
    EXPECT_EQ(r.value, "value-" + std::to_string(src_offset));
    EXPECT_EQ(r.header("schema"), "syndication.v1.Article");
    EXPECT_EQ(r.header("issue-id"), "cjrb-20240130");
    EXPECT_EQ(r.header("language"), "zh-Hans");
    EXPECT_EQ(r.headers.back().first, "replayed-from");
  }
}

TEST_F(ReplayIT, CopyOfAnIssueReadsCommittedOnlyAndRehashesOnADifferentPartitionCount) {
  const auto src = make_topic("copy-src", 2);
  const auto dst = make_topic("copy-dst", 3);
  const std::string issue = "cjrb-20240130";
  const auto p = kafka::partition_for(issue, 2);

  // An aborted transaction with a record of the issue: never copied (read_committed).
  {
    kafka::producer_options po;
    po.transactional_id = unique("txn");
    auto tx = kafka::producer::create(cfg_, po);
    ASSERT_TRUE(tx) << tx.error().to_string();
    ASSERT_TRUE(tx.value().init_transactions(kafka::after(30s)));
    ASSERT_TRUE(tx.value().begin_transaction());
    const std::array<kafka::header, 1> hs{{{"issue-id", issue}}};
    ASSERT_TRUE(tx.value().send({src, "aborted", "aborted", hs, p, std::nullopt}, kafka::after(10s)));
    ASSERT_TRUE(tx.value().flush(kafka::after(10s)).complete());
    ASSERT_TRUE(tx.value().abort_transaction(kafka::after(30s)));
  }
  produce(src, {{p, "cjrb-20240130-01-01", "a1", {{"issue-id", issue}}},
                {p, "cjrb-20240129-01-01", "other", {{"issue-id", "cjrb-20240129"}}},
                {p, "cjrb-20240130-01-02", "a2", {{"issue-id", issue}}}});

  replay_options o;
  o.common = common_;
  o.topic = src;
  o.to_topic = dst;
  o.issue = issue;
  o.execute = true;
  const auto done = replay(o);
  ASSERT_EQ(done.rc, 0) << done.err;
  const auto j = done.json();
  EXPECT_EQ(j["records"], 2) << done.out;
  EXPECT_EQ(j["skipped"], 1) << done.out;
  const auto got = read_all(dst, 3, 2);
  ASSERT_EQ(got.size(), 2U);
  const auto want_partition = kafka::partition_for(issue, 3);
  std::set<std::string> keys;
  for (const auto& r : got) {
    EXPECT_EQ(r.partition, want_partition);
    keys.insert(r.key);
  }
  EXPECT_EQ(keys, (std::set<std::string>{"cjrb-20240130-01-01", "cjrb-20240130-01-02"}));
  EXPECT_TRUE(read_all(dst, 3, 3, 2s).size() == 2U) << "an aborted or other-issue record was copied";
}

TEST_F(ReplayIT, UnknownTopicIsOneClearLine) {
  auto o = opts(unique("group"), unique("missing"));
  o.to_latest = true;
  const auto r = replay(o);
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace syn::ops::it
