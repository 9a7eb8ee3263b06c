#pragma once
/// SHA-256 over bytes, as lowercase hex (OpenSSL EVP).

#include <string>
#include <string_view>

namespace syn {

/// Lowercase hex SHA-256 of `bytes`. Thread-safe.
std::string sha256_hex(std::string_view bytes);

}  // namespace syn
