#include "syn/console/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <map>
#include <stdexcept>

namespace syn::console {

namespace {

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4U]);
    out.push_back(digits[p[i] & 15U]);
  }
  return out;
}

}  // namespace

auth::auth(const config::console_config& cfg) {
  for (std::size_t i = 0; i < cfg.users.size(); ++i) {
    const auto& u = cfg.users[i];
    auto token = u.token.resolve();
    if (!token || token->empty()) {
      throw std::runtime_error("console.users[" + std::to_string(i) + "].token_env: environment variable " +
                               u.token.env + " is not set or empty");
    }
    users_.push_back({{u.name, u.role}, std::move(*token)});
  }
  std::array<unsigned char, 32> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("console: no random bytes for the CSRF key");
  key_.assign(reinterpret_cast<const char*>(key.data()), key.size());
}

std::optional<principal> auth::by_token(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  std::optional<principal> found;
  for (const auto& u : users_) {  // every user compared: the time does not tell which matched
    if (same(u.token, token)) found = u.who;
  }
  return found;
}

std::optional<principal> auth::who(const http::request& req) const {
  if (open()) return principal{"anonymous", "viewer"};
  const std::string authz = req.header("authorization");
  constexpr std::string_view bearer = "Bearer ";
  if (authz.size() > bearer.size() && authz.compare(0, bearer.size(), bearer) == 0)
    return by_token(std::string_view(authz).substr(bearer.size()));
  return by_token(cookie_value(req.header("cookie"), cookie_name));
}

std::string auth::csrf_token(const principal& p) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  const std::string msg = "csrf:" + p.name + ":" + p.role;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac.data(), &len);
  return hex(mac.data(), len);
}

bool auth::csrf_ok(const principal& p, std::string_view token) const { return same(csrf_token(p), token); }

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    const auto eq = pair.find('=');
    if (!pair.empty()) {
      out[http::url_decode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? std::string() : http::url_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    auto part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

}  // namespace syn::console
