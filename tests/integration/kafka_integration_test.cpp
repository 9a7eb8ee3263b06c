// The Kafka client layer against a real broker (Apache Kafka 4.x, KRaft, deploy/kafka/kafka.sh),
// at $SYN_TEST_BOOTSTRAP. Every test uses its own random topic/group/transactional.id names and
// gives every wait a deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "syn/core/kafka/admin.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/kafka/partitioner.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::kafka {
namespace {

using namespace std::chrono_literals;

std::string random_suffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 10; ++i) s += hex[rng() % 16];
  return s;
}

std::string unique(const std::string& what) { return "syn-it-" + what + "-" + random_suffix(); }

class KafkaIT : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* b = std::getenv("SYN_TEST_BOOTSTRAP");
    ASSERT_TRUE(b != nullptr && *b != '\0')
        << "SYN_TEST_BOOTSTRAP is not set: integration tests need a real broker, e.g. "
           "`bash deploy/kafka/kafka.sh start --port 19092` and SYN_TEST_BOOTSTRAP=127.0.0.1:19092";
    cfg_.bootstrap_servers = b;
  }

  void TearDown() override {
    if (created_.empty()) return;
    auto a = admin::create(cfg_);
    if (a) (void)a.value().delete_topics(created_, after(20s));
  }

  /// Creates a topic with `partitions` partitions; deleted after the test.
  std::string make_topic(const std::string& what, int partitions) {
    auto a = admin::create(cfg_);
    EXPECT_TRUE(a) << a.error().to_string();
    const config::topic_config t{unique(what), partitions, 1, {}};
    auto r = a.value().create_topics(std::span(&t, 1), after(30s));
    EXPECT_TRUE(r) << r.error().to_string();
    created_.push_back(t.name);
    return t.name;
  }

  consumer make_consumer(const std::string& topic, rebalance_hooks hooks = {}) {
    consumer_options o;
    o.group_id = last_group_ = unique("group");
    o.hooks = std::move(hooks);
    auto c = consumer::create(cfg_, std::move(o));
    EXPECT_TRUE(c) << c.error().to_string();
    const std::vector<std::string> topics{topic};
    auto s = c.value().subscribe(topics);
    EXPECT_TRUE(s) << s.error().to_string();
    return std::move(c).value();
  }

  /// Polls until `stop` says so or `d`; returns (topic-less) copies of what came.
  struct seen {
    std::string key, value;
    std::int32_t partition;
    std::int64_t offset;
    std::map<std::string, std::string> headers;
  };
  template <class Stop>
  std::vector<seen> consume_until(consumer& c, deadline d, Stop stop) {
    std::vector<seen> out;
    while (clock::now() < d) {
      auto m = c.poll(200ms);
      EXPECT_TRUE(m) << m.error().to_string();
      if (!m || !m.value()) continue;
      const auto& msg = *m.value();
      seen s{std::string(msg.key()), std::string(msg.value()), msg.partition(), msg.offset(), {}};
      for (const auto& h : msg.headers()) s.headers[std::string(h.name)] = std::string(h.value);
      out.push_back(std::move(s));
      if (stop(out.back())) break;
    }
    return out;
  }

  config::kafka_config cfg_;
  std::vector<std::string> created_;
  std::string last_group_;
};

syndication::v1::Article sample_article(const std::string& issue_id) {
  syndication::v1::Article a;
  a.set_id(issue_id + "-01-03");
  a.set_issue_id(issue_id);
  a.set_sequence(3);
  a.set_page(1);
  a.set_kicker("典范地州·典范行动");
  a.set_headline("昌吉州：推动安全发展");
  auto* c = a.add_contributors();
  c->set_name("刘茜");
  c->set_role(syndication::v1::Contributor::REPORTER);
  auto* b = a.add_blocks();
  b->set_kind(syndication::v1::Block::PARAGRAPH);
  b->set_text("本报讯 记者刘茜报道：……");
  a.set_dateline_lead(true);
  a.set_language("zh-Hans");
  a.set_paper("cjrb");
  a.set_issue_date("2024-01-30");
  return a;
}

// An Article published in a committed transaction reaches a read_committed group consumer with
// its key, headers and bytes intact, on the partition of its issue id.
TEST_F(KafkaIT, ArticleRoundTripsThroughCommittedTransaction) {
  const auto topic = make_topic("articles", 3);
  const std::string issue_id = "cjrb-" + random_suffix();
  const auto article = sample_article(issue_id);
  const std::string bytes = article.SerializeAsString();

  auto p = producer::create(cfg_, {.client_id = "it-producer", .transactional_id = unique("txn")});
  ASSERT_TRUE(p) << p.error().to_string();
  auto& prod = p.value();
  auto init = prod.init_transactions(after(30s));
  ASSERT_TRUE(init) << init.error().to_string();

  const std::vector<header> headers{{"content-type", "application/x-protobuf"},
                                    {"schema", "syndication.v1.Article"},
                                    {"issue-id", issue_id},
                                    {"language", "zh-Hans"}};
  auto reports = prod.transact(after(60s), [&](producer& tx) -> result<void> {
    auto id = tx.send(
        {.topic = topic, .key = article.id(), .value = bytes, .headers = headers, .partition_key = issue_id},
        after(10s));
    if (!id) return id.error();
    return success();
  });
  ASSERT_TRUE(reports) << reports.error().to_string();
  ASSERT_EQ(reports.value().size(), 1U);
  const auto& rep = reports.value().front();
  EXPECT_FALSE(rep.err.has_value());
  EXPECT_EQ(rep.topic, topic);
  EXPECT_EQ(rep.partition, partition_for(issue_id, 3));
  EXPECT_GE(rep.offset, 0);

  std::vector<topic_partition> assigned;
  auto c = make_consumer(
      topic,
      {.on_assigned = [&](std::span<const topic_partition> tps) { assigned.assign(tps.begin(), tps.end()); },
       .on_revoked = {}});
  auto got = consume_until(c, after(60s), [](const seen&) { return true; });
  ASSERT_EQ(got.size(), 1U) << "the committed record did not arrive within 60s";
  EXPECT_EQ(assigned.size(), 3U) << "on_assigned hook did not report the 3 partitions";
  const auto& m = got.front();
  EXPECT_EQ(m.key, article.id());
  EXPECT_EQ(m.partition, rep.partition);
  EXPECT_EQ(m.offset, rep.offset);
  EXPECT_EQ(m.headers.at("content-type"), "application/x-protobuf");
  EXPECT_EQ(m.headers.at("schema"), "syndication.v1.Article");
  EXPECT_EQ(m.headers.at("issue-id"), issue_id);
  EXPECT_EQ(m.headers.at("language"), "zh-Hans");
  syndication::v1::Article decoded;
  ASSERT_TRUE(decoded.ParseFromString(m.value));
  EXPECT_EQ(decoded.SerializeAsString(), bytes);
  EXPECT_EQ(decoded.headline(), article.headline());
  EXPECT_EQ(decoded.contributors(0).name(), "刘茜");

  // Commit the processed offset and read it back (consumer and admin view).
  const partition_offset next{topic, m.partition, m.offset + 1, std::nullopt};
  auto commit = c.commit(std::span(&next, 1), after(10s));
  ASSERT_TRUE(commit) << commit.error().to_string();
  const topic_partition tp{topic, m.partition};
  auto committed = c.committed(std::span(&tp, 1), after(10s));
  ASSERT_TRUE(committed) << committed.error().to_string();
  EXPECT_EQ(committed.value().at(0).offset, m.offset + 1);
  auto wm = c.watermark_offsets(topic, m.partition, after(10s));
  ASSERT_TRUE(wm) << wm.error().to_string();
  EXPECT_GT(wm.value().high, m.offset);  // the commit marker follows the record
  auto closed = c.close(after(15s));
  EXPECT_TRUE(closed) << closed.error().to_string();
}

// A record in an aborted transaction is never delivered to read_committed consumers; the record
// committed after it is (so the test cannot pass by seeing nothing).
TEST_F(KafkaIT, AbortedTransactionIsNeverSeen) {
  const auto topic = make_topic("abort", 1);
  auto p = producer::create(cfg_, {.client_id = "it-producer", .transactional_id = unique("txn")});
  ASSERT_TRUE(p) << p.error().to_string();
  auto& prod = p.value();
  ASSERT_TRUE(prod.init_transactions(after(30s)));

  ASSERT_TRUE(prod.begin_transaction());
  auto s1 = prod.send({.topic = topic, .key = "aborted", .value = "must never be seen"}, after(10s));
  ASSERT_TRUE(s1) << s1.error().to_string();
  ASSERT_TRUE(prod.flush(after(10s)).complete());  // on the broker, inside the open transaction
  auto ab = prod.abort_transaction(after(30s));
  ASSERT_TRUE(ab) << ab.error().to_string();

  auto ok = prod.transact(after(60s), [&](producer& tx) -> result<void> {
    auto id = tx.send({.topic = topic, .key = "committed", .value = "seen"}, after(10s));
    if (!id) return id.error();
    return success();
  });
  ASSERT_TRUE(ok) << ok.error().to_string();

  auto c = make_consumer(topic);
  auto got = consume_until(c, after(60s), [](const seen& s) { return s.key == "committed"; });
  ASSERT_FALSE(got.empty()) << "the committed record did not arrive within 60s";
  EXPECT_EQ(got.back().key, "committed");
  for (const auto& s : got) EXPECT_NE(s.key, "aborted") << "aborted record delivered at offset " << s.offset;
  EXPECT_GT(got.back().offset, 1) << "the aborted record and its abort marker precede it";
}

// Creating the same topics twice: the second time they are reported as existing, with the
// partition counts they were created with; their configs are on the broker.
TEST_F(KafkaIT, TopicCreationIsIdempotent) {
  auto a = admin::create(cfg_);
  ASSERT_TRUE(a) << a.error().to_string();
  std::vector<config::topic_config> topics{{unique("issues"), 2, 1, {{"cleanup.policy", "compact"}}},
                                           {unique("articles"), 3, 1, {{"retention.ms", "-1"}}}};
  for (const auto& t : topics) created_.push_back(t.name);

  auto first = a.value().create_topics(topics, after(30s));
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_EQ(first.value().size(), 2U);
  for (std::size_t i = 0; i < topics.size(); ++i) {
    EXPECT_TRUE(first.value()[i].created) << topics[i].name;
    EXPECT_EQ(first.value()[i].partitions, topics[i].partitions);
  }

  auto second = a.value().create_topics(topics, after(30s));
  ASSERT_TRUE(second) << second.error().to_string();
  ASSERT_EQ(second.value().size(), 2U);
  for (std::size_t i = 0; i < topics.size(); ++i) {
    EXPECT_FALSE(second.value()[i].created) << topics[i].name << " reported created twice";
    EXPECT_EQ(second.value()[i].partitions, topics[i].partitions);
  }

  auto listed = a.value().list_topics(after(10s));
  ASSERT_TRUE(listed) << listed.error().to_string();
  std::map<std::string, std::size_t> counts;
  for (const auto& t : listed.value()) counts[t.name] = t.partitions.size();
  EXPECT_EQ(counts[topics[0].name], 2U);
  EXPECT_EQ(counts[topics[1].name], 3U);

  auto cfg = a.value().describe_topic_config(topics[0].name, after(10s));
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  bool found = false;
  for (const auto& e : cfg.value()) {
    if (e.name == "cleanup.policy") {
      found = true;
      EXPECT_EQ(e.value, "compact");
      EXPECT_FALSE(e.is_default);
    }
  }
  EXPECT_TRUE(found) << "DescribeConfigs returned no cleanup.policy";
}

// consume-transform-produce: the input offsets committed with the output transaction become the
// group's committed offsets (send_offsets_to_transaction), readable by the admin helper for lag.
TEST_F(KafkaIT, OffsetsSentToTransactionBecomeCommitted) {
  const auto in = make_topic("in", 1);
  const auto out = make_topic("out", 1);
  {
    auto seed = producer::create(cfg_, {});
    ASSERT_TRUE(seed) << seed.error().to_string();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(seed.value().send({.topic = in, .key = "k" + std::to_string(i), .value = "v"}, after(10s)));
    }
    ASSERT_TRUE(seed.value().flush(after(20s)).complete());
    auto reports = seed.value().take_delivery_reports();
    ASSERT_EQ(reports.size(), 3U);
    for (std::size_t i = 0; i < reports.size(); ++i) {
      EXPECT_FALSE(reports[i].err.has_value());
      EXPECT_EQ(reports[i].offset, static_cast<std::int64_t>(i)) << "idempotent producer: offsets in order";
    }
  }
  auto c = make_consumer(in);
  auto got = consume_until(c, after(60s), [n = 0](const seen&) mutable { return ++n == 3; });
  ASSERT_EQ(got.size(), 3U);

  auto p = producer::create(cfg_, {.client_id = "it-ctp", .transactional_id = unique("txn")});
  ASSERT_TRUE(p) << p.error().to_string();
  ASSERT_TRUE(p.value().init_transactions(after(30s)));
  auto gm = c.group_metadata_for_txn();
  ASSERT_TRUE(gm);
  const partition_offset next{in, 0, got.back().offset + 1, std::nullopt};
  auto r = p.value().transact(after(60s), [&](producer& tx) -> result<void> {
    for (const auto& s : got) {
      auto id = tx.send({.topic = out, .key = s.key, .value = s.value + "-transformed"}, after(10s));
      if (!id) return id.error();
    }
    return tx.send_offsets_to_transaction(std::span(&next, 1), gm.value(), after(20s));
  });
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r.value().size(), 3U);

  const topic_partition tp{in, 0};
  auto committed = c.committed(std::span(&tp, 1), after(10s));
  ASSERT_TRUE(committed) << committed.error().to_string();
  EXPECT_EQ(committed.value().at(0).offset, 3);

  auto a = admin::create(cfg_);
  ASSERT_TRUE(a) << a.error().to_string();
  auto offsets = a.value().group_offsets(last_group_, after(10s));
  ASSERT_TRUE(offsets) << offsets.error().to_string();
  ASSERT_EQ(offsets.value().size(), 1U);
  EXPECT_EQ(offsets.value()[0].topic, in);
  EXPECT_EQ(offsets.value()[0].offset, 3);
}

// Regression: an unbounded synchronous commit (rd_kafka_commit(async=0)) or flush hangs for as
// long as the coordinator is unreachable. Pointed at 127.0.0.1:1 (nothing listens), commit,
// committed, flush and close must each give up by their deadline, with one clear error.
TEST(KafkaUnreachable, CommitGivesUpWithinItsDeadline) {
  config::kafka_config cfg;
  cfg.bootstrap_servers = "127.0.0.1:1";
  auto c = consumer::create(cfg, {.group_id = unique("group"), .client_id = "it-unreachable", .hooks = {}});
  ASSERT_TRUE(c) << c.error().to_string();
  const partition_offset off{"syn-it-nowhere", 0, 5, std::nullopt};

  auto t0 = clock::now();
  auto r = c.value().commit(std::span(&off, 1), after(2s));
  auto took = clock::now() - t0;
  ASSERT_FALSE(r) << "a commit to an unreachable broker succeeded";
  EXPECT_EQ(r.error().code(), make_error_code(errc::timed_out));
  EXPECT_NE(r.error().message().find("cannot reach 127.0.0.1:1"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("connection refused"), std::string::npos) << r.error().message();
  EXPECT_LT(took, 3s) << "commit overran its 2s deadline";
  EXPECT_GE(took, 1900ms);

  t0 = clock::now();
  const topic_partition tp{"syn-it-nowhere", 0};
  auto committed = c.value().committed(std::span(&tp, 1), after(1s));
  EXPECT_FALSE(committed);
  EXPECT_LT(clock::now() - t0, 2s);

  t0 = clock::now();
  auto closed = c.value().close(after(2s));
  EXPECT_LT(clock::now() - t0, 3s) << "close overran its deadline";
  (void)closed;

  auto p = producer::create(cfg, {});
  ASSERT_TRUE(p);
  ASSERT_TRUE(
      p.value().send({.topic = "syn-it-nowhere", .key = "k", .value = "v", .partition = 0}, after(1s)));
  t0 = clock::now();
  auto f = p.value().flush(after(2s));
  EXPECT_LT(clock::now() - t0, 3s) << "flush overran its deadline";
  EXPECT_EQ(f.undelivered, 1U);
}

}  // namespace
}  // namespace syn::kafka
