#pragma once
/// The HTTP engine's requests (internal): JSON bodies through core's syn::http::client (kept-alive
/// connections per TLS setting, plain TCP for http://, OpenSSL TLS for https://, peer certificate
/// and host name verified unless told otherwise), its errors mapped to the engine's. Every call has
/// one deadline covering DNS, connect, TLS handshake, write and read.
///
/// Thread-safe. Never throws (bad_alloc aside).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "syn/translation/error.hpp"

namespace syn::translation::detail {

/// `scheme://host[:port][/target]`, http or https only.
struct http_url {
  std::string scheme;
  std::string host;  ///< without IPv6 brackets
  std::string port;
  std::string target = "/";

  [[nodiscard]] bool tls() const noexcept { return scheme == "https"; }
  /// As written in logs and errors: `scheme://host:port/target`.
  [[nodiscard]] std::string str() const;
  [[nodiscard]] static std::optional<http_url> parse(std::string_view s);
};

struct http_reply {
  unsigned status = 0;
  std::string body;
  /// The `Retry-After` header, if any.
  std::string retry_after;
};

struct tls_settings {
  bool verify_peer = true;
  /// PEM file of trusted CAs; empty = the system's default paths.
  std::string ca_file;
};

/// Largest response body read.
inline constexpr std::size_t max_response_bytes = std::size_t{16} << 20U;

/// Sends `method` (`GET`, `POST`...) with `body` as application/json (no body when empty) and
/// reads the whole response within `timeout`. Any status is a success here. Errors:
/// errc::timed_out, errc::engine_unavailable (DNS, connect, TLS, I/O, malformed or oversized
/// response), errc::engine_config (certificate rejected).
[[nodiscard]] result<http_reply> send_request(const http_url& url, std::string_view method,
                                              std::string_view body, std::chrono::milliseconds timeout,
                                              const tls_settings& tls);

/// send_request() with POST.
[[nodiscard]] inline result<http_reply> post_json(const http_url& url, std::string_view body,
                                                  std::chrono::milliseconds timeout,
                                                  const tls_settings& tls) {
  return send_request(url, "POST", body, timeout, tls);
}

}  // namespace syn::translation::detail
