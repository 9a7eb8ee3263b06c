#include "syn/core/config_command.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "syn/core/config.hpp"

namespace syn::config {

namespace {

int check(const std::string& path) {
  root cfg;
  try {
    cfg = load(path);
  } catch (const config_error& e) {
    return report(e);
  }
  std::cout << "# effective configuration of " << path << " (secrets masked)\n" << to_yaml(cfg, true);
  return cli::exit_code::ok;
}

int keys() {
  for (const auto& k : describe()) {
    std::cout << k.path << "  (" << k.type << (k.required ? ", required" : "") << ")";
    if (!k.default_value.empty() && !k.required) std::cout << "  default: " << k.default_value;
    std::cout << "\n    " << k.description << '\n';
  }
  return cli::exit_code::ok;
}

}  // namespace

int report(const config_error& e) {
  const auto& errors = e.errors();
  // A file that cannot be read is one plain line; a bad file is a count, then one line per error.
  if (errors.size() == 1 && errors.front().line == 0 && errors.front().key.empty()) {
    cli::print_error(errors.front().str());
  } else {
    cli::print_error("config invalid: " + std::to_string(errors.size()) +
                     (errors.size() == 1 ? " error" : " errors"));
    for (const auto& d : errors) std::cerr << d.str() << '\n';
  }
  return cli::exit_code::bad_input;
}

void register_config_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto* config = root.add_subcommand("config", "Check and explain the configuration");
  config->require_subcommand(1);

  auto* check_cmd = config->add_subcommand(
      "check", "Validate a config file and print the effective config (secrets masked); exit 2 if invalid");
  // Shared with the lambda below, which runs after parsing, when the strings are filled in.
  auto option_path = std::make_shared<std::string>();
  auto positional = std::make_shared<std::string>();
  cli::add_config_option(check_cmd, *option_path);
  check_cmd->add_option("file", *positional, "config file to check (instead of --config)");
  dispatch.on(check_cmd,
              [option_path, positional] { return check(positional->empty() ? *option_path : *positional); });

  auto* keys_cmd = config->add_subcommand("keys", "List every setting with its type, default and meaning");
  dispatch.on(keys_cmd, [] { return keys(); });
}

}  // namespace syn::config
