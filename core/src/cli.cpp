#include "syn/core/cli.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>
#include <utility>

#include "syn/core/config.hpp"
#include "syn/core/config_command.hpp"

namespace syn::cli {

void dispatcher::on(CLI::App* sub, std::function<int()> fn) {
  sub->callback([this, fn = std::move(fn)] { chosen_ = fn; });
}

void dispatcher::not_implemented(CLI::App* sub, std::string_view tracked_in) {
  std::string name = sub->get_name();
  for (auto* p = sub->get_parent(); p != nullptr && p->get_parent() != nullptr; p = p->get_parent()) {
    name.insert(0, p->get_name() + " ");
  }
  sub->description(sub->get_description() + " [not implemented yet]");
  sub->allow_extras();
  on(sub, [name, why = std::string(tracked_in)] {
    std::cerr << "syndicate " << name << ": not implemented yet (" << why << ")\n";
    return exit_code::not_implemented;
  });
}

int dispatcher::run(const CLI::App& root) const {
  if (!chosen_) {
    std::cerr << root.help();
    return exit_code::bad_input;
  }
  try {
    return chosen_();
  } catch (const config::config_error& e) {
    return config::report(e);  // every problem, file:line:col, exit 2
  } catch (const std::exception& e) {
    print_error(e.what());
    return exit_code::failure;
  }
}

CLI::Option* add_config_option(CLI::App* sub, std::string& path) {
  if (const char* env = std::getenv("SYNDICATE_CONFIG"); env != nullptr && *env != '\0') {
    path = env;
  } else {
    path = "config/syndication.yaml";
  }
  return sub->add_option("--config", path, "configuration file ($SYNDICATE_CONFIG)")->capture_default_str();
}

void print_error(std::string_view what) { std::cerr << "syndicate: " << what << '\n'; }

}  // namespace syn::cli
