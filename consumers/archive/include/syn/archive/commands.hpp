#pragma once
/// Subcommands of the archive component.

#include "syn/core/cli.hpp"

namespace syn::archive {

/// Adds this component's subcommands to the root `syndicate` app.
void register_commands(CLI::App& root, cli::dispatcher& dispatch);

/// `consume archive` (consume_command.cpp).
void register_consume_command(CLI::App& root, cli::dispatcher& dispatch);

}  // namespace syn::archive
