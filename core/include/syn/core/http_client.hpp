#pragma once
/// A small blocking HTTP/1.1 client on Boost.Beast: plain TCP for http://, OpenSSL TLS for
/// https:// (certificate and host name verified against the system trust store by default).
///
/// Every call has a deadline covering all of it (DNS, connect, TLS handshake, write, read): no
/// call waits longer than its timeout, except that a DNS lookup in progress cannot be interrupted
/// (getaddrinfo), so a stuck resolver is bounded by resolv.conf's own timeout; resolved addresses
/// are cached for a minute and numeric hosts are never resolved.
///
/// Connections are kept alive and reused per origin (scheme, host, port). A request that fails on
/// a reused connection before any byte of the response arrived (the server closed the idle
/// connection) is sent again once on a fresh connection; nothing else is retried here.
///
/// Thread-safe: concurrent send() calls each use their own connection. Errors are returned, never
/// thrown (std::bad_alloc aside).
///
/// The one HTTP client of the project: the feed's WeChat API client and the translation's HTTP
/// engine (consumers/translation/src/http_post.cpp) send through it.

#include <atomic>
#include <boost/outcome/basic_result.hpp>
#include <boost/outcome/policy/terminate.hpp>
#include <boost/outcome/success_failure.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace syn::http {

enum class errc : int {
  bad_url = 1,
  resolve_failed,
  connect_failed,
  tls_failed,
  certificate_rejected,
  timed_out,
  io_failed,
  response_too_large,
  bad_response,
};

const std::error_category& http_client_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), http_client_category()};
}

/// Whether sending the same request again later can succeed (everything but bad_url and
/// certificate failures, which need a config change).
[[nodiscard]] bool is_retriable(std::error_code ec) noexcept;

/// A failed request.
struct client_error {
  std::error_code code;
  /// One line, e.g. `POST https://api.weixin.qq.com/cgi-bin/draft/add: timed out after 10000 ms`.
  std::string message;
  /// The whole request was written before the failure: the server may have acted on it.
  bool request_sent = false;
};

template <class T>
using result = boost::outcome_v2::basic_result<T, client_error, boost::outcome_v2::policy::terminate>;

/// `scheme://host[:port]/target`; only http and https.
struct url {
  std::string scheme;
  std::string host;
  std::string port;
  std::string target = "/";

  [[nodiscard]] bool tls() const noexcept { return scheme == "https"; }
  /// `scheme://host:port`
  [[nodiscard]] std::string origin() const { return scheme + "://" + host + ":" + port; }
  [[nodiscard]] static std::optional<url> parse(std::string_view s);
};

struct client_request {
  std::string method = "GET";
  std::string url;
  /// Extra headers (Content-Type among them); Host, User-Agent, Content-Length and Connection are set.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct client_response {
  unsigned status = 0;
  /// Lower-case names.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// First value of header `name` (lower case), or "".
  [[nodiscard]] std::string header(std::string_view name) const;
};

struct client_options {
  std::chrono::milliseconds default_timeout{10000};
  /// Larger response bodies fail with response_too_large.
  std::size_t max_response_bytes = std::size_t{16} << 20U;
  /// Idle connections kept per origin.
  std::size_t max_idle_per_origin = 16;
  /// An idle connection older than this is closed rather than reused (servers close idle
  /// connections after a while; Beast's server in core after its io_timeout).
  std::chrono::milliseconds idle_timeout{5000};
  /// Verify the server certificate and host name (https).
  bool verify_peer = true;
  /// PEM file of trusted CAs; empty = the system's default paths.
  std::string ca_file;
  std::string user_agent = "syndicate/0.1";
};

class client {
 public:
  explicit client(client_options options = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req` and reads the whole response within `timeout`. Any status is a success here;
  /// the caller interprets it.
  [[nodiscard]] result<client_response> send(const client_request& req, std::chrono::milliseconds timeout);
  [[nodiscard]] result<client_response> send(const client_request& req);

  /// Connections opened so far (a test of keep-alive).
  [[nodiscard]] std::uint64_t connections_opened() const noexcept;
  /// Drops every idle connection.
  void close_idle();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One part of a multipart/form-data body.
struct form_part {
  std::string name;          ///< form field, e.g. `media`
  std::string filename;      ///< empty for a plain field
  std::string content_type;  ///< e.g. `image/jpeg`; empty for a plain field
  std::string data;
};

/// A boundary unlikely to occur in any part (random).
[[nodiscard]] std::string make_boundary();
/// The multipart/form-data body of `parts` with `boundary`; the request's Content-Type is
/// `multipart/form-data; boundary=<boundary>`.
[[nodiscard]] std::string multipart_body(std::string_view boundary, std::span<const form_part> parts);
/// Percent-encodes everything but unreserved characters (RFC 3986).
[[nodiscard]] std::string percent_encode(std::string_view s);

}  // namespace syn::http

template <>
struct std::is_error_code_enum<syn::http::errc> : std::true_type {};
