#pragma once
// Internal to ops: the librdkafka calls the ops commands need and syn::kafka (core) does not
// offer yet. Each belongs in core's Kafka layer eventually (see docs/OPERATIONS.md, "Kafka
// calls ops makes directly"):
//
// - describe_group()        DescribeConsumerGroups: state and members (refuse to rewind a live group)
// - alter_group_offsets()   AlterConsumerGroupOffsets: commit for a group as a non-member
// - offsets_for_times()     ListOffsets by timestamp
// - watermarks()            ListOffsets earliest/latest with a chosen isolation level
// - create_partitions()     CreatePartitions: grow a topic
// - reader                  assign-only consumer that reads partitions up to stop offsets,
//                           ending on partition EOF (core's consumer turns EOF events off)
//
// Every call takes a deadline and returns by then. Handles are created from the same
// `build_properties()` as core's clients, so `kafka.client` and `kafka.client_env` apply.

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/kafka/error.hpp"
#include "syn/core/kafka/types.hpp"

namespace syn::ops::rdk {

/// Destroys without a consumer close: ops handles never join a group nor commit, so there is
/// nothing to leave, and a close could wait on an unreachable coordinator.
struct handle_deleter {
  void operator()(rd_kafka_t* rk) const noexcept {
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
};
using handle = std::unique_ptr<rd_kafka_t, handle_deleter>;

/// One member of a consumer group, as DescribeConsumerGroups reports it.
struct member {
  std::string client_id;
  std::string consumer_id;
  std::string host;
  std::vector<kafka::topic_partition> assignment;
};

struct group_description {
  std::string group;
  /// librdkafka's name: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead, Unknown.
  std::string state;
  std::vector<member> members;
  /// True when nobody consumes in the group: its committed offsets may be changed from outside.
  [[nodiscard]] bool inactive() const noexcept {
    return members.empty() && (state == "Empty" || state == "Dead");
  }
};

/// An admin-capable handle (a producer handle: no group, no fetching).
class admin_client {
 public:
  static kafka::result<admin_client> create(const config::kafka_config& cfg);

  kafka::result<group_description> describe_group(const std::string& group, kafka::deadline d);
  /// Commits `offsets` for `group` without being a member. The broker refuses (UNKNOWN_MEMBER_ID)
  /// while the group has members. Returns the per-partition outcome.
  kafka::result<std::vector<kafka::partition_offset>> alter_group_offsets(
      const std::string& group, const std::vector<kafka::partition_offset>& offsets, kafka::deadline d);
  /// Grows `topic` to `total` partitions (CreatePartitions); existing records stay where they are.
  kafka::result<void> create_partitions(const std::string& topic, std::int32_t total, kafka::deadline d);

 private:
  explicit admin_client(handle h) : rk_(std::move(h)) {}
  handle rk_;
};

/// Low/high watermarks under an isolation level: read_committed's high is the last stable offset.
enum class isolation { read_committed, read_uncommitted };

/// An assign-only consumer: never joins a group, never commits.
class reader {
 public:
  static kafka::result<reader> create(const config::kafka_config& cfg, isolation iso);

  /// Low and high watermark of one partition (ListOffsets), by `d`.
  kafka::result<kafka::watermarks> watermarks(const std::string& topic, std::int32_t partition,
                                              kafka::deadline d);

  /// For each partition, the first offset whose timestamp is >= its `ms`; offset_end (-1) where
  /// no record is that recent.
  kafka::result<std::map<std::int32_t, std::int64_t>> offsets_for_times(
      const std::string& topic, const std::map<std::int32_t, std::int64_t>& ms, kafka::deadline d);

  /// Reads `topic` partition by partition range [start, stop) (stop exclusive), calling `fn` with
  /// every record in offset order per partition. A partition is done when a record at or past
  /// its stop offset arrives, the consumer reaches the partition's end (EOF: past the last
  /// transaction marker), or `fn` says so. Times out at `d`.
  struct range {
    std::int64_t start = 0;
    std::int64_t stop = 0;
  };
  enum class next { more, partition_done, stop };
  kafka::result<void> read(const std::string& topic, const std::map<std::int32_t, range>& ranges,
                           const std::function<next(const kafka::message&)>& fn, kafka::deadline d);

 private:
  explicit reader(handle h) : rk_(std::move(h)) {}
  handle rk_;
};

}  // namespace syn::ops::rdk
