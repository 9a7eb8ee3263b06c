#include "http_post.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
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

namespace syn::translation::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

/// Runs one asynchronous operation to completion on `ioc`; the stream's expiry bounds it.
template <class Start>
beast::error_code run_op(asio::io_context& ioc, Start&& start) {
  beast::error_code result = asio::error::would_block;
  std::forward<Start>(start)([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

bool is_timeout(const beast::error_code& ec) noexcept {
  return ec == beast::error::timeout || ec == asio::error::timed_out;
}

bool certificate_rejected(const beast::error_code& ec) noexcept {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

error io_error(const std::string& what, std::string_view step, const beast::error_code& ec,
               std::chrono::milliseconds timeout) {
  if (is_timeout(ec)) {
    return {errc::timed_out, what + ": timed out after " + std::to_string(timeout.count()) + " ms (" +
                                 std::string(step) + ")"};
  }
  if (certificate_rejected(ec))
    return {errc::engine_config, what + ": server certificate rejected: " + ec.message()};
  return {errc::engine_unavailable, what + ": " + std::string(step) + " failed: " + ec.message()};
}

/// Connect (on the lowest layer), optional TLS handshake, write, read.
template <class Stream>
result<http_reply> exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& lowest,
                            const tcp::resolver::results_type& endpoints, const http_url& url,
                            std::string_view method, std::string_view body, steady::time_point deadline,
                            std::chrono::milliseconds timeout, const std::string& what) {
  lowest.expires_at(deadline);
  auto ec = run_op(ioc, [&](auto&& cb) { lowest.async_connect(endpoints, std::forward<decltype(cb)>(cb)); });
  if (ec) return io_error(what, "connect", ec, timeout);

  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    lowest.expires_at(deadline);
    ec = run_op(ioc, [&](auto&& cb) {
      stream.async_handshake(ssl::stream_base::client, std::forward<decltype(cb)>(cb));
    });
    if (ec) return io_error(what, "TLS handshake", ec, timeout);
  }

  bhttp::request<bhttp::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(url.target);
  req.version(11);
  const bool default_port = (url.tls() && url.port == "443") || (!url.tls() && url.port == "80");
  const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  req.set(bhttp::field::host, default_port ? host : host + ":" + url.port);
  req.set(bhttp::field::user_agent, "syndicate-translator/0.1");
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::accept, "application/json");
  req.keep_alive(false);
  req.body() = std::string(body);
  req.prepare_payload();
  lowest.expires_at(deadline);
  ec = run_op(ioc, [&](auto&& cb) { bhttp::async_write(stream, req, std::forward<decltype(cb)>(cb)); });
  if (ec) return io_error(what, "write", ec, timeout);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_response_bytes);
  lowest.expires_at(deadline);
  ec = run_op(ioc,
              [&](auto&& cb) { bhttp::async_read(stream, buffer, parser, std::forward<decltype(cb)>(cb)); });
  if (ec) return io_error(what, "read", ec, timeout);

  auto& res = parser.get();
  http_reply reply;
  reply.status = res.result_int();
  reply.retry_after = std::string(res[bhttp::field::retry_after]);
  reply.body = std::move(res.body());
  // Connection: close; no graceful TLS shutdown (the server may not answer it, and nothing more is read).
  beast::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return reply;
}

}  // namespace

std::string http_url::str() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + port + target;
}

std::optional<http_url> http_url::parse(std::string_view s) {
  http_url u;
  const auto sep = s.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  for (const char c : s.substr(0, sep))
    u.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  std::string_view rest = s.substr(sep + 3);
  const auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view target = rest.substr(slash);
    target = target.substr(0, target.find('#'));
    u.target = target.empty() || target[0] != '/' ? "/" + std::string(target) : std::string(target);
  }
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials in URLs
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  if (port.empty()) {
    u.port = u.tls() ? "443" : "80";
  } else {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    const int p = std::stoi(std::string(port));
    if (p <= 0 || p > 65535) return std::nullopt;
    u.port = std::string(port);
  }
  return u;
}

result<http_reply> send_request(const http_url& url, std::string_view method, std::string_view body,
                                std::chrono::milliseconds timeout, const tls_settings& tls) {
  const std::string what = std::string(method) + " " + url.str();
  const auto deadline = steady::now() + timeout;
  asio::io_context ioc{1};

  // The resolver has no expiry of its own: run until the deadline, then cancel.
  tcp::resolver resolver(ioc);
  beast::error_code ec = asio::error::would_block;
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(url.host, url.port, [&](beast::error_code e, tcp::resolver::results_type r) {
    ec = e;
    endpoints = std::move(r);
  });
  ioc.run_until(deadline);
  if (ec == asio::error::would_block) {
    resolver.cancel();
    ioc.restart();
    ioc.run();
    return error(errc::timed_out,
                 what + ": timed out after " + std::to_string(timeout.count()) + " ms (resolve)");
  }
  if (ec) return error(errc::engine_unavailable, what + ": cannot resolve " + url.host + ": " + ec.message());

  if (!url.tls()) {
    beast::tcp_stream stream(ioc);
    return exchange(ioc, stream, stream, endpoints, url, method, body, deadline, timeout, what);
  }

  ssl::context ctx(ssl::context::tls_client);
  beast::error_code setup;
  if (tls.verify_peer) {
    ctx.set_verify_mode(ssl::verify_peer, setup);
    if (!setup) {
      if (tls.ca_file.empty()) {
        ctx.set_default_verify_paths(setup);
      } else {
        ctx.load_verify_file(tls.ca_file, setup);
      }
    }
  } else {
    ctx.set_verify_mode(ssl::verify_none, setup);
  }
  if (setup) return error(errc::engine_config, what + ": TLS setup failed: " + setup.message());
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  // SNI; SSL_set_tlsext_host_name is a macro with a C cast, hence SSL_ctrl.
  if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(url.host.c_str())) != 1) {
    return error(errc::engine_config, what + ": cannot set TLS server name");
  }
  if (tls.verify_peer) stream.set_verify_callback(ssl::host_name_verification(url.host), setup);
  if (setup) return error(errc::engine_config, what + ": TLS setup failed: " + setup.message());
  return exchange(ioc, stream, beast::get_lowest_layer(stream), endpoints, url, method, body, deadline,
                  timeout, what);
}

}  // namespace syn::translation::detail
