#pragma once
/// A small HTTP/1.1 server on Boost.Beast for the trigger, the feed server and /metrics.
///
/// Each connection reads one request at a time: first the request line and header fields (16 KiB
/// at most, else 431; within `header_timeout`), then, only if the route's `authoriser` lets it
/// through and its Content-Length is within `body_limit` (else 413), the body (within
/// `io_timeout`; a chunked body that outgrows the limit is cut off with 413). A request refused
/// from its head is answered and the connection closed without the body ever being buffered.
/// Connections are capped in total and per client address; one over a cap is answered 503 and
/// closed at once. Handlers run on the server's thread pool and may block briefly; they must be
/// thread-safe. A handler that throws yields a 500 with a JSON error.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syn::http {

struct request {
  std::string method;                          ///< "GET", "POST", ...
  std::string target;                          ///< as sent, e.g. `/v1/issues?paper=cjrb`
  std::string path;                            ///< target without the query, percent-decoding not applied
  std::map<std::string, std::string> query;    ///< decoded query parameters
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;                            ///< empty when given to an authoriser (not read yet)
  std::string remote;                          ///< peer address:port

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
/// Decides from a request's head (method, target, query, headers; `body` empty) whether its
/// body may be read: nullopt to go on, or the answer to give instead (401, 403, 404...), after
/// which the connection is closed unread. Runs on the server's threads; must be thread-safe and
/// must not block. Use it for anything that can refuse a request without its body (tokens,
/// signatures carried in the query), so that a refused client costs no memory.
using authoriser = std::function<std::optional<response>(const request&)>;

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port (see server::port())
  std::size_t body_limit = 4U * 1024U * 1024U;
  /// Bound on reading the body of one request, and on writing the answer.
  std::chrono::milliseconds io_timeout{10000};
  /// Bound on reading a request's line and header fields (also the keep-alive idle time); never
  /// more than io_timeout, which bounds a whole request.
  std::chrono::milliseconds header_timeout{10000};
  /// Open connections at most, in total and from one client address.
  std::size_t max_connections = 256;
  std::size_t max_connections_per_client = 32;
  unsigned threads = 2;
};

/// Runs on its own threads from construction until stop() or destruction.
class server {
 public:
  /// Binds and starts serving. \throws std::runtime_error naming the address if it cannot bind.
  server(server_options options, handler h, authoriser authorise = {});
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
