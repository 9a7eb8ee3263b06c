#pragma once
/// The partitioner every syndicate producer uses: Kafka's Java default partitioner for keyed
/// records, i.e. `toPositive(murmur2(key)) % partition_count` with
/// `org.apache.kafka.common.utils.Utils.murmur2` (seed 0x9747b28c). librdkafka's
/// `murmur2_random` partitioner computes the same for non-empty keys, so Java, librdkafka-based
/// (Go, Python, .NET, kcat) and syndicate producers agree on where an issue's records go.

#include <cstdint>
#include <string_view>

namespace syn::kafka {

/// Java's `Utils.murmur2(byte[])`, bit for bit (the signed int's bit pattern).
[[nodiscard]] std::uint32_t murmur2(std::string_view key) noexcept;

/// Partition of `key` among `partition_count` (> 0) partitions: `(murmur2(key) & 0x7fffffff) %
/// partition_count`. Pure; thread-safe.
[[nodiscard]] std::int32_t partition_for(std::string_view key, std::int32_t partition_count) noexcept;

}  // namespace syn::kafka
