#pragma once
/// librdkafka's in-process mock cluster, behind `kafka.bootstrap_servers: embedded`.
///
/// \warning In librdkafka 2.0.2 the mock cluster writes no transaction markers (a read_committed
/// consumer DOES see aborted records), stores no transactional offset commits
/// (send_offsets_to_transaction is lost) and cannot look up offsets by time. It has no
/// CreateTopics/DescribeConfigs handlers either: `admin` creates topics on it directly. Use it
/// for the zero-setup trial (`syndicate run`) and for fault injection, never to test those.

#include <cstdint>
#include <memory>
#include <string>

#include "syn/core/kafka/error.hpp"

struct rd_kafka_mock_cluster_s;
struct rd_kafka_s;

namespace syn::kafka {

/// One mock cluster (brokers listening on loopback ports, served by librdkafka threads).
/// Thread-safe. Clients configured with `embedded` share the process-wide instance and keep it
/// alive; it is destroyed when the last reference goes.
class embedded_cluster {
 public:
  /// A new cluster with `brokers` brokers, independent of the shared one (tests).
  static result<std::shared_ptr<embedded_cluster>> create(int brokers = 1);
  /// The process-wide cluster behind `embedded`, created on first use.
  static result<std::shared_ptr<embedded_cluster>> shared();

  ~embedded_cluster();
  embedded_cluster(const embedded_cluster&) = delete;
  embedded_cluster& operator=(const embedded_cluster&) = delete;

  /// `host:port,...` of the mock brokers, usable as bootstrap.servers.
  [[nodiscard]] const std::string& bootstrap() const noexcept { return bootstrap_; }
  /// Creates a topic (idempotent: an existing topic is success).
  result<void> create_topic(const std::string& name, int partitions, int replication_factor = 1);
  /// The librdkafka handle for fault injection (rdkafka_mock.h: push_request_errors...).
  [[nodiscard]] rd_kafka_mock_cluster_s* mock() const noexcept { return mock_; }

 private:
  embedded_cluster() = default;
  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* mock_ = nullptr;
  std::string bootstrap_;
};

}  // namespace syn::kafka
