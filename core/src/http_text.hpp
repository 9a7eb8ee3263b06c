#pragma once
// Text helpers shared by core's HTTP server and client (private to core).

#include <cctype>
#include <string>
#include <string_view>

namespace syn::http::detail {

/// ASCII lower case (header names, URL schemes); other bytes unchanged.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace syn::http::detail
