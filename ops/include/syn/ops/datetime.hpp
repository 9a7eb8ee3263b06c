#pragma once
/// Date-times on the ops command line: RFC 3339 / ISO 8601 with an explicit UTC offset.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syn::ops {

/// Parses `2024-01-30T00:00:00+08:00` (also `Z`, `+0800`, `+08`, a space instead of `T`, and
/// fractional seconds `.123`) into milliseconds since the Unix epoch. The UTC offset is
/// required: a bare local time would mean different instants on different hosts. On failure
/// returns nullopt and sets `error` to one line saying what is wrong. Pure; thread-safe.
[[nodiscard]] std::optional<std::int64_t> parse_datetime(std::string_view text, std::string& error);

/// `2024-01-29T16:00:00.000Z` for milliseconds since the epoch (UTC, millisecond precision).
[[nodiscard]] std::string format_utc(std::int64_t epoch_ms);

}  // namespace syn::ops
