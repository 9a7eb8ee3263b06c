#include "syn/core/http_client.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <map>
#include <mutex>
#include <random>
#include <variant>

#include "http_text.hpp"

namespace syn::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "http_client"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_url:
        return "bad URL";
      case errc::resolve_failed:
        return "cannot resolve host";
      case errc::connect_failed:
        return "cannot connect";
      case errc::tls_failed:
        return "TLS handshake failed";
      case errc::certificate_rejected:
        return "server certificate rejected";
      case errc::timed_out:
        return "timed out";
      case errc::io_failed:
        return "connection failed";
      case errc::response_too_large:
        return "response too large";
      case errc::bad_response:
        return "malformed HTTP response";
    }
    return "unknown http_client error";
  }
};

using detail::ascii_lower;

struct connection {
  explicit connection(std::string o, bool t) : origin(std::move(o)), tls(t) {}
  asio::io_context ioc{1};
  std::string origin;
  bool tls;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  steady::time_point idle_since{};

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*secure) : *plain; }
};

/// Runs one asynchronous operation on the connection's own io_context until it completes; the
/// tcp_stream's expiry (set by the caller) bounds it.
template <class Start>
beast::error_code run_op(connection& c, Start&& start) {
  beast::error_code result = asio::error::would_block;
  std::forward<Start>(start)([&result](beast::error_code ec, auto&&...) { result = ec; });
  c.ioc.restart();
  c.ioc.run();
  return result;
}

bool is_certificate_error(const beast::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
  return reason == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

std::string describe(const client_request& r) { return r.method + " " + r.url; }

}  // namespace

const std::error_category& http_client_category() noexcept {
  static const category c;
  return c;
}

bool is_retriable(std::error_code ec) noexcept {
  if (ec.category() != http_client_category()) return false;
  switch (static_cast<errc>(ec.value())) {
    case errc::resolve_failed:
    case errc::connect_failed:
    case errc::tls_failed:
    case errc::timed_out:
    case errc::io_failed:
    case errc::bad_response:
      return true;
    case errc::bad_url:
    case errc::certificate_rejected:
    case errc::response_too_large:
      return false;
  }
  return false;
}

std::optional<url> url::parse(std::string_view s) {
  url u;
  const auto sep = s.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  u.scheme = ascii_lower(s.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  s.remove_prefix(sep + 3);
  const auto slash = s.find_first_of("/?#");
  std::string_view authority = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    u.target = std::string(s.substr(slash));
    if (const auto hash = u.target.find('#'); hash != std::string::npos) u.target.erase(hash);
    if (u.target.empty() || u.target[0] != '/') u.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos || authority.empty()) return std::nullopt;
  if (authority.front() == '[') {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') return std::nullopt;
      u.port = std::string(authority.substr(1));
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
  } else {
    u.host = std::string(authority);
  }
  if (u.host.empty()) return std::nullopt;
  if (u.port.empty()) u.port = u.tls() ? "443" : "80";
  if (!std::all_of(u.port.begin(), u.port.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      u.port.size() > 5 || std::stoi(u.port) > 65535 || std::stoi(u.port) == 0) {
    return std::nullopt;
  }
  return u;
}

std::string client_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

struct client::impl {
  explicit impl(client_options o) : options(std::move(o)), tls_ctx(asio::ssl::context::tls_client) {
    beast::error_code ec;
    if (options.ca_file.empty()) {
      tls_ctx.set_default_verify_paths(ec);
    } else {
      tls_ctx.load_verify_file(options.ca_file, ec);
    }
    tls_ctx_error = ec;
    tls_ctx.set_verify_mode(options.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none, ec);
    tls_ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1,
                        ec);
  }

  client_options options;
  asio::ssl::context tls_ctx;
  beast::error_code tls_ctx_error;
  std::atomic<std::uint64_t> opened{0};

  std::mutex mu;
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle;
  struct cached_endpoints {
    std::vector<tcp::endpoint> endpoints;
    steady::time_point expires;
  };
  std::map<std::string, cached_endpoints> dns;

  std::unique_ptr<connection> borrow(const std::string& origin) {
    const std::lock_guard lock(mu);
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    auto& v = it->second;
    const auto now = steady::now();
    while (!v.empty()) {
      auto c = std::move(v.back());
      v.pop_back();
      if (now - c->idle_since <= options.idle_timeout) return c;
    }
    return nullptr;
  }

  void give_back(std::unique_ptr<connection> c) {
    c->idle_since = steady::now();
    const std::lock_guard lock(mu);
    auto& v = idle[c->origin];
    if (v.size() < options.max_idle_per_origin) v.push_back(std::move(c));
  }

  result<std::vector<tcp::endpoint>> resolve(connection& c, const url& u, steady::time_point deadline,
                                             const client_request& req) {
    beast::error_code ec;
    const auto addr = asio::ip::make_address(u.host, ec);
    const auto port = static_cast<std::uint16_t>(std::stoi(u.port));
    if (!ec) return std::vector<tcp::endpoint>{tcp::endpoint(addr, port)};
    const auto key = u.host + ":" + u.port;
    {
      const std::lock_guard lock(mu);
      if (const auto it = dns.find(key); it != dns.end() && it->second.expires > steady::now()) {
        return it->second.endpoints;
      }
    }
    tcp::resolver resolver(c.ioc);
    bool done = false;
    std::vector<tcp::endpoint> eps;
    resolver.async_resolve(u.host, u.port, [&](beast::error_code e, const tcp::resolver::results_type& r) {
      done = true;
      ec = e;
      for (const auto& entry : r) eps.push_back(entry.endpoint());
    });
    c.ioc.restart();
    const auto now = steady::now();
    c.ioc.run_for(deadline > now ? deadline - now : steady::duration::zero());
    if (!done) {
      resolver.cancel();
      return client_error{errc::timed_out, describe(req) + ": timed out resolving " + u.host, false};
    }
    if (ec || eps.empty()) {
      return client_error{
          errc::resolve_failed,
          describe(req) + ": cannot resolve " + u.host + ": " + (ec ? ec.message() : "no address"), false};
    }
    const std::lock_guard lock(mu);
    dns[key] = {eps, steady::now() + std::chrono::minutes(1)};
    return eps;
  }

  result<std::unique_ptr<connection>> open(const url& u, steady::time_point deadline,
                                           const client_request& req) {
    if (u.tls() && tls_ctx_error) {
      return client_error{errc::tls_failed,
                          describe(req) + ": cannot load trusted CAs: " + tls_ctx_error.message(), false};
    }
    auto c = std::make_unique<connection>(u.origin(), u.tls());
    auto eps = resolve(*c, u, deadline, req);
    if (!eps) return eps.error();
    if (c->tls) {
      c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c->ioc, tls_ctx);
      // SNI, and the name the certificate must carry.
      // SSL_set_tlsext_host_name() is a macro with an old-style cast; this is what it expands to.
      if (SSL_ctrl(c->secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   static_cast<void*>(const_cast<char*>(u.host.c_str()))) != 1) {
        return client_error{errc::tls_failed, describe(req) + ": cannot set TLS server name " + u.host,
                            false};
      }
      if (options.verify_peer) c->secure->set_verify_callback(asio::ssl::host_name_verification(u.host));
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(c->ioc);
    }
    auto& tcp_layer = c->lowest();
    tcp_layer.expires_at(deadline);
    auto ec =
        run_op(*c, [&](auto&& h) { tcp_layer.async_connect(eps.value(), std::forward<decltype(h)>(h)); });
    if (ec) {
      const auto code = ec == beast::error::timeout ? errc::timed_out : errc::connect_failed;
      return client_error{
          code, describe(req) + ": cannot connect to " + u.host + ":" + u.port + ": " + ec.message(), false};
    }
    ++opened;
    beast::error_code ignored;
    tcp_layer.socket().set_option(tcp::no_delay(true), ignored);
    if (c->tls) {
      tcp_layer.expires_at(deadline);
      ec = run_op(*c, [&](auto&& h) {
        c->secure->async_handshake(asio::ssl::stream_base::client, std::forward<decltype(h)>(h));
      });
      if (ec) {
        errc code = errc::tls_failed;
        if (ec == beast::error::timeout) code = errc::timed_out;
        if (is_certificate_error(ec)) code = errc::certificate_rejected;
        return client_error{
            code, describe(req) + ": TLS handshake with " + u.host + " failed: " + ec.message(), false};
      }
    }
    return c;
  }

  struct exchange_failure {
    client_error error;
    bool stale = false;  ///< failed before any response byte: the connection was dead
  };

  /// Writes `req` and reads the response on `c`.
  std::variant<client_response, exchange_failure> exchange(connection& c, const url& u,
                                                           const client_request& req,
                                                           steady::time_point deadline, bool& keep) {
    bhttp::request<bhttp::string_body> r;
    r.version(11);
    const auto verb = bhttp::string_to_verb(req.method);
    if (verb == bhttp::verb::unknown) {
      r.method_string(req.method);
    } else {
      r.method(verb);
    }
    r.target(u.target);
    const bool default_port = (u.tls() && u.port == "443") || (!u.tls() && u.port == "80");
    const bool v6 = u.host.find(':') != std::string::npos;
    r.set(bhttp::field::host, (v6 ? "[" + u.host + "]" : u.host) + (default_port ? "" : ":" + u.port));
    r.set(bhttp::field::user_agent, options.user_agent);
    for (const auto& [k, v] : req.headers) r.set(k, v);
    r.body() = req.body;
    r.keep_alive(true);
    r.prepare_payload();

    auto& tcp_layer = c.lowest();
    tcp_layer.expires_at(deadline);
    beast::error_code ec;
    if (c.tls) {
      ec = run_op(c, [&](auto&& h) { bhttp::async_write(*c.secure, r, std::forward<decltype(h)>(h)); });
    } else {
      ec = run_op(c, [&](auto&& h) { bhttp::async_write(*c.plain, r, std::forward<decltype(h)>(h)); });
    }
    if (ec) {
      const bool timeout = ec == beast::error::timeout;
      return exchange_failure{
          {timeout ? errc::timed_out : errc::io_failed,
           describe(req) + (timeout ? ": timed out writing the request" : ": write failed: " + ec.message()),
           false},
          !timeout};
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(64U * 1024U);
    // Beast 1.74 does not enforce body_limit on responses (boostorg/beast#2087, #2183): read the
    // header first and check Content-Length ourselves, then the body size.
    bool too_large = false;
    auto read_some = [&](bool header_only) {
      if (c.tls) {
        return header_only ? run_op(c,
                                    [&](auto&& h) {
                                      bhttp::async_read_header(*c.secure, c.buffer, parser,
                                                               std::forward<decltype(h)>(h));
                                    })
                           : run_op(c, [&](auto&& h) {
                               bhttp::async_read(*c.secure, c.buffer, parser, std::forward<decltype(h)>(h));
                             });
      }
      return header_only ? run_op(c,
                                  [&](auto&& h) {
                                    bhttp::async_read_header(*c.plain, c.buffer, parser,
                                                             std::forward<decltype(h)>(h));
                                  })
                         : run_op(c, [&](auto&& h) {
                             bhttp::async_read(*c.plain, c.buffer, parser, std::forward<decltype(h)>(h));
                           });
    };
    ec = read_some(true);
    if (!ec) {
      if (const auto len = parser.content_length(); len && *len > options.max_response_bytes) {
        too_large = true;
      } else if (!parser.is_done()) {
        ec = read_some(false);
      }
      if (!ec && parser.get().body().size() > options.max_response_bytes) too_large = true;
    }
    if (too_large) {
      return exchange_failure{
          {errc::response_too_large,
           describe(req) + ": response body over " + std::to_string(options.max_response_bytes) + " bytes",
           true},
          false};
    }
    if (ec) {
      errc code = errc::io_failed;
      std::string what = ": read failed: " + ec.message();
      if (ec == beast::error::timeout) {
        code = errc::timed_out;
        what = ": timed out waiting for the response";
      } else if (ec == bhttp::error::body_limit) {
        code = errc::response_too_large;
        what = ": response body over " + std::to_string(options.max_response_bytes) + " bytes";
      } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
                 ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        code = errc::bad_response;
        what = ": malformed response: " + ec.message();
      }
      const bool stale = code == errc::io_failed && !parser.got_some();
      return exchange_failure{{code, describe(req) + what, true}, stale};
    }
    client_response out;
    const auto& msg = parser.get();
    out.status = msg.result_int();
    for (const auto& f : msg) {
      // Boost 1.74's beast::string_view is boost::string_view: no conversion to std::string_view.
      const auto n = f.name_string();
      out.headers.emplace_back(ascii_lower(std::string_view(n.data(), n.size())), std::string(f.value()));
    }
    keep = msg.keep_alive() && parser.is_done();
    out.body = std::move(parser.release().body());
    return out;
  }
};

client::client(client_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
client::~client() = default;

result<client_response> client::send(const client_request& req) {
  return send(req, impl_->options.default_timeout);
}

result<client_response> client::send(const client_request& req, std::chrono::milliseconds timeout) {
  const auto u = url::parse(req.url);
  if (!u) return client_error{errc::bad_url, describe(req) + ": not an http(s) URL", false};
  const auto deadline = steady::now() + timeout;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The second attempt (after a dead idle connection) always opens a fresh one.
    auto c = attempt == 0 ? impl_->borrow(u->origin()) : nullptr;
    const bool reused = c != nullptr;
    if (!c) {
      auto opened = impl_->open(*u, deadline, req);
      if (!opened) return opened.error();
      c = std::move(opened.value());
    }
    bool keep = false;
    auto r = impl_->exchange(*c, *u, req, deadline, keep);
    if (auto* ok = std::get_if<client_response>(&r)) {
      if (keep) impl_->give_back(std::move(c));
      return std::move(*ok);
    }
    auto& failure = std::get<impl::exchange_failure>(r);
    // The server closed an idle keep-alive connection under us: it never saw this request.
    if (reused && failure.stale && steady::now() < deadline) continue;
    if (failure.error.code == errc::timed_out) {
      failure.error.message += " (" + std::to_string(timeout.count()) + " ms)";
    }
    return failure.error;
  }
  return client_error{errc::io_failed, describe(req) + ": connection closed by the server", false};
}

std::uint64_t client::connections_opened() const noexcept { return impl_->opened.load(); }

void client::close_idle() {
  const std::lock_guard lock(impl_->mu);
  impl_->idle.clear();
}

std::string make_boundary() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    std::random_device rd;
    for (auto& b : bytes) b = static_cast<unsigned char>(rd());
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "----syndicate";
  for (const auto b : bytes) {
    out.push_back(hex[b >> 4U]);
    out.push_back(hex[b & 0xFU]);
  }
  return out;
}

std::string multipart_body(std::string_view boundary, std::span<const form_part> parts) {
  std::string out;
  std::size_t size = 0;
  for (const auto& p : parts) size += p.data.size() + 256;
  out.reserve(size);
  auto quoted = [](std::string_view s) {
    std::string q;
    for (const char c : s) {
      if (c == '"' || c == '\\') q.push_back('\\');
      if (c != '\r' && c != '\n') q.push_back(c);
    }
    return q;
  };
  for (const auto& p : parts) {
    out += "--";
    out += boundary;
    out += "\r\nContent-Disposition: form-data; name=\"" + quoted(p.name) + "\"";
    if (!p.filename.empty()) out += "; filename=\"" + quoted(p.filename) + "\"";
    out += "\r\n";
    if (!p.content_type.empty()) out += "Content-Type: " + p.content_type + "\r\n";
    out += "\r\n";
    out += p.data;
    out += "\r\n";
  }
  out += "--";
  out += boundary;
  out += "--\r\n";
  return out;
}

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4U]);
      out.push_back(hex[u & 0xFU]);
    }
  }
  return out;
}

}  // namespace syn::http
