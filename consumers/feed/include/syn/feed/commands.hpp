#pragma once
/// Subcommands of the feed component.

#include <optional>
#include <string>

#include "syn/core/cli.hpp"
#include "syn/core/config.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"
#include "syn/feed/state.hpp"

namespace syn::feed {

/// The options that name the feed state, the same on `consume feed`, `serve feeds` and `feed ...`.
struct state_args {
  std::optional<std::string> path;     ///< --state: overrides feed.state.sqlite.path
  std::optional<std::string> backend;  ///< --state-backend: overrides feed.state.backend
  std::optional<std::string> pg_env;   ///< --state-pg-env: overrides feed.state.postgres.conninfo_env
  /// The state the flags name, the rest from `cfg` (feed.state): state_backend_of(); throws
  /// std::invalid_argument for an unknown backend or an unset variable.
  [[nodiscard]] state_backend where(const config::feed_state_config& cfg) const;
  /// The SQLite file the flags or `cfg` name (whatever the backend).
  [[nodiscard]] std::string sqlite_path(const config::feed_state_config& cfg) const {
    return path.value_or(cfg.sqlite.path);
  }
};

/// Adds `--state FILE`, `--state-backend sqlite|postgres` and `--state-pg-env VAR` to `sub`.
void add_state_options(CLI::App* sub, state_args& args);

/// Adds this component's subcommands to the root `syndicate` app.
void register_commands(CLI::App& root, cli::dispatcher& dispatch);

/// The runner options of `consume feed` in consumer group `group_id` (also `syndicate run`'s):
/// its topics and schemas.
runner::options consume_options(const config::root& cfg, const service::consumer_args& args,
                                std::string group_id);

/// `consume feed` (consume_command.cpp).
void register_consume_command(CLI::App& root, cli::dispatcher& dispatch);

/// `feed status`, `feed quota reset`, `feed repost` (feed_command.cpp).
void register_feed_command(CLI::App& root, cli::dispatcher& dispatch);

}  // namespace syn::feed
