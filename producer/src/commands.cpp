#include "syn/producer/commands.hpp"

namespace syn::producer {

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto* split = root.add_subcommand("split", "Split one issue file into articles and print them (publishes nothing)");
  dispatch.not_implemented(split, "issue 3");

  auto* publish = root.add_subcommand("publish", "Split issue files and publish each in one Kafka transaction");
  dispatch.not_implemented(publish, "issue 4");

  auto* serve = root.get_subcommand("serve");
  auto* trigger = serve->add_subcommand("trigger", "The newsroom trigger: HTTP POST /v1/issues and a hot folder");
  dispatch.not_implemented(trigger, "issue 4");
}

}  // namespace syn::producer
