#pragma once
/// `syndicate lag`: per consumer group and partition, committed offset, end offset, lag.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "syn/core/kafka/error.hpp"
#include "syn/core/kafka/types.hpp"
#include "syn/ops/common.hpp"

namespace syn::ops {

struct lag_options {
  common_options common;
  /// Default: the four configured groups (consumers.groups).
  std::vector<std::string> groups;
  /// Also show these topics (every partition), even where the group has committed nothing.
  std::vector<std::string> topics;
};

struct lag_row {
  std::string topic;
  std::int32_t partition = 0;
  std::optional<std::int64_t> committed;  ///< nullopt: the group committed nothing here
  std::int64_t end = -1;                  ///< high watermark; negative: unknown (topic gone)
  /// lag > 0, yet a read_committed consumer at `committed` has nothing left to read: what lies
  /// between is transaction markers (the runner commits the offset after an issue's last
  /// record, which is the commit marker) or aborted records.
  bool markers_only = false;
  /// end - committed; nullopt without a committed offset or a known end.
  [[nodiscard]] std::optional<std::int64_t> lag() const {
    if (!committed || end < 0) return std::nullopt;
    return end > *committed ? end - *committed : 0;
  }
};

struct group_lag {
  std::string group;
  std::string state;  ///< Empty, Stable, ... ("-" if it could not be described)
  std::size_t members = 0;
  std::vector<lag_row> rows;
  /// Sum of the rows' lags (offsets, as Kafka's tools count); nullopt when no row has a
  /// committed offset.
  [[nodiscard]] std::optional<std::int64_t> total() const;
};

/// GROUP STATE TOPIC PARTITION COMMITTED END LAG, and a total line per group. A group with no
/// committed offset shows `-`. A lag of markers only shows as `1*`, explained under the table.
[[nodiscard]] std::string render_lag(const std::vector<group_lag>& groups);
[[nodiscard]] nlohmann::ordered_json lag_json(const std::vector<group_lag>& groups);

/// The lag of `groups` on `topics` (default: what each group committed or is assigned), by `d`.
/// A group's state and members come from DescribeConsumerGroups; ends are high watermarks.
/// \throws nothing; Kafka errors come back as the error.
[[nodiscard]] kafka::result<std::vector<group_lag>> collect_lag(const config::kafka_config& cfg,
                                                                const std::vector<std::string>& groups,
                                                                const std::vector<std::string>& topics,
                                                                kafka::deadline d);

int run_lag(const lag_options& o, std::ostream& out);

}  // namespace syn::ops
