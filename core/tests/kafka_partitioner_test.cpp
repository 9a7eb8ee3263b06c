// The partitioner must place keys exactly where Java's default partitioner (and librdkafka's
// murmur2_random) does, or subscribers in other languages would see an issue split over partitions.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <random>
#include <string>

#include "syn/core/kafka/partitioner.hpp"

namespace syn::kafka {
namespace {

// Kafka's own vectors: clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java,
// testMurmur2 (Java ints; compared as bit patterns).
struct vector_case {
  const char* key;
  std::int32_t java;
};
constexpr vector_case java_vectors[] = {
    {"21", -973932308},
    {"foobar", -790332482},
    {"a-little-bit-long-string", -985981536},
    {"a-little-bit-longer-string", -1486304829},
    {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
    {"abc", 479470107},
};

TEST(KafkaPartitioner, Murmur2MatchesJavaUtilsMurmur2) {
  for (const auto& c : java_vectors) {
    EXPECT_EQ(static_cast<std::int32_t>(murmur2(c.key)), c.java) << c.key;
  }
}

// Java: Utils.toPositive(hash) % numPartitions, toPositive(x) = x & 0x7fffffff.
TEST(KafkaPartitioner, PartitionForIsJavasToPositiveModulo) {
  for (const auto& c : java_vectors) {
    const auto positive = static_cast<std::uint32_t>(c.java) & 0x7fffffffU;
    for (std::int32_t n : {1, 2, 3, 7, 12, 50}) {
      EXPECT_EQ(partition_for(c.key, n), static_cast<std::int32_t>(positive % static_cast<std::uint32_t>(n)))
          << c.key << " over " << n;
    }
  }
  // Worked by hand: toPositive(-973932308) = 1173551340 = 3 * 391183780, so "21" -> partition 0 of 3.
  EXPECT_EQ(partition_for("21", 3), 0);
}

// librdkafka's murmur2 partitioner is an independent implementation of the same function.
TEST(KafkaPartitioner, AgreesWithLibrdkafkaMurmur2Partitioner) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string key(static_cast<std::size_t>(rng() % 40), '\0');
    for (auto& ch : key) ch = static_cast<char>(rng() % 256);
    const std::int32_t n = 1 + static_cast<std::int32_t>(rng() % 64);
    if (key.empty()) continue;
    EXPECT_EQ(partition_for(key, n),
              rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), n, nullptr, nullptr));
  }
}

TEST(KafkaPartitioner, IssueIdsSpreadAndAreStable) {
  EXPECT_EQ(partition_for("cjrb-20240130", 3), partition_for("cjrb-20240130", 3));
  int counts[3] = {0, 0, 0};
  for (int day = 1; day <= 300; ++day) ++counts[partition_for("cjrb-2024-" + std::to_string(day), 3)];
  for (int c : counts) EXPECT_GT(c, 60);
  EXPECT_EQ(partition_for("anything", 0), 0) << "no partitions: no crash, partition 0";
}

}  // namespace
}  // namespace syn::kafka
