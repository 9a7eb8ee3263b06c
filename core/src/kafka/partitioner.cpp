#include "syn/core/kafka/partitioner.hpp"

#include <cstring>

namespace syn::kafka {

std::uint32_t murmur2(std::string_view key) noexcept {
  // Transcribed from Kafka's Utils.murmur2: 32-bit MurmurHash2 over little-endian 4-byte words,
  // length as the initial mix, Java's int arithmetic done in uint32_t (same bits, no UB).
  constexpr std::uint32_t seed = 0x9747b28c;
  constexpr std::uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const std::size_t length = key.size();
  std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);
  const std::size_t words = length / 4;
  for (std::size_t i = 0; i < words; ++i) {
    const std::size_t i4 = i * 4;
    std::uint32_t k = static_cast<std::uint32_t>(data[i4]) | (static_cast<std::uint32_t>(data[i4 + 1]) << 8) |
                      (static_cast<std::uint32_t>(data[i4 + 2]) << 16) |
                      (static_cast<std::uint32_t>(data[i4 + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = words * 4;
  switch (length % 4) {
    case 3:
      h ^= static_cast<std::uint32_t>(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<std::uint32_t>(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<std::uint32_t>(data[tail]);
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

std::int32_t partition_for(std::string_view key, std::int32_t partition_count) noexcept {
  if (partition_count <= 0) return 0;
  return static_cast<std::int32_t>((murmur2(key) & 0x7fffffffU) %
                                   static_cast<std::uint32_t>(partition_count));
}

}  // namespace syn::kafka
