#include "http_post.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "syn/core/http_client.hpp"

namespace syn::translation::detail {
namespace {

/// One client (and its kept-alive connections) per TLS setting, for the life of the process.
std::shared_ptr<http::client> client_for(const tls_settings& tls) {
  static std::mutex mu;
  static std::map<std::tuple<bool, std::string>, std::shared_ptr<http::client>> clients;
  const std::lock_guard lock(mu);
  auto& c = clients[{tls.verify_peer, tls.ca_file}];
  if (!c) {
    http::client_options o;
    o.max_response_bytes = max_response_bytes;
    o.verify_peer = tls.verify_peer;
    o.ca_file = tls.ca_file;
    o.user_agent = "syndicate-translator/0.1";
    c = std::make_shared<http::client>(std::move(o));
  }
  return c;
}

/// The client's error as the engine's: a rejected certificate, a URL the client cannot send to or
/// a CA file it cannot load need a config change; the rest may pass.
error engine_error(const http::client_error& e, const std::string& what, std::chrono::milliseconds timeout) {
  // The client's message starts with the request (`POST url: `), as `what` does.
  std::string detail = e.message;
  if (detail.rfind(what + ": ", 0) == 0) detail = detail.substr(what.size() + 2);
  if (e.code == http::errc::timed_out) {
    return {errc::timed_out,
            what + ": timed out after " + std::to_string(timeout.count()) + " ms (" + detail + ")"};
  }
  if (e.code == http::errc::certificate_rejected)
    return {errc::engine_config, what + ": server certificate rejected: " + detail};
  if (e.code == http::errc::bad_url ||
      (e.code == http::errc::tls_failed && detail.rfind("cannot load trusted CAs", 0) == 0)) {
    return {errc::engine_config, what + ": " + detail};
  }
  return {errc::engine_unavailable, what + ": " + detail};
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
    // Built by push_back and append, not `"/" + std::string(...)` nor `= "/"`: GCC 12 at -O3
    // reports a false -Wrestrict overlap in string::_M_replace (GCC PR 105329), a broken release
    // build.
    u.target.clear();
    if (target.empty() || target[0] != '/') u.target.push_back('/');
    u.target.append(target);
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
  http::client_request req;
  req.method = std::string(method);
  req.url = url.str();
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "application/json");
  req.body = std::string(body);
  const std::string what = req.method + " " + req.url;
  auto r = client_for(tls)->send(req, timeout);
  if (!r) return engine_error(r.error(), what, timeout);
  http_reply reply;
  reply.status = r.value().status;
  reply.retry_after = r.value().header("retry-after");
  reply.body = std::move(r.value().body);
  return reply;
}

}  // namespace syn::translation::detail
