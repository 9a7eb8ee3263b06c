#pragma once
/// Dead letters, built one way for every consumer (the runner, the transactional loops, the
/// feed's held articles): what a DeadLetter record holds and the headers it travels with.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syndication/v1/dead_letter.pb.h"

namespace syn::contract {

/// A dead letter keeps at most this many bytes of the original value (`original_value_size`
/// says how many there were), so that it fits under Kafka's default 1 MB record limit.
inline constexpr std::size_t max_dead_letter_value_bytes = 512U * 1024U;

/// The record a dead letter is about. Borrowed views. partition and offset are -1 when the
/// record's coordinates are unknown (the feed's held articles).
struct failed_record {
  std::string_view topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string_view key;
  std::string_view value;
  std::span<const header> headers;
  std::optional<std::chrono::system_clock::time_point> timestamp;
};

/// The dead letter for `r`: its coordinates, key, value (its head if over
/// max_dead_letter_value_bytes, with the error saying so) and headers, the reason and error, the
/// consumer group and attempts; first and last failure time now. Its id
/// `<topic>-<partition>-<offset>-<group>` is stable, so a redrive is traceable; a caller whose
/// record has no coordinates sets its own.
[[nodiscard]] syndication::v1::DeadLetter make_dead_letter(const failed_record& r,
                                                           syndication::v1::DeadLetter::Reason reason,
                                                           const std::string& error, const std::string& group,
                                                           std::uint32_t attempts);

/// Headers of a dead-letter record: content-type, schema, consumer-group. The key is the
/// letter's id. The views must outlive the array.
[[nodiscard]] constexpr std::array<header, 3> dead_letter_headers(std::string_view group) noexcept {
  return {{{header_name::content_type, protobuf_content_type},
           {header_name::schema, schema::dead_letter},
           {header_name::consumer_group, group}}};
}

}  // namespace syn::contract
