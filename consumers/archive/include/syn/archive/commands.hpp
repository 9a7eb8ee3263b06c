#pragma once
/// Subcommands of the archive component.

#include <string>

#include "syn/core/cli.hpp"
#include "syn/core/config.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"

namespace syn::archive {

/// Adds this component's subcommands to the root `syndicate` app.
void register_commands(CLI::App& root, cli::dispatcher& dispatch);

/// The runner options of `consume archive` in consumer group `group_id` (also `syndicate run`'s):
/// its topics and schemas, the archive's batch size and wait, retry_forever.
runner::options consume_options(const config::root& cfg, const service::consumer_args& args,
                                std::string group_id);

/// `consume archive` (consume_command.cpp).
void register_consume_command(CLI::App& root, cli::dispatcher& dispatch);

}  // namespace syn::archive
