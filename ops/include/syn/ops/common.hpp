#pragma once
/// Options and plumbing every ops command shares.

#include <cstdint>
#include <ostream>
#include <string>

#include "syn/core/cli.hpp"
#include "syn/core/config.hpp"

namespace syn::ops {

struct common_options {
  std::string config_path = "config/syndication.yaml";
  /// Overrides kafka.bootstrap_servers when set.
  std::string bootstrap;
  /// The whole command finishes by then (every Kafka wait shares one deadline).
  int timeout_s = 60;
  /// Machine-readable output on stdout (one JSON document) instead of tables.
  bool json = false;
};

/// Adds --config, --bootstrap, --timeout and --json to `sub`.
void add_common_options(CLI::App* sub, common_options& o);

/// The Kafka section of the config with `--bootstrap` applied.
/// \throws config::config_error (exit 2) if the file is invalid; std::invalid_argument if the
/// bootstrap is `embedded` (the embedded cluster lives inside `syndicate run` only).
[[nodiscard]] config::kafka_config load_kafka(const common_options& o);

/// The whole config with `--bootstrap` applied (same errors as load_kafka).
[[nodiscard]] config::root load_config(const common_options& o);

/// What a command returns after printing `syndicate: <message>` on stderr.
int fail(const std::string& message, int code = cli::exit_code::failure);

/// An offset for humans: `-` for none (negative logical offsets).
[[nodiscard]] std::string offset_text(std::int64_t offset);

}  // namespace syn::ops
