#include "syn/producer/commands.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "syn/core/config.hpp"
#include "syn/producer/splitter.hpp"

namespace syn::producer {

namespace {

struct split_args {
  std::string file;
  std::string format = "json";
  std::string paper;
  std::string date;
  std::uint32_t page = 0;
  std::string config;
  CLI::Option* config_option = nullptr;
};

/// The papers to recognise: the config's, when a config is named (`--config`,
/// $SYNDICATE_CONFIG) or the default one exists; else the built-in list. `split` works offline
/// and without a config file; a named config that does not load is an error (exit 2).
std::vector<known_paper> papers_for(const split_args& args) {
  const char* env = std::getenv("SYNDICATE_CONFIG");
  const bool named = args.config_option->count() > 0 || (env != nullptr && *env != '\0');
  std::error_code ec;
  if (!named && !std::filesystem::exists(args.config, ec)) return default_papers();
  const config::root cfg = config::load(args.config);  // config_error: reported by the dispatcher
  std::vector<known_paper> out;
  for (const auto& p : cfg.papers) out.push_back({p.code, p.name, p.aliases});
  return out;
}

/// `syndicate split FILE`: prints the whole result or one error line, never half of either.
int run_split(const split_args& args) {
  std::ifstream in(args.file, std::ios::binary);
  if (!in) {
    cli::print_error(args.file + ": cannot read: " + std::strerror(errno));
    return cli::exit_code::bad_input;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) {
    cli::print_error(args.file + ": cannot read: " + std::strerror(errno));
    return cli::exit_code::bad_input;
  }
  split_options options;
  options.source_name = args.file;
  options.paper_code = args.paper;
  options.issue_date = args.date;
  options.page = args.page;
  options.papers = papers_for(args);
  std::string out;
  try {
    const split_result result = split_issue(bytes.view(), options);
    out = args.format == "text" ? to_text(result) : to_json(result);
  } catch (const split_error& e) {
    cli::print_error(e.what());
    return cli::exit_code::bad_input;
  }
  std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  std::cout.flush();
  return std::cout ? cli::exit_code::ok : cli::exit_code::failure;
}

}  // namespace

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto* split =
      root.add_subcommand("split", "Split one issue file into articles and print them (publishes nothing)");
  auto args = std::make_shared<split_args>();
  split->add_option("FILE", args->file, "issue text (UTF-8 or GB18030)")->required();
  split->add_option("--format", args->format, "json (protobuf canonical JSON) or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  split->add_option("--paper", args->paper, "paper code (default: from the masthead)");
  split->add_option("--date", args->date, "issue date YYYY-MM-DD (default: from the masthead)");
  split->add_option("--page", args->page, "page number (default: from the page header, else 1)")
      ->check(CLI::Range(1, 999));
  args->config_option = cli::add_config_option(split, args->config);
  dispatch.on(split, [args] { return run_split(*args); });

  register_publish_commands(root, dispatch);
  register_review_commands(root, dispatch);
}

}  // namespace syn::producer
