// syndicate-wechat-testserver: the local WeChat API of tests/wechat, as a process.
//
//   syndicate-wechat-testserver --port 8780 [--address 127.0.0.1] [--app wxID:SECRET]...
//                               [--token-ttl 7200] [--classic-grace-ms 300000] [--threads 4]
//
// Prints `listening on http://ADDRESS:PORT` once ready; stops on SIGINT / SIGTERM.
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>

#include "images.hpp"
#include "wechat_test_server.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Local server speaking the WeChat Official Account API (tokens, materials, drafts, "
      "publishing) with fault injection: POST /__control, GET /__state.",
      "syndicate-wechat-testserver"};
  syn::testing::wechat_test_server_options o;
  std::vector<std::string> apps;
  app.add_option("--port", o.port, "port to listen on (0: any free port)")->capture_default_str();
  app.add_option("--address", o.address, "address to listen on")->capture_default_str();
  app.add_option("--app", apps, "an account as APPID:SECRET (repeatable); none: any AppID is accepted");
  app.add_option("--token-ttl", o.token_ttl_s, "expires_in of issued access tokens, seconds")
      ->capture_default_str();
  app.add_option("--classic-grace-ms", o.classic_grace_ms,
                 "how long a classic cgi-bin/token survives the next one")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "handler threads")->capture_default_str();
  std::string write_jpeg;
  std::uint32_t width = 360, height = 200;
  app.add_option("--write-jpeg", write_jpeg,
                 "write a real JPEG (a gradient, --width x --height) to FILE and exit");
  app.add_option("--width", width, "--write-jpeg: width")->capture_default_str();
  app.add_option("--height", height, "--write-jpeg: height")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!write_jpeg.empty()) {
    std::ofstream out(write_jpeg, std::ios::binary);
    out << syn::testing::make_test_jpeg(width, height);
    if (!out.flush()) {
      std::cerr << "syndicate-wechat-testserver: cannot write " << write_jpeg << '\n';
      return 1;
    }
    return 0;
  }
  for (const auto& a : apps) {
    const auto colon = a.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == a.size()) {
      std::cerr << "syndicate-wechat-testserver: --app wants APPID:SECRET, got '" << a << "'\n";
      return 2;
    }
    o.apps[a.substr(0, colon)] = a.substr(colon + 1);
  }

  // Block the stop signals before the server's threads start so only sigwait() sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    syn::testing::wechat_test_server server(o);
    std::cout << "listening on " << server.base_url() << std::endl;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "syndicate-wechat-testserver: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
