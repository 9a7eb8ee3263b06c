// Issue 9, scenario 9: protocol-level faults injected with librdkafka 2.0.2's mock cluster
// (rdkafka_mock.h): request errors on Produce, OffsetCommit, JoinGroup/SyncGroup/Heartbeat,
// delayed responses, and brokers going down and up. The client layer (core/kafka, and the
// consumer runner every sink shares) must recover, or fail with one clear error, as
// docs/KAFKA.md "What the client layer does under faults" says.
//
// Every test ends by counting and prints `scenario: expected N, got N` before it asserts.
// Counts are taken from the mock's log itself (an assigned consumer reading every partition to
// its high watermark), so a duplicate written by a retry would show. The 2.0.2 mock writes no
// transaction markers: records of an ABORTED transaction stay visible in its log, so tests that
// abort count the committed attempt's delivery reports instead (see embedded.hpp).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "syn/core/kafka/consumer.hpp"
#include "syn/core/kafka/embedded.hpp"
#include "syn/core/kafka/partitioner.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/sink.hpp"
#include "syndication/v1/article.pb.h"

namespace syn {
namespace {

using namespace std::chrono_literals;
using kafka::after;

// Request keys of the Kafka protocol (librdkafka's RD_KAFKAP_*, not in its public headers).
constexpr int16_t api_produce = 0;
constexpr int16_t api_offset_commit = 8;
constexpr int16_t api_join_group = 11;
constexpr int16_t api_heartbeat = 12;
constexpr int16_t api_sync_group = 14;
constexpr int16_t api_end_txn = 26;

constexpr int partitions = 3;

/// Prints the scenario line every reliability test prints before it asserts.
void report(const std::string& scenario, std::size_t expected, std::size_t got) {
  std::printf("%s: expected %zu, got %zu\n", scenario.c_str(), expected, got);
  std::fflush(stdout);
}

std::string article_bytes(const std::string& id, const std::string& issue) {
  syndication::v1::Article a;
  a.set_id(id);
  a.set_issue_id(issue);
  a.set_headline("headline " + id);
  a.set_content_sha256(std::string(64, 'a'));
  a.set_language("zh-Hans");
  return a.SerializeAsString();
}

const std::vector<kafka::header>& article_headers() {
  static const std::vector<kafka::header> h{{"content-type", "application/x-protobuf"},
                                            {"schema", "syndication.v1.Article"}};
  return h;
}

/// A sink that remembers every article id it was given (duplicates included).
class counting_sink final : public syn::sink::sink {
 public:
  std::function<void(std::size_t batch_no)> on_write;

  syn::sink::verdict write(std::span<const syn::sink::envelope> batch) override {
    std::lock_guard lock(mu_);
    for (const auto& e : batch) ids_.push_back(std::get<syndication::v1::Article>(e.payload).id());
    if (on_write) on_write(batches_);
    ++batches_;
    return syn::sink::verdict::success();
  }
  [[nodiscard]] std::string_view name() const override { return "counting"; }

  std::vector<std::string> ids() const {
    std::lock_guard lock(mu_);
    return ids_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> ids_;
  std::size_t batches_ = 0;
};

kafka::consumer_options consumer_opts(const std::string& group) {
  kafka::consumer_options o;
  o.group_id = group;
  o.client_id = group;
  return o;
}

std::size_t distinct(const std::vector<std::string>& v) {
  return std::set<std::string>(v.begin(), v.end()).size();
}

class MockFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = kafka::embedded_cluster::create(1);
    ASSERT_TRUE(c) << c.error().to_string();
    cluster_ = c.value();
    cfg_.bootstrap_servers = cluster_->bootstrap();
    cfg_.topics.deadletter.name = "mock.dlq";
    // The 2.0.2 mock holds a member's JoinGroup after a failed SyncGroup until the session
    // timeout (measured: 29 s of 30 s), where a real broker answers once every member rejoined:
    // a short session keeps those waits short. Kafka's own minimum is 6 s.
    cfg_.client["session.timeout.ms"] = "6000";
    cfg_.client["heartbeat.interval.ms"] = "1000";
    // SYN_MOCK_DEBUG=cgrp,protocol...: librdkafka's debug contexts, logged at debug level.
    if (const char* dbg = std::getenv("SYN_MOCK_DEBUG"); dbg != nullptr && *dbg != '\0') {
      cfg_.client["debug"] = dbg;
      spdlog::set_level(spdlog::level::debug);
    }
    ASSERT_TRUE(cluster_->create_topic(topic_, partitions));
    ASSERT_TRUE(cluster_->create_topic(cfg_.topics.deadletter.name, 1));
  }

  rd_kafka_mock_cluster_s* mock() const { return cluster_->mock(); }

  /// Publishes `n` articles (ids `<prefix>-<i>`, 5 per issue) with an idempotent producer.
  void publish(int n, const std::string& prefix) {
    auto p = kafka::producer::create(cfg_, {.client_id = "mock-publisher", .transactional_id = ""});
    ASSERT_TRUE(p) << p.error().to_string();
    for (int i = 0; i < n; ++i) {
      const std::string id = prefix + "-" + std::to_string(i);
      const std::string issue = prefix + "-issue-" + std::to_string(i / 5);
      const std::string value = article_bytes(id, issue);
      auto r = p.value().send(
          {.topic = topic_, .key = id, .value = value, .headers = article_headers(), .partition_key = issue},
          after(10s));
      ASSERT_TRUE(r) << r.error().to_string();
    }
    ASSERT_TRUE(p.value().flush(after(30s)).complete());
    for (const auto& r : p.value().take_delivery_reports()) ASSERT_FALSE(r.err) << r.err->to_string();
  }

  /// Every record key in the mock's log of `topic_`, read to each partition's high watermark.
  std::vector<std::string> log_keys() {
    std::vector<std::string> keys;
    auto c = kafka::consumer::create(cfg_, consumer_opts("mock-log-reader"));
    EXPECT_TRUE(c) << c.error().to_string();
    if (!c) return keys;
    std::vector<kafka::partition_offset> start;
    std::map<std::int32_t, std::int64_t> high;
    for (int p = 0; p < partitions; ++p) {
      auto w = c.value().watermark_offsets(topic_, p, after(10s));
      EXPECT_TRUE(w) << w.error().to_string();
      if (!w) return keys;
      high[p] = w.value().high;
      start.push_back({topic_, p, kafka::offset_beginning, std::nullopt});
    }
    EXPECT_TRUE(c.value().assign(start));
    std::map<std::int32_t, std::int64_t> next;
    auto done = [&] {
      for (auto [p, h] : high) {
        if (h > 0 && next[p] < h) return false;
      }
      return true;
    };
    for (auto d = after(20s); !done() && kafka::clock::now() < d;) {
      auto m = c.value().poll(100ms);
      if (!m || !m.value()) continue;
      keys.emplace_back(m.value()->key());
      next[m.value()->partition()] = m.value()->offset() + 1;
    }
    EXPECT_TRUE(done()) << "the mock's log was not read to its end within 20s";
    return keys;
  }

  /// Sum of the group's committed offsets over `topic_` (0 where none).
  std::int64_t committed_total(const std::string& group) {
    auto c = kafka::consumer::create(cfg_, consumer_opts(group));
    EXPECT_TRUE(c);
    std::vector<kafka::topic_partition> tps;
    for (int p = 0; p < partitions; ++p) tps.push_back({topic_, p});
    auto r = c.value().committed(tps, after(10s));
    EXPECT_TRUE(r) << r.error().to_string();
    std::int64_t sum = 0;
    if (r) {
      for (const auto& po : r.value()) sum += std::max<std::int64_t>(0, po.offset);
    }
    return sum;
  }

  /// Runs a runner over `topic_` until it has caught up (or 60 s pass: then it is stopped and
  /// the test fails). Returns the runner's exit code.
  int consume(const std::string& group, counting_sink& s, runner::stats* out = nullptr,
              std::size_t batch_size = 10) {
    runner::options o;
    o.group_id = group;
    o.topics = {topic_};
    o.batch_size = batch_size;
    o.batch_max_wait = 100ms;
    o.commit_timeout = 5s;
    o.stop_at_end = true;
    runner::runner r(cfg_, o, s);
    std::atomic<bool> finished{false};
    std::thread watchdog([&] {
      for (auto d = after(60s); !finished && kafka::clock::now() < d;) std::this_thread::sleep_for(50ms);
      if (!finished) {
        ADD_FAILURE() << "runner did not catch up within 60s";
        r.stop();
      }
    });
    const int rc = r.run();
    finished = true;
    watchdog.join();
    if (out != nullptr) {
      out->commits = r.counters().commits.load();
      out->errors = r.counters().errors.load();
      out->written = r.counters().written.load();
    }
    return rc;
  }

  std::shared_ptr<kafka::embedded_cluster> cluster_;
  config::kafka_config cfg_;
  std::string topic_ = "mock.articles";
};

// ------------------------------------------------------------------ produce

/// One transaction of `n` records (5 per issue), via transact(). Returns the delivery reports.
kafka::result<std::vector<kafka::delivery_report>> publish_issue_txn(
    kafka::producer& p, const std::string& topic, int n, const std::string& prefix, kafka::deadline d,
    const std::function<void(int)>& between = {}) {
  return p.transact(d, [&](kafka::producer& tx) -> kafka::result<void> {
    for (int i = 0; i < n; ++i) {
      if (between) between(i);
      const std::string id = prefix + "-" + std::to_string(i);
      const std::string issue = prefix + "-issue-" + std::to_string(i / 5);
      const std::string value = article_bytes(id, issue);
      auto r = tx.send(
          {.topic = topic, .key = id, .value = value, .headers = article_headers(), .partition_key = issue},
          after(10s));
      if (!r) return r.error();
    }
    return kafka::success();
  });
}

// Transient Produce errors (leader moved, request timed out, not enough replicas) and a
// response delayed past the client's request timeout (the broker HAS appended the batch; the
// client sends it again): the transactional producer's retries carry the same sequence
// numbers, so the transaction commits once and the log holds every record exactly once.
TEST_F(MockFaults, RetriableProduceErrorsCommitWithoutDuplicates) {
  cfg_.client["socket.timeout.ms"] = "1000";
  cfg_.client["retry.backoff.ms"] = "50";
  auto p =
      kafka::producer::create(cfg_, {.client_id = "mock-txn", .transactional_id = "mock-faults-produce"});
  ASSERT_TRUE(p) << p.error().to_string();
  ASSERT_TRUE(p.value().init_transactions(after(20s)));
  rd_kafka_mock_push_request_errors(mock(), api_produce, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR__TRANSPORT);
  // Broker 1 answers the next Produce after 2.5 s: the client (socket.timeout.ms 1 s) gives up
  // on it and sends the batch again, which the broker has already written.
  ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(mock(), 1, api_produce, 1,
                                                         RD_KAFKA_RESP_ERR_NO_ERROR, 2500),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  const int n = 40;
  auto r = publish_issue_txn(p.value(), topic_, n, "retriable", after(60s));
  ASSERT_TRUE(r) << r.error().to_string();
  std::size_t delivered = 0;
  for (const auto& rep : r.value()) delivered += rep.err ? 0 : 1;
  report("retriable produce errors: records delivered in the committed transaction", n, delivered);
  const auto keys = log_keys();
  report("retriable produce errors: records in the log", n, keys.size());
  report("retriable produce errors: distinct articles in the log", n, distinct(keys));
  EXPECT_EQ(delivered, static_cast<std::size_t>(n));
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(n)) << "a retry wrote a duplicate";
  EXPECT_EQ(distinct(keys), static_cast<std::size_t>(n));
  EXPECT_FALSE(p.value().fatal_error());
}

// A permanent Produce error (authorization) inside a transaction: the transaction cannot
// commit; transact() aborts it and returns one clear, non-fatal error naming the cause, at once
// (a permanent error is not retried). librdkafka then holds the topic in that error state, so
// sends to it fail the same way until its next metadata refresh
// (topic.metadata.refresh.interval.ms, 1 s here, 5 min by default); after that the same
// producer commits again.
TEST_F(MockFaults, PermanentProduceErrorAbortsTheTransactionCleanly) {
  cfg_.client["retry.backoff.ms"] = "50";
  cfg_.client["topic.metadata.refresh.interval.ms"] = "1000";
  auto p = kafka::producer::create(cfg_, {.client_id = "mock-txn", .transactional_id = "mock-faults-denied"});
  ASSERT_TRUE(p) << p.error().to_string();
  ASSERT_TRUE(p.value().init_transactions(after(20s)));
  rd_kafka_mock_push_request_errors(mock(), api_produce, 1, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  const auto t0 = kafka::clock::now();
  auto bad = publish_issue_txn(p.value(), topic_, 5, "denied", after(30s));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(kafka::clock::now() - t0);
  ASSERT_FALSE(bad) << "committed despite TOPIC_AUTHORIZATION_FAILED";
  std::printf("permanent produce error after %lld ms: %s\n", static_cast<long long>(took.count()),
              bad.error().to_string().c_str());
  EXPECT_FALSE(bad.error().fatal()) << bad.error().to_string();
  EXPECT_FALSE(bad.error().retriable()) << bad.error().to_string();
  EXPECT_NE(bad.error().message().find("authorization failed"), std::string::npos)
      << "the error must name the cause: " << bad.error().to_string();
  EXPECT_LT(took, 10s);
  EXPECT_FALSE(p.value().fatal_error());

  // The cause is gone: once librdkafka refreshed the topic's metadata, the same producer commits.
  kafka::result<std::vector<kafka::delivery_report>> good = kafka::error(kafka::errc::timed_out, "not tried");
  const auto t1 = kafka::clock::now();
  for (auto d = after(20s); kafka::clock::now() < d;) {
    good = publish_issue_txn(p.value(), topic_, 5, "after-denied", after(10s));
    if (good) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(good) << "the producer must recover after a metadata refresh: " << good.error().to_string();
  std::printf("permanent produce error: the same producer committed again after %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(kafka::clock::now() - t1).count()));
  report("permanent produce error: records committed by the next transaction", 5, good.value().size());
  EXPECT_EQ(good.value().size(), 5U);
}

// A fenced producer (another instance took the transactional.id: INVALID_PRODUCER_EPOCH on
// Produce) is fatal: transact() returns at once with fatal() set, the producer says so from
// then on, and a NEW producer with the same transactional.id commits.
TEST_F(MockFaults, FencedProducerIsFatalAndANewInstanceCommits) {
  auto p = kafka::producer::create(cfg_, {.client_id = "mock-txn", .transactional_id = "mock-faults-fenced"});
  ASSERT_TRUE(p) << p.error().to_string();
  ASSERT_TRUE(p.value().init_transactions(after(20s)));
  rd_kafka_mock_push_request_errors(mock(), api_produce, 1, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH);
  auto bad = publish_issue_txn(p.value(), topic_, 5, "fenced", after(30s));
  ASSERT_FALSE(bad) << "committed although fenced";
  std::printf("fenced: %s\n", bad.error().to_string().c_str());
  EXPECT_TRUE(bad.error().fatal()) << bad.error().to_string();
  EXPECT_TRUE(p.value().fatal_error().has_value());
  EXPECT_FALSE(p.value().begin_transaction()) << "a fenced producer must refuse new transactions";

  auto q =
      kafka::producer::create(cfg_, {.client_id = "mock-txn-2", .transactional_id = "mock-faults-fenced"});
  ASSERT_TRUE(q);
  ASSERT_TRUE(q.value().init_transactions(after(20s)));
  auto good = publish_issue_txn(q.value(), topic_, 5, "after-fenced", after(30s));
  ASSERT_TRUE(good) << good.error().to_string();
  report("fenced producer: records committed by the new instance", 5, good.value().size());
  EXPECT_EQ(good.value().size(), 5U);
}

// EndTxn fails transiently (coordinator moving): commit_transaction repeats the call until it
// goes through; one transaction, committed once.
TEST_F(MockFaults, RetriableEndTxnErrorsAreRetried) {
  auto p = kafka::producer::create(cfg_, {.client_id = "mock-txn", .transactional_id = "mock-faults-endtxn"});
  ASSERT_TRUE(p) << p.error().to_string();
  ASSERT_TRUE(p.value().init_transactions(after(20s)));
  rd_kafka_mock_push_request_errors(mock(), api_end_txn, 3, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                    RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                                    RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS);
  auto r = publish_issue_txn(p.value(), topic_, 10, "endtxn", after(30s));
  ASSERT_TRUE(r) << r.error().to_string();
  const auto keys = log_keys();
  report("EndTxn errors: records in the log", 10, keys.size());
  EXPECT_EQ(keys.size(), 10U);
}

// ------------------------------------------------------------------ broker down and up

// The only broker goes down in the middle of a transaction and comes back 3 s later: the
// producer's retries wait for it, and the transaction commits whole, once.
TEST_F(MockFaults, BrokerDownBrieflyMidTransactionCommitsWhole) {
  cfg_.client["retry.backoff.ms"] = "100";
  auto p = kafka::producer::create(cfg_, {.client_id = "mock-txn", .transactional_id = "mock-faults-down"});
  ASSERT_TRUE(p) << p.error().to_string();
  ASSERT_TRUE(p.value().init_transactions(after(20s)));
  std::thread up;
  const int n = 30;
  auto r = publish_issue_txn(p.value(), topic_, n, "down", after(60s), [&](int i) {
    if (i == n / 2 && !up.joinable()) {
      p.value().flush(after(5s));  // the first half is on the broker
      rd_kafka_mock_broker_set_down(mock(), 1);
      up = std::thread([this] {
        std::this_thread::sleep_for(3s);
        rd_kafka_mock_broker_set_up(mock(), 1);
      });
    }
  });
  if (up.joinable()) up.join();
  ASSERT_TRUE(r) << r.error().to_string();
  report("broker down 3 s mid-transaction: records delivered in the committed transaction", n,
         r.value().size());
  const auto keys = log_keys();
  report("broker down 3 s mid-transaction: records in the log", n, keys.size());
  report("broker down 3 s mid-transaction: distinct articles in the log", n, distinct(keys));
  EXPECT_EQ(r.value().size(), static_cast<std::size_t>(n));
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(distinct(keys), static_cast<std::size_t>(n));
}

// The broker stays down past the transaction's deadline: transact() returns by its deadline
// with one "cannot reach" / timed-out error and leaves no transaction open, so once the
// broker is back the same producer runs the transaction again and it commits whole.
TEST_F(MockFaults, BrokerDownPastTheDeadlineFailsInTimeThenRetryCommits) {
  cfg_.client["retry.backoff.ms"] = "100";
  auto p = kafka::producer::create(cfg_, {.client_id = "mock-txn", .transactional_id = "mock-faults-outage"});
  ASSERT_TRUE(p) << p.error().to_string();
  ASSERT_TRUE(p.value().init_transactions(after(20s)));
  rd_kafka_mock_broker_set_down(mock(), 1);
  const auto t0 = kafka::clock::now();
  auto bad = publish_issue_txn(p.value(), topic_, 10, "outage", after(6s));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(kafka::clock::now() - t0);
  ASSERT_FALSE(bad) << "committed with the broker down";
  std::printf("broker down: transact gave up after %lld ms: %s\n", static_cast<long long>(took.count()),
              bad.error().to_string().c_str());
  EXPECT_LT(took, 12s) << "transact() must return near its deadline";
  EXPECT_FALSE(bad.error().fatal()) << bad.error().to_string();

  rd_kafka_mock_broker_set_up(mock(), 1);
  auto good = publish_issue_txn(p.value(), topic_, 10, "outage", after(60s));
  ASSERT_TRUE(good) << "after the outage the same producer must commit: " << good.error().to_string();
  report("broker down past the deadline: records in the committed retry", 10, good.value().size());
  EXPECT_EQ(good.value().size(), 10U);
  for (const auto& rep : good.value()) EXPECT_FALSE(rep.err);
}

// The broker goes down for 3 s while the consumer runner is reading, and comes back: the
// runner resumes from where it was (the commit in flight is retried by librdkafka once the
// broker is back), every article reaches the sink exactly once, and every offset is committed.
TEST_F(MockFaults, ConsumerResumesAfterBrokerDownAndUp) {
  // The production session timeout (30 s): a 3 s outage must not cost the assignment. (With
  // 6 s, measured: the session expired, the assignment was lost and the batches whose commits
  // had failed during the outage were delivered again: 80 deliveries of 60 records.)
  cfg_.client["session.timeout.ms"] = "30000";
  cfg_.client["heartbeat.interval.ms"] = "3000";
  const int n = 60;
  publish(n / 2, "resume-a");
  counting_sink s;
  std::thread outage;
  s.on_write = [&](std::size_t batch_no) {
    if (batch_no == 1) {
      rd_kafka_mock_broker_set_down(mock(), 1);
      outage = std::thread([this, n] {
        std::this_thread::sleep_for(3s);
        rd_kafka_mock_broker_set_up(mock(), 1);
        publish(n / 2, "resume-b");  // more arrives after the outage
      });
    }
  };
  runner::options o;
  o.group_id = "mock-resume";
  o.topics = {topic_};
  o.batch_size = 10;
  o.batch_max_wait = 100ms;
  o.commit_timeout = 5s;
  runner::runner r(cfg_, o, s);
  std::thread stopper([&] {
    for (auto d = after(60s); distinct(s.ids()) < static_cast<std::size_t>(n) && kafka::clock::now() < d;) {
      std::this_thread::sleep_for(100ms);
    }
    std::this_thread::sleep_for(500ms);  // let a duplicate show, and the last commit happen
    r.stop();
  });
  EXPECT_EQ(r.run(), 0);
  stopper.join();
  if (outage.joinable()) outage.join();
  const auto ids = s.ids();
  report("broker down and up under the consumer: distinct articles in the sink", n, distinct(ids));
  report("broker down and up under the consumer: deliveries to the sink", n, ids.size());
  EXPECT_EQ(distinct(ids), static_cast<std::size_t>(n));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
  const auto committed = committed_total("mock-resume");
  report("broker down and up under the consumer: offsets committed", n, static_cast<std::size_t>(committed));
  EXPECT_EQ(committed, n);
}

// ------------------------------------------------------------------ consumer group

// OffsetCommit errors while the runner works. Batches 3 and 4 meet transient coordinator errors,
// which librdkafka retries inside the commit; from batch 5 on the coordinator stays unavailable,
// so those commits fail (the runner logs it and goes on). Nothing is lost, and a second runner
// of the group is given again exactly what the first could not commit, and nothing else.
TEST_F(MockFaults, CommitErrorsRedeliverOnlyWhatWasNotCommitted) {
  const int n = 60;
  publish(n, "commit");
  counting_sink first;
  first.on_write = [&](std::size_t batch_no) {
    if (batch_no == 2 || batch_no == 3) {
      rd_kafka_mock_push_request_errors(mock(), api_offset_commit, 2,
                                        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
    } else if (batch_no == 4) {
      std::vector<rd_kafka_resp_err_t> down(1000, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
      rd_kafka_mock_push_request_errors_array(mock(), api_offset_commit, down.size(), down.data());
    }
  };
  runner::stats st1;
  const auto t0 = kafka::clock::now();
  EXPECT_EQ(consume("mock-commit", first, &st1), 0);
  const auto ids1 = first.ids();
  std::printf("commit errors: first consumer: %zu deliveries, %llu commits, %llu errors, %lld ms\n",
              ids1.size(), static_cast<unsigned long long>(st1.commits.load()),
              static_cast<unsigned long long>(st1.errors.load()),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(kafka::clock::now() - t0).count()));
  rd_kafka_mock_clear_request_errors(mock(), api_offset_commit);
  report("commit errors: distinct articles in the sink after the first consumer", n, distinct(ids1));
  EXPECT_EQ(distinct(ids1), static_cast<std::size_t>(n));
  EXPECT_GE(st1.errors.load(), 1U) << "no commit failed: the scenario did not happen";
  const auto committed = committed_total("mock-commit");
  ASSERT_LT(committed, n);

  counting_sink second;
  EXPECT_EQ(consume("mock-commit", second, nullptr), 0);
  const auto ids2 = second.ids();
  report("commit errors: redelivered = records not committed", static_cast<std::size_t>(n - committed),
         ids2.size());
  EXPECT_EQ(static_cast<std::int64_t>(ids2.size()), n - committed);
  EXPECT_GT(ids2.size(), 0U);
  std::vector<std::string> all = ids1;
  all.insert(all.end(), ids2.begin(), ids2.end());
  report("commit errors: distinct articles over both consumers", n, distinct(all));
  EXPECT_EQ(distinct(all), static_cast<std::size_t>(n));
  const auto end = committed_total("mock-commit");
  report("commit errors: offsets committed at the end", n, static_cast<std::size_t>(end));
  EXPECT_EQ(end, n);
}

// JoinGroup, SyncGroup and Heartbeat fail transiently (coordinator loading or moving, a
// rebalance in progress): the consumer joins anyway and reads everything exactly once.
struct group_fault {
  const char* name;
  int16_t api;
  std::vector<rd_kafka_resp_err_t> errors;
};

class MockGroupFaults : public MockFaults, public ::testing::WithParamInterface<group_fault> {};

TEST_P(MockGroupFaults, ConsumerRecoversAndReadsEverythingOnce) {
  const auto& f = GetParam();
  const int n = 40;
  publish(n, "join");
  rd_kafka_mock_push_request_errors_array(mock(), f.api, f.errors.size(), f.errors.data());
  counting_sink s;
  const auto t0 = kafka::clock::now();
  EXPECT_EQ(consume(std::string("mock-") + f.name, s), 0);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(kafka::clock::now() - t0);
  const std::string what = std::string(f.name) + " errors";
  std::printf("%s: caught up after %lld ms\n", what.c_str(), static_cast<long long>(took.count()));
  const auto ids = s.ids();
  report(what + ": distinct articles in the sink", n, distinct(ids));
  report(what + ": deliveries to the sink", n, ids.size());
  EXPECT_EQ(distinct(ids), static_cast<std::size_t>(n));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
  const auto committed = committed_total(std::string("mock-") + f.name);
  report(what + ": offsets committed", n, static_cast<std::size_t>(committed));
  EXPECT_EQ(committed, n);
}

INSTANTIATE_TEST_SUITE_P(
    Group, MockGroupFaults,
    ::testing::Values(
        group_fault{"JoinGroup",
                    api_join_group,
                    {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                     RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}},
        group_fault{"SyncGroup",
                    api_sync_group,
                    {RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_NOT_COORDINATOR}},
        group_fault{"Heartbeat",
                    api_heartbeat,
                    {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS}}),
    [](const ::testing::TestParamInfo<group_fault>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace syn
