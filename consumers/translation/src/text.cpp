#include "text.hpp"

#include <cctype>

namespace syn::translation::detail {
bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void set_timestamp(google::protobuf::Timestamp& ts, std::chrono::system_clock::time_point tp) {
  const auto since = tp.time_since_epoch();
  auto secs = std::chrono::floor<std::chrono::seconds>(since);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs);
  ts.set_seconds(secs.count());
  ts.set_nanos(static_cast<std::int32_t>(nanos.count()));
}

std::chrono::system_clock::time_point from_timestamp(const google::protobuf::Timestamp& ts) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(ts.seconds()) +
                                                                      std::chrono::nanoseconds(ts.nanos())));
}

}  // namespace syn::translation::detail
