#include "syn/core/http_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

#include "http_text.hpp"
#include "syn/core/log.hpp"

namespace syn::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

/// Request line and header fields together; a larger request is answered 431.
constexpr std::uint32_t kHeaderLimit = 16U * 1024U;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

using detail::ascii_lower;

request to_request(const bhttp::request<bhttp::string_body>& r, const std::string& remote, bool with_body) {
  request out;
  out.method = std::string(r.method_string());
  out.target = std::string(r.target());
  const auto q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(out.target).substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      if (!pair.empty()) {
        out.query[url_decode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  for (const auto& f : r) out.headers[ascii_lower(std::string(f.name_string()))] = std::string(f.value());
  if (with_body) out.body = r.body();
  out.remote = remote;
  return out;
}

/// Open connections, in total and per client address. Shared by the sessions, which may
/// outlive the server's members while the pool is torn down.
struct connection_limits {
  std::mutex mu;
  std::size_t total = 0;
  std::map<std::string, std::size_t> per_client;

  /// Takes a slot for `client`; false if a cap is reached.
  bool take(const std::string& client, const server_options& o) {
    std::lock_guard lock(mu);
    auto& mine = per_client[client];
    if (total >= o.max_connections || mine >= o.max_connections_per_client) {
      if (mine == 0) per_client.erase(client);
      return false;
    }
    ++total;
    ++mine;
    return true;
  }
  void give_back(const std::string& client) {
    std::lock_guard lock(mu);
    --total;
    if (auto it = per_client.find(client); it != per_client.end() && --it->second == 0) per_client.erase(it);
  }
};

/// One connection: read a request's head, authorise it, read its body, answer, repeat while
/// keep-alive.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket s, const server_options& o, const handler& h, const authoriser& a,
          std::shared_ptr<connection_limits> limits, std::string client)
      : stream_(std::move(s)),
        options_(o),
        handler_(h),
        authorise_(a),
        limits_(std::move(limits)),
        client_(std::move(client)) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  ~session() { limits_->give_back(client_); }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(std::min(options_.header_timeout, options_.io_timeout));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  /// Answers a read error; true if there was one.
  bool failed(beast::error_code ec) {
    if (!ec) return false;
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset || ec == asio::error::eof) {
      close();
    } else if (ec == bhttp::error::header_limit) {
      refuse(response::json_error(
          431, "request header fields over the limit of " + std::to_string(kHeaderLimit) + " bytes"));
    } else if (ec == bhttp::error::body_limit) {
      refuse(too_large());
    } else {
      refuse(response::json_error(400, "malformed HTTP request: " + ec.message()));
    }
    return true;
  }

  response too_large() const {
    return response::json_error(
        413, "request body over the limit of " + std::to_string(options_.body_limit) + " bytes");
  }

  void on_header(beast::error_code ec) {
    if (failed(ec)) return;
    const auto& req = parser_->get();
    // Refused before a byte of the body is read: too large as announced, or not authorised.
    if (const auto length = parser_->content_length(); length && *length > options_.body_limit) {
      return refuse(too_large());
    }
    if (authorise_) {
      std::optional<response> no;
      try {
        no = authorise_(to_request(req, remote_, false));
      } catch (const std::exception& e) {
        log::get("http").error("authoriser failed on {} {}: {}", std::string(req.method_string()),
                               std::string(req.target()), e.what());
        no = response::json_error(500, std::string("internal error: ") + e.what());
      }
      if (no) return refuse(std::move(*no));
    }
    if (parser_->is_done()) return on_read({});
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      // The client waits for this before sending the body (curl does for bodies over 1 MiB).
      auto cont =
          std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
      stream_.expires_after(options_.io_timeout);
      bhttp::async_write(stream_, *cont,
                         [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
                           if (wec) return self->close();
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(options_.io_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (failed(ec)) return;
    const auto& req = parser_->get();
    response res;
    try {
      res = handler_(to_request(req, remote_, true));
    } catch (const std::exception& e) {
      log::get("http").error("handler failed on {} {}: {}", std::string(req.method_string()),
                             std::string(req.target()), e.what());
      res = response::json_error(500, std::string("internal error: ") + e.what());
    }
    write(std::move(res), req.keep_alive(), req.version());
  }

  /// Answers and closes without reading what is left of the request.
  void refuse(response res) {
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    write(std::move(res), false, version);
  }

  void write(response res, bool keep_alive, unsigned version) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(res.status),
                                                                     version);
    msg->set(bhttp::field::server, "syndicate");
    msg->set(bhttp::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) msg->set(k, v);
    msg->body() = std::move(res.body);
    msg->keep_alive(keep_alive);
    msg->prepare_payload();
    stream_.expires_after(options_.io_timeout);
    bhttp::async_write(stream_, *msg,
                       [self = shared_from_this(), msg, keep_alive](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         if (!keep_alive) return self->linger();
                         self->read();
                       });
  }

  /// After the answer, half-close and drain what the client still sends, into a small fixed
  /// buffer, for a short while: closing with unread bytes would reset the connection, and the
  /// client could lose the answer (RFC 9112 section 9.6). Memory stays bounded whatever is sent.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(sink_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{kHeaderLimit + 1024};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const server_options& options_;
  const handler& handler_;
  const authoriser& authorise_;
  std::shared_ptr<connection_limits> limits_;
  std::string client_;
  std::string remote_;
  std::array<char, 16384> sink_{};
};

/// One over a connection cap: a short 503, written without waiting, then closed.
void turn_away(tcp::socket s) {
  static constexpr std::string_view answer =
      "HTTP/1.1 503 Service Unavailable\r\nServer: syndicate\r\nContent-Type: application/json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: 35\r\n\r\n{\"error\": \"too many "
      "connections\"}\r\n";
  beast::error_code ec;
  s.non_blocking(true, ec);
  s.write_some(asio::buffer(answer.data(), answer.size()), ec);
  s.shutdown(tcp::socket::shutdown_both, ec);
  s.close(ec);
}

}  // namespace

std::string request::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

response response::json_error(unsigned status, std::string_view message) {
  response r;
  r.status = status;
  r.body = nlohmann::json{{"error", message}}.dump() + "\n";
  return r;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

struct server::impl {
  server_options options;
  handler h;
  authoriser authorise;
  std::shared_ptr<connection_limits> limits = std::make_shared<connection_limits>();
  asio::thread_pool pool;
  tcp::acceptor acceptor;
  std::atomic<bool> stopped{false};
  std::atomic<std::uint64_t> turned_away{0};

  impl(server_options o, handler hh, authoriser a)
      : options(std::move(o)),
        h(std::move(hh)),
        authorise(std::move(a)),
        pool(options.threads),
        acceptor(asio::make_strand(pool)) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(pool), [this](beast::error_code ec, tcp::socket s) {
      if (stopped) return;
      if (!ec) {
        beast::error_code pec;
        const auto peer = s.remote_endpoint(pec);
        const std::string client = pec ? std::string("?") : peer.address().to_string();
        if (limits->take(client, options)) {
          std::make_shared<session>(std::move(s), options, h, authorise, limits, client)->start();
        } else {
          // Logged once per 100, so a flood cannot flood the log too.
          if (turned_away++ % 100 == 0) {
            log::get("http").warn("{}:{}: connection from {} turned away (cap {} in total, {} per client)",
                                  options.address, options.port, client, options.max_connections,
                                  options.max_connections_per_client);
          }
          turn_away(std::move(s));
        }
      }
      accept();
    });
  }
};

server::server(server_options options, handler h, authoriser authorise)
    : impl_(std::make_unique<impl>(std::move(options), std::move(h), std::move(authorise))) {
  beast::error_code ec;
  const auto addr = asio::ip::make_address(impl_->options.address, ec);
  if (ec)
    throw std::runtime_error("http: bad listen address '" + impl_->options.address + "': " + ec.message());
  const tcp::endpoint ep(addr, impl_->options.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("http: cannot listen on " + impl_->options.address + ":" +
                             std::to_string(impl_->options.port) + ": " + ec.message());
  }
  impl_->accept();
}

server::~server() { stop(); }

std::uint16_t server::port() const noexcept {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void server::stop() {
  if (impl_->stopped.exchange(true)) return;
  // Close the acceptor on its strand and wait for it, so new connections are refused at once
  // (a close merely posted before pool.stop() may never run).
  std::promise<void> closed;
  auto done = closed.get_future();
  asio::post(impl_->acceptor.get_executor(), [this, &closed] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    closed.set_value();
  });
  done.wait_for(std::chrono::seconds(5));
  impl_->pool.stop();
  impl_->pool.join();
}

}  // namespace syn::http
