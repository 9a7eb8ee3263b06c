#pragma once
/// Plain value types shared by the Kafka producer, consumer and admin wrappers.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syn/contract/headers.hpp"
#include "syn/core/kafka/error.hpp"

namespace syn::kafka {

using clock = std::chrono::steady_clock;
/// Every blocking call takes one: the call returns by then, with `errc::timed_out` if need be.
using deadline = clock::time_point;

/// `clock::now() + d`.
[[nodiscard]] inline deadline after(clock::duration d) { return clock::now() + d; }

/// Milliseconds left until `d` (0 if passed), as librdkafka's `int timeout_ms`.
[[nodiscard]] int remaining_ms(deadline d) noexcept;

/// One record header (the contract's type). Borrowed: the views point into the record or
/// message they came from.
using header = contract::header;

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  friend bool operator==(const topic_partition&, const topic_partition&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=> (no pointer here).
  friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
};

/// A partition with an offset. For commits the offset is the NEXT record to consume (last
/// processed offset + 1), as Kafka defines committed offsets.
struct partition_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1001;  ///< RD_KAFKA_OFFSET_INVALID: none
  /// Set per partition on partial failures (commit, committed, admin offset listing).
  std::optional<error> err;
  friend bool operator==(const partition_offset& a, const partition_offset& b) {
    return a.topic == b.topic && a.partition == b.partition && a.offset == b.offset;
  }
};

struct partition_info {
  std::int32_t id = 0;
  std::int32_t leader = -1;
  std::vector<std::int32_t> replicas;
  std::vector<std::int32_t> isrs;
};

/// A topic as the cluster's metadata describes it.
struct topic_info {
  std::string name;
  std::vector<partition_info> partitions;
};

/// Special offsets (librdkafka's logical offsets).
inline constexpr std::int64_t offset_beginning = -2;
inline constexpr std::int64_t offset_end = -1;
inline constexpr std::int64_t offset_stored = -1000;
inline constexpr std::int64_t offset_invalid = -1001;

}  // namespace syn::kafka
