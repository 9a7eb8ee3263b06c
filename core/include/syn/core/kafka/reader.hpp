#pragma once
/// An assign-only reader for tools (the ops commands): reads partition ranges to their end,
/// queries watermarks and offsets by time. It never joins a group nor commits, so it cannot
/// disturb the groups it inspects.
///
/// Every call takes a deadline and returns by then. Properties come from `build_properties()`
/// (role consumer), so `kafka.client` and `kafka.client_env` apply as for every other client.
/// Thread-safety: one thread at a time. Movable.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "syn/core/config.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/kafka/error.hpp"
#include "syn/core/kafka/types.hpp"

namespace syn::kafka {

/// What the reader sees. Under read_committed a partition's high watermark is its last stable
/// offset and aborted records are skipped; read_uncommitted reports the high watermark itself.
enum class isolation { read_committed, read_uncommitted };

class reader {
 public:
  static result<reader> create(const config::kafka_config& cfg, isolation iso,
                               std::string client_id = "syndicate-reader");

  reader(reader&&) noexcept;
  reader& operator=(reader&&) noexcept;
  /// Destroys the handle without a consumer close: there is no group to leave.
  ~reader();

  /// Low and high watermark of one partition (ListOffsets), by `d`.
  result<watermarks> watermark_offsets(const std::string& topic, std::int32_t partition, deadline d);

  /// For each partition, the first offset whose timestamp is >= its `ms`; offset_end (-1) where
  /// no record is that recent.
  result<std::map<std::int32_t, std::int64_t>> offsets_for_times(
      const std::string& topic, const std::map<std::int32_t, std::int64_t>& ms, deadline d);

  /// Offsets [start, stop) of one partition (stop exclusive).
  struct range {
    std::int64_t start = 0;
    std::int64_t stop = 0;
  };
  enum class next { more, partition_done, stop };

  /// Reads `topic` partition by partition range, calling `fn` with every record in offset order
  /// per partition. A partition is done when a record at or past its stop offset arrives, the
  /// reader reaches the partition's end (EOF: past the last transaction marker), or `fn` says
  /// so. Times out at `d`.
  result<void> read(const std::string& topic, const std::map<std::int32_t, range>& ranges,
                    const std::function<next(const message&)>& fn, deadline d);

  struct impl;

 private:
  explicit reader(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::kafka
