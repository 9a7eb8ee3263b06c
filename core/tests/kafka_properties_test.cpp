#include <gtest/gtest.h>

#include <cstdlib>

#include "syn/core/kafka/properties.hpp"

namespace syn::kafka {
namespace {

TEST(KafkaProperties, ConsumerGetsManualCommitsAndReadCommitted) {
  config::kafka_config cfg;
  cfg.bootstrap_servers = "10.0.0.1:9092,10.0.0.2:9092";
  cfg.client = {{"fetch.max.bytes", "1048576"}, {"auto.offset.reset", "latest"}};
  auto p = build_properties(cfg, role::consumer,
                            {.client_id = "feed", .group_id = "syndicate-feed", .transactional_id = ""});
  ASSERT_TRUE(p) << p.error().to_string();
  auto& props = p.value();
  EXPECT_EQ(props.at("bootstrap.servers"), "10.0.0.1:9092,10.0.0.2:9092");
  EXPECT_EQ(props.at("group.id"), "syndicate-feed");
  EXPECT_EQ(props.at("client.id"), "feed");
  EXPECT_EQ(props.at("enable.auto.commit"), "false");
  EXPECT_EQ(props.at("enable.auto.offset.store"), "false");
  EXPECT_EQ(props.at("isolation.level"), "read_committed");
  EXPECT_EQ(props.at("partition.assignment.strategy"), "range,roundrobin");
  EXPECT_EQ(props.at("fetch.max.bytes"), "1048576") << "kafka.client passes through";
  EXPECT_EQ(props.at("auto.offset.reset"), "latest") << "kafka.client overrides defaults";
  EXPECT_FALSE(props.contains("transactional.id"));
}

TEST(KafkaProperties, ConsumerOnlyKeysOfKafkaClientReachConsumersOnly) {
  config::kafka_config cfg;
  cfg.bootstrap_servers = "10.0.0.1:9092";
  cfg.client = {{"session.timeout.ms", "6000"}, {"socket.timeout.ms", "5000"}};
  auto c = build_properties(cfg, role::consumer, {.client_id = "a", .group_id = "g", .transactional_id = ""});
  auto p = build_properties(cfg, role::producer, {.client_id = "p", .group_id = "", .transactional_id = ""});
  ASSERT_TRUE(c && p);
  EXPECT_EQ(c.value().at("session.timeout.ms"), "6000");
  EXPECT_FALSE(p.value().contains("session.timeout.ms"))
      << "librdkafka would warn that a producer ignores it";
  EXPECT_EQ(p.value().at("socket.timeout.ms"), "5000") << "keys for every client still reach producers";
}

TEST(KafkaProperties, ProducersAreIdempotentAndUseJavasPartitioner) {
  config::kafka_config cfg;
  cfg.transaction_timeout_ms = 45000;
  auto p = build_properties(
      cfg, role::transactional_producer,
      {.client_id = "publisher", .group_id = "", .transactional_id = "syndicate-publisher-1"});
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p.value().at("enable.idempotence"), "true");
  EXPECT_EQ(p.value().at("acks"), "all");
  EXPECT_EQ(p.value().at("transactional.id"), "syndicate-publisher-1");
  EXPECT_EQ(p.value().at("transaction.timeout.ms"), "45000");
  EXPECT_EQ(p.value().at("partitioner"), "murmur2_random");
  EXPECT_EQ(p.value().at("retry.backoff.ms"), "5") << "CONCURRENT_TRANSACTIONS after a commit: retry soon";

  auto plain = build_properties(cfg, role::producer);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain.value().at("enable.idempotence"), "true");
  EXPECT_FALSE(plain.value().contains("transactional.id"));
  EXPECT_FALSE(plain.value().contains("transaction.timeout.ms"));
  EXPECT_FALSE(plain.value().contains("retry.backoff.ms"));
}

TEST(KafkaProperties, RefusesToWeakenTheGuarantees) {
  config::kafka_config cfg;
  cfg.client = {{"enable.auto.commit", "true"}};
  auto p = build_properties(cfg, role::consumer, {.client_id = "c", .group_id = "g", .transactional_id = ""});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code(), make_error_code(errc::invalid_arg));
  EXPECT_NE(p.error().message().find("enable.auto.commit=true"), std::string::npos) << p.error().message();

  cfg.client = {{"isolation.level", "read_uncommitted"}};
  EXPECT_FALSE(
      build_properties(cfg, role::consumer, {.client_id = "c", .group_id = "g", .transactional_id = ""}));

  cfg.client = {{"acks", "1"}};
  EXPECT_FALSE(build_properties(cfg, role::producer));

  cfg.client = {{"enable.auto.commit", "false"}};  // the same value is fine
  EXPECT_TRUE(
      build_properties(cfg, role::consumer, {.client_id = "c", .group_id = "g", .transactional_id = ""}));
}

TEST(KafkaProperties, ReportsMissingIdentity) {
  config::kafka_config cfg;
  EXPECT_FALSE(build_properties(cfg, role::consumer));
  EXPECT_FALSE(build_properties(cfg, role::transactional_producer));
  cfg.client_env = {{"sasl.password", config::secret{"SYN_TEST_SURELY_UNSET_VARIABLE"}}};
  auto unset = build_properties(cfg, role::admin);
  ASSERT_FALSE(unset) << "an unset secret variable is an error, not an empty password";
  EXPECT_NE(unset.error().message().find("SYN_TEST_SURELY_UNSET_VARIABLE"), std::string::npos);
  cfg.client_env.clear();
  cfg.bootstrap_servers.clear();
  EXPECT_FALSE(build_properties(cfg, role::admin));
}

TEST(KafkaProperties, SecretsComeFromTheEnvironment) {
  config::kafka_config cfg;
  ::setenv("SYN_TEST_KAFKA_PASSWORD", "s3cr3t", 1);
  cfg.client_env = {{"sasl.password", config::secret{"SYN_TEST_KAFKA_PASSWORD"}}};
  auto p = build_properties(cfg, role::admin);
  ::unsetenv("SYN_TEST_KAFKA_PASSWORD");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p.value().at("sasl.password"), "s3cr3t");
}

TEST(KafkaProperties, EmbeddedIsRecognised) {
  config::kafka_config cfg;
  EXPECT_FALSE(is_embedded(cfg));
  cfg.bootstrap_servers = "embedded";
  EXPECT_TRUE(is_embedded(cfg));
  auto p = build_properties(cfg, role::admin);
  ASSERT_TRUE(p);
  EXPECT_EQ(p.value().at("bootstrap.servers"), "embedded")
      << "resolved to the mock cluster when the client opens";
}

}  // namespace
}  // namespace syn::kafka
