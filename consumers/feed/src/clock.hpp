#pragma once
// The wall clock in milliseconds since the epoch, as the feed state records times (private to
// the feed component).

#include <chrono>
#include <cstdint>

namespace syn::feed::detail {

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace syn::feed::detail
