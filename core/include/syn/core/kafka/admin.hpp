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

/// The broker's answer to alter_group_offsets while the group has members (UNKNOWN_MEMBER_ID).
inline constexpr errc unknown_member_id = static_cast<errc>(25);

/// One member of a consumer group, as DescribeConsumerGroups reports it.
struct group_member {
  std::string client_id;
  std::string consumer_id;
  std::string host;
  std::vector<topic_partition> assignment;
};

struct group_description {
  std::string group;
  /// librdkafka's name: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead, Unknown.
  /// A group that never existed is Dead.
  std::string state;
  std::vector<group_member> members;
  /// True when nobody consumes in the group: its committed offsets may be changed from outside.
  [[nodiscard]] bool inactive() const noexcept {
    return members.empty() && (state == "Empty" || state == "Dead");
  }
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

  /// Grows `topic` to `total` partitions (CreatePartitions); existing records stay where they are.
  result<void> create_partitions(const std::string& topic, std::int32_t total, deadline d);

  /// The group's state and members with their assignments (DescribeConsumerGroups).
  result<group_description> describe_group(const std::string& group, deadline d);

  /// Commits `offsets` for `group` without being a member (AlterConsumerGroupOffsets). The broker
  /// refuses (errc::unknown_member_id, per partition) while the group has members. Returns the
  /// per-partition outcome.
  result<std::vector<partition_offset>> alter_group_offsets(const std::string& group,
                                                            std::span<const partition_offset> offsets,
                                                            deadline d);

  /// Deletes topics (tests and ops clean-up). Missing topics are an error.
  result<void> delete_topics(std::span<const std::string> names, deadline d);

  struct impl;

 private:
  explicit admin(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::kafka
