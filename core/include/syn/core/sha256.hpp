#pragma once
/// SHA-256 over bytes, as lowercase hex (OpenSSL EVP): all at once, or over bytes that arrive in
/// pieces (a file read in chunks, an upload).

#include <memory>
#include <string>
#include <string_view>

namespace syn {

/// Lowercase hex SHA-256 of `bytes`. Thread-safe.
std::string sha256_hex(std::string_view bytes);

/// SHA-256 of bytes given piece by piece. One object per stream; not thread-safe.
class sha256_stream {
 public:
  sha256_stream();
  ~sha256_stream();
  sha256_stream(sha256_stream&&) noexcept;
  sha256_stream& operator=(sha256_stream&&) noexcept;
  sha256_stream(const sha256_stream&) = delete;
  sha256_stream& operator=(const sha256_stream&) = delete;

  void update(std::string_view bytes);
  /// Lowercase hex of everything given; the stream is done after it.
  [[nodiscard]] std::string hex();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace syn
