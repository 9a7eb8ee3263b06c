#pragma once
/// Subcommands of the feed component.

#include "syn/core/cli.hpp"

namespace syn::feed {

/// Adds this component's subcommands to the root `syndicate` app.
void register_commands(CLI::App& root, cli::dispatcher& dispatch);

/// `consume feed` (consume_command.cpp).
void register_consume_command(CLI::App& root, cli::dispatcher& dispatch);

/// `feed status`, `feed quota reset`, `feed repost` (feed_command.cpp).
void register_feed_command(CLI::App& root, cli::dispatcher& dispatch);

}  // namespace syn::feed
