#include "syn/feed/commands.hpp"

namespace syn::feed {

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto* consume = root.get_subcommand("consume")->add_subcommand(
      "feed", "Route articles to WeChat-style accounts and push drafts (group `feed`)");
  dispatch.not_implemented(consume, "issue 5");
  auto* serve = root.get_subcommand("serve")->add_subcommand("feeds", "Serve the feed pages and RSS");
  dispatch.not_implemented(serve, "issue 5");
}

}  // namespace syn::feed
