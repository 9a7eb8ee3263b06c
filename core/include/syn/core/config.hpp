#pragma once
/// Typed configuration loaded from YAML (config/syndication.yaml documents every key).
///
/// The Kafka section below is fixed: the Kafka client layer builds on it. The loader,
/// validation and the other sections live in config.cpp.

#include <map>
#include <string>
#include <vector>

namespace syn::config {

/// One topic as the admin client creates it.
struct topic_config {
  std::string name;
  int partitions = 3;
  int replication_factor = 1;
  /// Topic-level configs passed to CreateTopics, e.g. {"cleanup.policy", "compact"}.
  std::map<std::string, std::string> config;
};

/// The topics of DESIGN.md, by role.
struct topics_config {
  topic_config issues{"news.issues.v1", 3, 1, {{"cleanup.policy", "compact"}}};
  topic_config articles{"news.articles.v1", 3, 1, {{"retention.ms", "-1"}}};
  topic_config translated{"news.articles.translated.v1", 3, 1, {{"retention.ms", "-1"}}};
  topic_config translation_jobs{"news.translation.jobs.v1", 3, 1, {{"retention.ms", "604800000"}}};
  topic_config deadletter{"news.deadletter.v1", 1, 1, {{"retention.ms", "-1"}}};

  /// All of them, in creation order.
  [[nodiscard]] std::vector<const topic_config*> all() const {
    return {&issues, &articles, &translated, &translation_jobs, &deadletter};
  }
};

struct kafka_config {
  /// librdkafka `bootstrap.servers`; the literal `embedded` selects librdkafka's mock cluster.
  std::string bootstrap_servers = "127.0.0.1:9092";
  /// Extra librdkafka properties passed through verbatim (`kafka.client` in YAML).
  std::map<std::string, std::string> client;
  /// Prefix of the producer's `transactional.id`; the publisher appends a per-instance suffix.
  std::string transactional_id_prefix = "syndicate-publisher";
  int transaction_timeout_ms = 60000;
  topics_config topics;
};

}  // namespace syn::config
