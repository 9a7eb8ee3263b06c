// syndicate-mt-testserver: a LibreTranslate-compatible test server (see mt_server.hpp).
//
//   syndicate-mt-testserver --port 5000 [--address 127.0.0.1] [--api-key-env VAR]
//                           [--char-limit N] [--batch-limit N] [--languages zh,en]
//
// Prints `listening on http://ADDRESS:PORT` once it accepts connections, then serves until
// SIGINT or SIGTERM.
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "mt_server.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "LibreTranslate-compatible test server: POST /translate answers `[<target>] <text>`; "
      "POST /__control injects faults, GET /__state shows what it received."};
  syn::mt::mt_server_options options;
  std::string api_key_env;
  app.add_option("--port", options.port, "Port to listen on (0: any free port)")->default_val(5000);
  app.add_option("--address", options.address, "Address to listen on")->default_val("127.0.0.1");
  app.add_option("--api-key-env", api_key_env,
                 "Environment variable holding the API key clients must send (none: no key needed)");
  app.add_option("--char-limit", options.char_limit, "Most code points per request (-1: unlimited)")
      ->default_val(-1);
  app.add_option("--batch-limit", options.batch_limit, "Most texts per request (-1: unlimited)")
      ->default_val(-1);
  app.add_option("--threads", options.threads, "Server threads")->default_val(4);
  app.add_option(
         "--languages", options.languages,
         "Language codes served and accepted, comma-separated (default: ar de en es fr it ja ko pt ru ug zh "
         "zh-Hans zh-Hant)")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  if (!api_key_env.empty()) {
    const char* key = std::getenv(api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      std::cerr << "syndicate-mt-testserver: " << api_key_env << " is not set\n";
      return 2;
    }
    options.api_key = key;
  }

  // Block the stop signals before the server starts its threads, so only sigwait() sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    syn::mt::mt_server server(options);
    std::cout << "listening on http://" << options.address << ":" << server.port() << std::endl;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "syndicate-mt-testserver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
