#include "syn/ops/commands.hpp"

namespace syn::ops {

void register_topics(CLI::App& root, cli::dispatcher& dispatch);  // topics.cpp

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  register_topics(root, dispatch);
  dispatch.not_implemented(root.add_subcommand("replay", "Rewind a consumer group or copy a range"), "issue 8");
  auto* dlq = root.add_subcommand("dlq", "Inspect and redrive dead letters");
  dlq->require_subcommand(1);
  for (const char* verb : {"list", "show", "redrive"}) {
    dispatch.not_implemented(dlq->add_subcommand(verb, std::string("dlq ") + verb), "issue 8");
  }
  dispatch.not_implemented(root.add_subcommand("lag", "Consumer group lag per partition"), "issue 8");
}

}  // namespace syn::ops
