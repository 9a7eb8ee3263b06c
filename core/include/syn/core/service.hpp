#pragma once
/// What every long-running subcommand shares: logging set up from config, SIGINT/SIGTERM
/// handling, and /metrics, /healthz, /readyz served on the process's metrics address.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "syn/core/cli.hpp"
#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"
#include "syn/core/runner.hpp"

namespace syn::service {

/// Sets the default logger's level and format (text, or one JSON object per line) from config.
void setup_logging(const config::observability_config& o);

/// Installs SIGINT/SIGTERM handlers and blocks until one arrives; returns the signal.
int wait_for_termination();
/// The same, but also returns 0 as soon as `give_up()` (polled every 100 ms) is true.
int wait_for_termination(const std::function<bool()>& give_up);

/// Serves GET /metrics (`text()`, Prometheus text format), /healthz (200 while the process
/// runs) and /readyz (200 if `ready()`, else 503) on `listen` (HOST:PORT) until the returned
/// server is destroyed; nullptr if `listen` is empty. `text` and `ready` run on the server's
/// thread and must be thread-safe. \throws std::invalid_argument / std::runtime_error naming
/// the address if it is malformed or cannot be bound.
std::unique_ptr<http::server> serve_metrics(const std::string& listen, std::string_view name,
                                            std::function<std::string()> text, std::function<bool()> ready);

/// Runs `r` until it returns or a termination signal stops it, serving /metrics (the runner's
/// counters, then `sink_metrics()` if set: the sink's own families), /healthz and /readyz on
/// `metrics_listen` (HOST:PORT; empty: not served). Returns run()'s exit code.
int run_consumer(runner::runner& r, std::string_view sink_name, const std::string& metrics_listen,
                 std::function<std::string()> sink_metrics = {});

/// Options every `consume ...` subcommand takes.
struct consumer_args {
  std::string config_path;
  std::optional<std::string> metrics_listen;  ///< --metrics-listen: overrides observability.metrics.<role>
  bool until_caught_up = false;
};

/// Adds `--config`, `--metrics-listen` and `--until-caught-up` to `sub`.
void add_consumer_options(CLI::App* sub, consumer_args& args);

/// The metrics address of a consuming role, decided one way for all of them: `--metrics-listen`
/// when given (`flag`; "" = off); else off for a run that stops on its own (`one_shot`:
/// --until-caught-up, --until-idle); else observability.metrics.<role> (`configured`).
[[nodiscard]] std::string metrics_address(const std::optional<std::string>& flag, bool one_shot,
                                          const std::string& configured);
/// The same for a `consume ...` subcommand's arguments.
[[nodiscard]] std::string metrics_address(const consumer_args& args, const std::string& configured);

/// The runner options of a `consume ...` subcommand: its consumer group and topics, batches of
/// consumers.poll_batch_size, the consumers' commit timeout and retry policy, and
/// --until-caught-up. The caller sets the schemas it takes and overrides what its role configures
/// on its own (the archive's batch size and wait, its retry_forever).
[[nodiscard]] runner::options consumer_runner_options(const config::root& cfg, const consumer_args& args,
                                                      std::string group_id, std::vector<std::string> topics);

/// Splits `HOST:PORT` or `[v6]:PORT`. \throws std::invalid_argument naming the text.
std::pair<std::string, std::uint16_t> split_host_port(const std::string& listen);

}  // namespace syn::service
