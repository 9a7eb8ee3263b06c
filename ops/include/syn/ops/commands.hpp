#pragma once
/// Subcommands of the ops component.

#include "syn/core/cli.hpp"

namespace syn::ops {

/// Adds this component's subcommands to the root `syndicate` app.
void register_commands(CLI::App& root, cli::dispatcher& dispatch);

}  // namespace syn::ops
