#pragma once
/// Who is asking, and may they: the console's users from config (`console.users`: a name, a role
/// and the environment variable holding the token), and the CSRF tokens of its forms.
///
/// A request names its user by `Authorization: Bearer <token>` or by the `syn_console` cookie the
/// sign-in form sets (HttpOnly, SameSite=Strict). Without users configured every request is the
/// viewer `anonymous` and nothing can be changed. Tokens are compared in constant time and never
/// shown. A form's CSRF token is an HMAC-SHA256, under a key drawn at start, of the user's name:
/// a page of another site can neither read it nor forge it (SameSite also keeps the cookie off
/// cross-site posts).
///
/// Thread-safety: const members may be called from any thread.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"

namespace syn::console {

struct principal {
  std::string name;
  std::string role;  ///< viewer or editor
  [[nodiscard]] bool editor() const noexcept { return role == "editor"; }
};

class auth {
 public:
  /// Resolves every user's token now. \throws std::runtime_error naming the variable that is unset
  /// or empty.
  explicit auth(const config::console_config& cfg);

  /// No users configured: everyone is the viewer `anonymous`.
  [[nodiscard]] bool open() const noexcept { return users_.empty(); }
  /// The user the request names (Bearer token or cookie), or nullopt.
  [[nodiscard]] std::optional<principal> who(const http::request& req) const;
  /// The user whose token this is, or nullopt.
  [[nodiscard]] std::optional<principal> by_token(std::string_view token) const;
  [[nodiscard]] std::string csrf_token(const principal& p) const;
  [[nodiscard]] bool csrf_ok(const principal& p, std::string_view token) const;

  static constexpr std::string_view cookie_name = "syn_console";

 private:
  struct user {
    principal who;
    std::string token;
  };
  std::vector<user> users_;
  std::string key_;  ///< the CSRF key, random per process
};

/// `name=value` pairs of an application/x-www-form-urlencoded body (percent-decoded). A repeated
/// name keeps its last value.
[[nodiscard]] std::map<std::string, std::string> parse_form(std::string_view body);
/// The value of cookie `name` in a Cookie header, or "".
[[nodiscard]] std::string cookie_value(std::string_view header, std::string_view name);

}  // namespace syn::console
