#include "syn/archive/commands.hpp"

namespace syn::archive {

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto* consume = root.get_subcommand("consume")->add_subcommand(
      "archive", "Store every issue and article revision (group `archive`)");
  dispatch.not_implemented(consume, "issue 6");
  auto* archive = root.add_subcommand("archive", "Search and read the archive");
  archive->require_subcommand(1);
  dispatch.not_implemented(archive->add_subcommand("search", "Full-text search"), "issue 6");
  dispatch.not_implemented(archive->add_subcommand("get", "One article, any revision"), "issue 6");
  dispatch.not_implemented(archive->add_subcommand("export", "A whole issue back"), "issue 6");
}

}  // namespace syn::archive
