// syn::config: the `console` section (`serve console`: listen address, users and their roles).

#include <set>

#include "config_checks.hpp"
#include "config_sections.hpp"

namespace syn::config::detail {

template <>
const schema<console_user>& schema_of<console_user>() {
  static const schema<console_user> s{
      {
          required(field("name", &console_user::name, "Who this is, as the change log names them.",
                         {url_safe_name()})),
          field("role", &console_user::role, "`viewer` (read every page) or `editor` (also change things).",
                {expect<std::string>("viewer or editor",
                                     [](const std::string& r) { return r == "viewer" || r == "editor"; })}),
          required(field("token_env", &console_user::token,
                         "Environment variable holding the user's token (sent as a Bearer token or "
                         "entered on the sign-in page).")),
      },
      {}};
  return s;
}

template <>
const schema<console_config>& schema_of<console_config>() {
  static const schema<console_config> s{
      {
          field("listen", &console_config::listen, "Address of `serve console`.", {listen_address()}),
          field("users", &console_config::users,
                "Who may sign in; none = everyone is a viewer and nothing can be changed."),
          field("max_issues", &console_config::max_issues,
                "Issues kept in memory (the newest), with their receipts.", {positive<std::size_t>()}),
          field("refresh_seconds", &console_config::refresh_seconds,
                "Seconds between reads of the issues and deliveries topics.", {in_range(1, 3600)}),
      },
      {[](const console_config& c, validator& v, const std::string& path) {
        std::set<std::string> names;
        for (std::size_t i = 0; i < c.users.size(); ++i) {
          if (!names.insert(c.users[i].name).second) {
            v.error(join_path(path, "users[" + std::to_string(i) + "].name"),
                    "user " + quote(c.users[i].name) + " is listed twice");
          }
        }
      }}};
  return s;
}

}  // namespace syn::config::detail
