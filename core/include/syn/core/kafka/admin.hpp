#pragma once
/// Admin client: topics and consumer-group offsets.
///
/// Every call waits at most until its deadline (the request and operation timeouts sent to the
/// broker are derived from it). Thread-safety: one thread at a time. Movable.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/kafka/error.hpp"
#include "syn/core/kafka/types.hpp"

namespace syn::kafka {

struct topic_creation {
  std::string name;
  bool created = false;         ///< false: it existed already (TOPIC_ALREADY_EXISTS is success)
  std::int32_t partitions = 0;  ///< as created, or as found on the cluster if it existed
};

struct config_entry {
  std::string name;
  std::string value;   ///< empty for a null value (or a sensitive one)
  std::string source;  ///< e.g. DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG
  bool is_default = false;
  bool read_only = false;
  bool sensitive = false;
};

class admin {
 public:
  static result<admin> create(const config::kafka_config& cfg, std::string client_id = "syndicate-admin");

  admin(admin&&) noexcept;
  admin& operator=(admin&&) noexcept;
  ~admin();

  /// Creates each topic unless it exists; reports which were created and which existed.
  /// Fails on the first other error (invalid config, too few brokers, ...), naming the topic.
  result<std::vector<topic_creation>> create_topics(std::span<const config::topic_config> topics, deadline d);

  /// All topics (internal ones such as __consumer_offsets excluded unless `include_internal`),
  /// sorted by name, with their partitions.
  result<std::vector<topic_info>> list_topics(deadline d, bool include_internal = false);
  /// One topic's metadata; errc::unknown_topic_or_partition if it does not exist.
  result<topic_info> describe_topic(const std::string& name, deadline d);

  /// The topic's configuration as the broker reports it (DescribeConfigs), sorted by name.
  result<std::vector<config_entry>> describe_topic_config(const std::string& name, deadline d);

  /// Offsets `group` has committed, for every partition it committed (OffsetFetch).
  result<std::vector<partition_offset>> group_offsets(const std::string& group, deadline d);

  /// Deletes topics (tests and ops clean-up). Missing topics are an error.
  result<void> delete_topics(std::span<const std::string> names, deadline d);

  struct impl;

 private:
  explicit admin(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::kafka
