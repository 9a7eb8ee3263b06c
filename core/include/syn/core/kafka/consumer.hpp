#pragma once
/// Group consumer with manual, synchronous, deadline-bounded commits.
///
/// Fixed settings (see properties.hpp): `enable.auto.commit=false`,
/// `enable.auto.offset.store=false`, `isolation.level=read_committed`. The caller commits
/// processed offsets explicitly with commit(), after its sink has durably taken the records.
///
/// Rebalancing: EAGER (`range,roundrobin`). On every rebalance all partitions are revoked and
/// the new set assigned, which makes "commit what you processed in on_revoked" simple and
/// correct. Cooperative-sticky is handled too (incremental assign/unassign) if selected with
/// `kafka.client.partition.assignment.strategy`, but is not the default: our groups are small
/// and librdkafka 2.0.x had cooperative-rebalance fixes after its release.
///
/// Thread-safety: one thread at a time. Rebalance hooks run on that thread, inside poll() or
/// close(); they may call commit(). They must not throw (an exception is logged and dropped).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/kafka/error.hpp"
#include "syn/core/kafka/types.hpp"

struct rd_kafka_message_s;
struct rd_kafka_consumer_group_metadata_s;

namespace syn::kafka {

/// A consumed record. Owns librdkafka's message; views into it stay valid while it lives.
/// \warning Destroy every message before its consumer: librdkafka's handle cannot be destroyed
/// while messages reference it (the consumer's destructor would block until they are gone).
class message {
 public:
  explicit message(rd_kafka_message_s* m) noexcept;
  message(message&&) noexcept;
  message& operator=(message&&) noexcept;
  ~message();

  [[nodiscard]] std::string_view topic() const noexcept;
  [[nodiscard]] std::int32_t partition() const noexcept;
  [[nodiscard]] std::int64_t offset() const noexcept;
  /// Empty view for a null key.
  [[nodiscard]] std::string_view key() const noexcept;
  [[nodiscard]] bool has_key() const noexcept;
  [[nodiscard]] std::string_view value() const noexcept;
  /// All headers in order (duplicates kept).
  [[nodiscard]] std::vector<header> headers() const;
  /// The last header named `name`.
  [[nodiscard]] std::optional<std::string_view> header_value(std::string_view name) const;
  /// Record timestamp (create or log-append time), if the record has one.
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> timestamp() const noexcept;
  /// What to commit once this record is processed: {topic, partition, offset + 1}.
  [[nodiscard]] partition_offset next_offset() const;

 private:
  rd_kafka_message_s* m_;
};

/// A consumer group's identity for send_offsets_to_transaction. Movable, not copyable.
class group_metadata {
 public:
  explicit group_metadata(rd_kafka_consumer_group_metadata_s* g) noexcept : g_(g) {}
  /// Metadata for a group id alone (no member id or generation: weaker fencing).
  static group_metadata for_group(const std::string& group_id);
  group_metadata(group_metadata&& o) noexcept : g_(std::exchange(o.g_, nullptr)) {}
  group_metadata& operator=(group_metadata&& o) noexcept;
  ~group_metadata();
  [[nodiscard]] rd_kafka_consumer_group_metadata_s* native() const noexcept { return g_; }

 private:
  rd_kafka_consumer_group_metadata_s* g_;
};

struct rebalance_hooks {
  /// Partitions about to be consumed (positions are the committed offsets).
  std::function<void(std::span<const topic_partition>)> on_assigned;
  /// Partitions being taken away: commit what was processed now. `lost`: they may already be
  /// owned by another member (session timed out), so a commit would fail.
  std::function<void(std::span<const topic_partition>, bool lost)> on_revoked;
};

struct consumer_options {
  std::string group_id;  ///< required
  std::string client_id = "syndicate-consumer";
  rebalance_hooks hooks;
};

/// Takes librdkafka's statistics JSON (STATISTICS.md). Runs on the polling thread, inside
/// poll(); must not throw.
using statistics_fn = std::function<void(std::string_view json)>;

struct watermarks {
  std::int64_t low = -1;   ///< first offset still in the log
  std::int64_t high = -1;  ///< offset the next record will get (the log-end / last stable offset)
};

class consumer {
 public:
  /// Creates the client; no network I/O yet.
  /// With `on_statistics` (and a non-zero `cfg.statistics_interval`), librdkafka's statistics
  /// are emitted every interval and handed to it.
  static result<consumer> create(const config::kafka_config& cfg, consumer_options opts,
                                 statistics_fn on_statistics = {});

  consumer(consumer&&) noexcept;
  consumer& operator=(consumer&&) noexcept;
  /// close(after(10s)) if not closed yet.
  ~consumer();

  result<void> subscribe(std::span<const std::string> topics);
  /// Manual assignment instead of a subscription (replay): consume from these offsets.
  result<void> assign(std::span<const partition_offset> start);

  /// Waits up to `timeout` for one record; nullopt if none. Errors from the broker or client
  /// (e.g. an unknown topic, a fatal error) come back as errors; the consumer goes on after
  /// non-fatal ones.
  result<std::optional<message>> poll(std::chrono::milliseconds timeout);

  /// Commits `offsets` (each the NEXT offset to read) synchronously; gives up at `d` with
  /// errc::timed_out ("cannot reach ..." if the brokers are unreachable). A commit that timed
  /// out may still land later. Per-partition failures come back as an error naming the first.
  result<void> commit(std::span<const partition_offset> offsets, deadline d);
  /// The group's committed offsets for `parts` (offset_invalid where none).
  result<std::vector<partition_offset>> committed(std::span<const topic_partition> parts, deadline d);
  /// The current fetch positions (offset_invalid where unknown). Local, no I/O.
  result<std::vector<partition_offset>> position(std::span<const topic_partition> parts);
  /// The current assignment.
  result<std::vector<topic_partition>> assignment();

  result<void> pause(std::span<const topic_partition> parts);
  result<void> resume(std::span<const topic_partition> parts);

  /// Low and high watermarks, asked of the partition leader. The request queues behind the
  /// connection's outstanding Fetch, which the broker holds up to fetch.wait.max.ms when there is
  /// nothing new: up to half a second per partition on a caught-up consumer. A leader that answers
  /// "not leader" or fails is asked again (each try asks for at most 2 s, with the topic's metadata
  /// refreshed) until `d`. ListOffsets via rd_kafka_offsets_for_times(), which keeps its timeout
  /// when the leader's broker is down (rd_kafka_query_watermark_offsets() in librdkafka 2.0.2
  /// does not: docs/RELIABILITY.md, scenario A).
  result<watermarks> watermark_offsets(const std::string& topic, std::int32_t partition, deadline d);
  /// The watermarks of the partition's last fetch response, without a request (under
  /// read_committed, `high` is the last stable offset); nullopt before the first response.
  std::optional<watermarks> fetched_watermark_offsets(const std::string& topic, std::int32_t partition);

  /// This member's group metadata for send_offsets_to_transaction.
  result<group_metadata> group_metadata_for_txn();

  /// Leaves the group (revoking through the hooks) and stops fetching, by `d`; past it the
  /// client is destroyed without a clean leave (the group notices at session timeout).
  result<void> close(deadline d);

  /// The fatal error raised on this instance, if any.
  [[nodiscard]] std::optional<error> fatal_error() const;

  struct impl;

 private:
  explicit consumer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::kafka
