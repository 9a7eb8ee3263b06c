#pragma once
// Shared fixture of the ops integration tests (tests/integration/ops_*_test.cpp): a real broker at
// $SYN_TEST_BOOTSTRAP, random topic and group names per test, a deadline on every wait.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "syn/core/kafka/admin.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/kafka/partitioner.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/ops/common.hpp"
#include "syn/ops/datetime.hpp"

namespace syn::ops::it {

using namespace std::chrono_literals;

inline std::string unique(const std::string& what) {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string s = "syn-it-ops-" + what + "-";
  for (int i = 0; i < 10; ++i) s += hex[rng() % 16];
  return s;
}

/// One consumed record, copied.
struct record {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  [[nodiscard]] std::string header(const std::string& name) const {
    std::string v;
    for (const auto& [k, val] : headers) {
      if (k == name) v = val;
    }
    return v;
  }
};

/// A command's exit status with what it printed.
struct outcome {
  int rc = -1;
  std::string out;
  std::string err;
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(out); }
};

class OpsIT : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* b = std::getenv("SYN_TEST_BOOTSTRAP");
    ASSERT_TRUE(b != nullptr && *b != '\0')
        << "SYN_TEST_BOOTSTRAP is not set: integration tests need a real broker, e.g. "
           "`bash deploy/kafka/kafka.sh start --port 19092` and SYN_TEST_BOOTSTRAP=127.0.0.1:19092";
    cfg_.bootstrap_servers = b;
    common_.config_path = SYN_SOURCE_DIR "/config/syndication.yaml";
    common_.bootstrap = b;
    common_.timeout_s = 60;
    common_.json = true;
  }

  void TearDown() override {
    if (created_.empty()) return;
    auto a = kafka::admin::create(cfg_);
    if (a) (void)a.value().delete_topics(created_, kafka::after(20s));
  }

  std::string make_topic(const std::string& what, int partitions) {
    auto a = kafka::admin::create(cfg_);
    EXPECT_TRUE(a) << a.error().to_string();
    const config::topic_config t{unique(what), partitions, 1, {}};
    auto r = a.value().create_topics(std::span(&t, 1), kafka::after(30s));
    EXPECT_TRUE(r) << r.error().to_string();
    created_.push_back(t.name);
    return t.name;
  }

  /// Sends records (non-transactional, idempotent) and waits for their delivery.
  struct to_send {
    std::int32_t partition = 0;
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<kafka::delivery_report> produce(const std::string& topic, const std::vector<to_send>& recs) {
    auto p = kafka::producer::create(cfg_, {});
    EXPECT_TRUE(p) << p.error().to_string();
    for (const auto& r : recs) {
      std::vector<kafka::header> hs;
      for (const auto& [k, v] : r.headers) hs.push_back({k, v});
      kafka::outgoing_record o{topic, r.key, r.value, hs, r.partition, std::nullopt};
      auto s = p.value().send(o, kafka::after(10s));
      EXPECT_TRUE(s) << s.error().to_string();
    }
    EXPECT_TRUE(p.value().flush(kafka::after(30s)).complete());
    auto reports = p.value().take_delivery_reports();
    for (const auto& r : reports) EXPECT_FALSE(r.err) << r.err->to_string();
    return reports;
  }

  /// `n` plain records to `partition`: key k<i>, value v<i>.
  void produce_n(const std::string& topic, std::int32_t partition, int n, const std::string& prefix = "") {
    std::vector<to_send> recs;
    for (int i = 0; i < n; ++i)
      recs.push_back({partition, prefix + "k" + std::to_string(i), prefix + "v" + std::to_string(i), {}});
    produce(topic, recs);
  }

  /// Commits offsets for `group` as a standalone (non-member) consumer.
  void commit(const std::string& group, const std::vector<kafka::partition_offset>& offsets) {
    kafka::consumer_options o;
    o.group_id = group;
    auto c = kafka::consumer::create(cfg_, std::move(o));
    ASSERT_TRUE(c) << c.error().to_string();
    auto r = c.value().commit(offsets, kafka::after(30s));
    ASSERT_TRUE(r) << r.error().to_string();
    (void)c.value().close(kafka::after(10s));
  }

  /// The group's committed offsets on `topic`, by partition.
  std::map<std::int32_t, std::int64_t> committed(const std::string& group, const std::string& topic) {
    auto a = kafka::admin::create(cfg_);
    EXPECT_TRUE(a) << a.error().to_string();
    auto r = a.value().group_offsets(group, kafka::after(30s));
    EXPECT_TRUE(r) << r.error().to_string();
    std::map<std::int32_t, std::int64_t> out;
    if (!r) return out;
    for (const auto& o : r.value()) {
      if (o.topic == topic && o.offset >= 0) out[o.partition] = o.offset;
    }
    return out;
  }

  /// Reads `topic` (read_committed, assigned from the start) until `n` records or the deadline.
  std::vector<record> read_all(const std::string& topic, int partitions, std::size_t n,
                               std::chrono::seconds within = 30s) {
    kafka::consumer_options o;
    o.group_id = unique("reader");
    auto c = kafka::consumer::create(cfg_, std::move(o));
    EXPECT_TRUE(c) << c.error().to_string();
    std::vector<kafka::partition_offset> start;
    for (int p = 0; p < partitions; ++p) start.push_back({topic, p, kafka::offset_beginning, std::nullopt});
    EXPECT_TRUE(c.value().assign(start));
    std::vector<record> out;
    const auto until = kafka::after(within);
    while (out.size() < n && kafka::clock::now() < until) {
      auto m = c.value().poll(200ms);
      if (!m || !m.value()) continue;
      const auto& msg = *m.value();
      record r{msg.partition(), msg.offset(), std::string(msg.key()), std::string(msg.value()), {}};
      for (const auto& h : msg.headers()) r.headers.emplace_back(std::string(h.name), std::string(h.value));
      out.push_back(std::move(r));
    }
    (void)c.value().close(kafka::after(10s));
    return out;
  }

  /// Runs a command function with stderr captured.
  template <class Options, class Fn>
  outcome run(Fn fn, const Options& o) {
    outcome r;
    std::ostringstream out;
    testing::internal::CaptureStderr();
    r.rc = fn(o, out);
    r.err = testing::internal::GetCapturedStderr();
    r.out = out.str();
    return r;
  }

  /// `ms` as a date-time in UTC+08:00 (the newsroom's zone), e.g. 2024-01-30T00:00:00.000+08:00.
  static std::string in_plus_eight(std::int64_t ms) {
    auto s = format_utc(ms + 8 * 3600 * 1000);
    s.pop_back();  // Z
    return s + "+08:00";
  }

  config::kafka_config cfg_;
  common_options common_;
  std::vector<std::string> created_;
};

}  // namespace syn::ops::it
