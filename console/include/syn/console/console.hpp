#pragma once
/// `syndicate serve console` (docs/CONSOLE.md): the newsroom console, a Beast server of
/// server-rendered pages over the issues and deliveries topics, the archive, the review dir,
/// the dead-letter topic and the groups' lag.

#include <cstdint>
#include <memory>
#include <string>

#include "syn/console/index.hpp"
#include "syn/core/cli.hpp"
#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"

namespace syn::console {

struct console_options {
  /// The config file the ops pages (dead letters) load again; empty: they are not available.
  std::string config_path;
  /// Read the topics now and then every console.refresh_seconds (false: tests feed the index).
  bool tail = true;
};

/// A running console. Thread-safe; stops on destruction.
class console {
 public:
  /// Binds cfg.console.listen (port 0: any). \throws std::runtime_error (bind, unset token
  /// variables). `cfg` is copied.
  console(config::root cfg, console_options options);
  ~console();
  console(const console&) = delete;
  console& operator=(const console&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] index& memory() noexcept;
  /// Handles one request as the server does (tests).
  [[nodiscard]] http::response handle(const http::request& req);
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Registers `serve console`.
void register_commands(CLI::App& app, cli::dispatcher& dispatch);

}  // namespace syn::console
