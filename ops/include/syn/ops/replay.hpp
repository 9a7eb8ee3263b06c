#pragma once
/// `syndicate replay`: rewind a consumer group's committed offsets, or copy a range of a topic
/// to another topic.
///
/// Both are dry runs unless `execute` is set: they print what they would do and change nothing.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "syn/ops/common.hpp"

namespace syn::ops {

struct replay_options {
  common_options common;
  std::string group;
  std::string topic;
  /// Copy mode when set.
  std::string to_topic;
  /// Restrict to these partitions (default: all; `--issue` picks the issue's partition).
  std::vector<std::int32_t> partitions;

  // Rewind target (exactly one), or copy range bounds (to_datetime / to_offset).
  std::optional<std::string> to_datetime;
  std::optional<std::int64_t> to_offset;
  std::optional<std::int64_t> shift_by;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<std::string> issue;

  // Copy range start.
  std::optional<std::string> from_datetime;
  std::optional<std::int64_t> from_offset;

  bool execute = false;
};

/// The one-line problem with a combination of options, or empty if it is valid. Parses the
/// date-times too. Pure.
[[nodiscard]] std::string validate(const replay_options& o);

/// How a rewind picks each partition's new offset.
enum class rewind_kind { to_datetime, to_offset, shift_by, to_earliest, to_latest, issue };

/// What is known of one partition before planning.
struct partition_state {
  std::int32_t partition = 0;
  std::int64_t low = 0;            ///< first offset in the log
  std::int64_t high = 0;           ///< log end (high watermark)
  std::int64_t committed = -1001;  ///< the group's committed offset; negative: none
  /// to_datetime: the first offset at/after the time (-1: none that recent);
  /// issue: the issue's first offset in this partition (nullopt: not this partition).
  std::optional<std::int64_t> found;
};

struct plan_row {
  std::int32_t partition = 0;
  std::int64_t current = -1001;  ///< committed offset; negative: none
  std::int64_t target = -1001;   ///< new committed offset; negative: left as it is
  /// Records the group reads again (negative: records it skips). Counted in offsets: it
  /// includes transaction markers, so it is an upper bound on redelivered records.
  std::int64_t redelivered = 0;
  [[nodiscard]] bool changes() const noexcept { return target >= 0 && target != current; }
};

/// The new offsets, clamped to each partition's [low, high]. A partition without a committed
/// offset counts as positioned at `low` (auto.offset.reset=earliest). Pure.
[[nodiscard]] std::vector<plan_row> plan_rewind(rewind_kind kind, std::int64_t n,
                                                const std::vector<partition_state>& parts);

/// The dry-run table: PARTITION, CURRENT, NEW, REDELIVERED.
[[nodiscard]] std::string render_plan(const std::vector<plan_row>& rows);
[[nodiscard]] nlohmann::ordered_json plan_json(const std::vector<plan_row>& rows);

/// Runs the command; output on `out`, errors as one line on stderr. Returns a cli exit code.
int run_replay(const replay_options& o, std::ostream& out);

}  // namespace syn::ops
