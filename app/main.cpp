// syndicate: one executable, one subcommand per role. Each component registers its own
// subcommands; this file only wires them together.
#include <google/protobuf/stubs/common.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "run_command.hpp"
#include "syn/archive/commands.hpp"
#include "syn/console/console.hpp"
#include "syn/core/cli.hpp"
#include "syn/core/config_command.hpp"
#include "syn/feed/commands.hpp"
#include "syn/ops/commands.hpp"
#include "syn/producer/commands.hpp"
#include "syn/translation/commands.hpp"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries each command's output (JSON, tables, article text).
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
  CLI::App app{
      "syndicate: split newspaper issues into articles, publish them on Kafka as Protobuf, and feed "
      "them to WeChat-style feeds, an archive and a translation queue.",
      "syndicate"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "syndicate 0.1.0");
  app.add_subcommand("serve", "Long-running servers")->require_subcommand(1);
  app.add_subcommand("consume", "Long-running consumers, one consumer group each")->require_subcommand(1);

  syn::cli::dispatcher dispatch;
  syn::producer::register_commands(app, dispatch);
  syn::feed::register_commands(app, dispatch);
  syn::archive::register_commands(app, dispatch);
  syn::translation::register_commands(app, dispatch);
  syn::ops::register_commands(app, dispatch);
  syn::console::register_commands(app, dispatch);
  syn::app::register_run_command(app, dispatch);
  syn::config::register_config_commands(app, dispatch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const int rc = dispatch.run(app);
  google::protobuf::ShutdownProtobufLibrary();
  return rc;
}
