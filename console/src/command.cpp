// `syndicate serve console`.
#include <csignal>
#include <iostream>
#include <memory>

#include "syn/console/console.hpp"
#include "syn/core/log.hpp"
#include "syn/core/service.hpp"

namespace syn::console {

namespace {

struct serve_console_args {
  std::string config_path;
  std::string listen;
};

int serve_console(const serve_console_args& args) {
  config::root cfg = config::load(args.config_path);  // config_error: every problem, exit 2
  service::setup_logging(cfg.observability);
  if (!args.listen.empty()) cfg.console.listen = args.listen;
  try {
    (void)service::split_host_port(cfg.console.listen);
  } catch (const std::invalid_argument& e) {
    cli::print_error(e.what());
    return cli::exit_code::bad_input;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  const auto host = service::split_host_port(cfg.console.listen).first;
  const bool open = cfg.console.users.empty();
  console c(std::move(cfg), {args.config_path, true});
  log::get("console").info("listening on {}:{} ({})", host, c.port(),
                           open ? "no users configured: everyone is a viewer" : "sign-in required");
  std::cout << "console: http://" << host << ":" << c.port() << "/" << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::get("console").info("signal {}, stopping", sig);
  c.stop();
  return cli::exit_code::ok;
}

}  // namespace

void register_commands(CLI::App& app, cli::dispatcher& dispatch) {
  auto args = std::make_shared<serve_console_args>();
  auto* sub = app.get_subcommand("serve")->add_subcommand(
      "console",
      "Serve the newsroom console: the latest issues and where each article went (from the delivery "
      "receipts on kafka.topics.deliveries), articles with their revisions, held issues, search over the "
      "archive, dead letters (redrive for editors) and lag. Users and roles: console.users (tokens from "
      "environment variables); none = everyone is a viewer. See docs/CONSOLE.md.");
  cli::add_config_option(sub, args->config_path);
  sub->add_option("--listen", args->listen, "host:port to listen on (default: console.listen)");
  dispatch.on(sub, [args] { return serve_console(*args); });
}

}  // namespace syn::console
