#pragma once
/// A small HTTP/1.1 server on Boost.Beast for the trigger, the feed server and /metrics.
///
/// Each connection reads one request at a time with a deadline on every read and write (a slow
/// or stalled client is cut off after `io_timeout`), a header limit (16 KiB for the request line
/// and fields together; more gets 431) and a body limit (a larger body gets 413 without being
/// read). Handlers run on the server's thread pool and may block
/// briefly; they must be thread-safe. A handler that throws yields a 500 with a JSON error.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syn::http {

struct request {
  std::string method;  ///< "GET", "POST", ...
  std::string target;  ///< as sent, e.g. `/v1/issues?paper=cjrb`
  std::string path;    ///< target without the query, percent-decoding not applied
  std::map<std::string, std::string> query;  ///< decoded query parameters
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  std::string remote;  ///< peer address:port

  /// Header value or "" (name in lower case).
  [[nodiscard]] std::string header(std::string_view name) const;
};

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  /// `{"error": message}` with `status`.
  static response json_error(unsigned status, std::string_view message);
};

using handler = std::function<response(const request&)>;

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port (see server::port())
  std::size_t body_limit = 4U * 1024U * 1024U;
  std::chrono::milliseconds io_timeout{10000};
  unsigned threads = 2;
};

/// Runs on its own threads from construction until stop() or destruction.
class server {
 public:
  /// Binds and starts serving. \throws std::runtime_error naming the address if it cannot bind.
  server(server_options options, handler h);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port (useful with port 0).
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// Stops accepting, closes connections, joins the threads. Idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Percent-decodes `s` (`+` as space, as in query strings).
std::string url_decode(std::string_view s);

/// JSON string escaping is left to nlohmann::json; this quotes nothing.
}  // namespace syn::http
