#pragma once
/// `syndicate run`: every role in one process on the embedded broker, for a first try.

#include "syn/core/cli.hpp"

namespace syn::app {

void register_run_command(CLI::App& root, cli::dispatcher& dispatch);

}  // namespace syn::app
