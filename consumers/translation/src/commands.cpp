#include "syn/translation/commands.hpp"

namespace syn::translation {

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto* consume = root.get_subcommand("consume")->add_subcommand(
      "translation", "Turn articles into translation jobs (group `translation`)");
  dispatch.not_implemented(consume, "issue 7");
  auto* translate = root.add_subcommand("translate", "Run translation jobs (group `translator`)");
  dispatch.not_implemented(translate, "issue 7");
}

}  // namespace syn::translation
