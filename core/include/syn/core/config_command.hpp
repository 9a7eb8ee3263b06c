#pragma once
/// `syndicate config check [FILE]` and `syndicate config keys`.

#include <CLI/CLI.hpp>

#include "syn/core/cli.hpp"

namespace syn::config {

class config_error;

/// Prints `e` on stderr as `config check` does (`syndicate: config invalid: N errors`, then one
/// `file:line:col: key: message` line each; a file that cannot be read is one line) and returns
/// cli::exit_code::bad_input. For any subcommand that loads the config:
///   try { cfg = config::load(path); } catch (const config::config_error& e) { return config::report(e); }
int report(const config_error& e);

/// Adds the `config` subcommand tree to `root`. `config check` validates a file and prints the
/// effective config (secrets masked) on stdout, exit 0; on a bad config it prints every error as
/// `file:line:col: key: message` on stderr, exit 2. `config keys` lists every setting.
void register_config_commands(CLI::App& root, cli::dispatcher& dispatch);

}  // namespace syn::config
