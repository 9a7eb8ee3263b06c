#pragma once
/// Command-line plumbing shared by every subcommand: dispatch, exit codes, one-line errors.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>

namespace syn::cli {

/// Exit statuses every subcommand uses.
enum exit_code : int {
  ok = 0,
  failure = 1,          ///< runtime failure (broker unreachable, transaction aborted, ...)
  bad_input = 2,        ///< usage error, bad config, bad input file
  not_implemented = 3,  ///< the subcommand exists in the design but is not built yet
  held = 4,             ///< `publish`: nothing failed, but an issue was held for review, not published
};

/// Collects the subcommand chosen on the command line and runs it after parsing.
/// Not thread-safe; one per process.
class dispatcher {
 public:
  /// Runs `fn` if `sub` is the subcommand given on the command line.
  void on(CLI::App* sub, std::function<int()> fn);
  /// Registers `sub` as designed but not built: it says so plainly and exits 3.
  void not_implemented(CLI::App* sub, std::string_view tracked_in);
  /// Runs the chosen command; exceptions become one line on stderr and exit 1.
  int run(const CLI::App& root) const;

 private:
  std::function<int()> chosen_;
};

/// Adds `--config FILE` to `sub`; default: $SYNDICATE_CONFIG, else config/syndication.yaml.
CLI::Option* add_config_option(CLI::App* sub, std::string& path);

/// Prints `syndicate: <what>` on stderr, one line.
void print_error(std::string_view what);

}  // namespace syn::cli
