#pragma once
/// UTF-8 and time helpers shared by the translation sources (internal).

#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "syn/core/utf8.hpp"

namespace syn::translation::detail {

/// UTF-8 walking is syn::utf8's (core/include/syn/core/utf8.hpp).
using utf8::decode_at;

[[nodiscard]] bool ascii_iequals(std::string_view a, std::string_view b) noexcept;
[[nodiscard]] std::string ascii_lower(std::string_view s);

void set_timestamp(google::protobuf::Timestamp& ts, std::chrono::system_clock::time_point tp);
[[nodiscard]] std::chrono::system_clock::time_point from_timestamp(const google::protobuf::Timestamp& ts);

}  // namespace syn::translation::detail
