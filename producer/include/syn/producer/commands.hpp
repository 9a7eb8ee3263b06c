#pragma once
/// Subcommands of the producer component.

#include "syn/core/cli.hpp"

namespace syn::producer {

/// Adds this component's subcommands to the root `syndicate` app.
void register_commands(CLI::App& root, cli::dispatcher& dispatch);

/// `publish` and `serve trigger` (publish_command.cpp).
void register_publish_commands(CLI::App& root, cli::dispatcher& dispatch);

/// `review list|show|release|reject` (review_command.cpp).
void register_review_commands(CLI::App& root, cli::dispatcher& dispatch);

}  // namespace syn::producer
