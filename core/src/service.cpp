#include "syn/core/service.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

#include "syn/core/http_server.hpp"
#include "syn/core/log.hpp"
#include "syn/core/metrics.hpp"

namespace syn::service {
namespace {

std::atomic<int> g_signal{0};
extern "C" void record_signal(int sig) { g_signal = sig; }

/// `%*` in a pattern: the message as a JSON string (escaped), so JSON log lines stay valid.
class json_message_flag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string quoted = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_message_flag>();
  }
};

}  // namespace

void setup_logging(const config::observability_config& o) {
  using config::log_level;
  spdlog::level::level_enum level = spdlog::level::info;
  switch (o.level) {
    case log_level::trace:
      level = spdlog::level::trace;
      break;
    case log_level::debug:
      level = spdlog::level::debug;
      break;
    case log_level::info:
      level = spdlog::level::info;
      break;
    case log_level::warn:
      level = spdlog::level::warn;
      break;
    case log_level::error:
      level = spdlog::level::err;
      break;
    case log_level::critical:
      level = spdlog::level::critical;
      break;
    case log_level::off:
      level = spdlog::level::off;
      break;
  }
  spdlog::set_level(level);
  if (o.format == config::log_format::json) {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<json_message_flag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","logger":"%n","pid":%P,"msg":%*})");
    spdlog::set_formatter(std::move(f));
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  }
}

int wait_for_termination() {
  return wait_for_termination([] { return false; });
}

int wait_for_termination(const std::function<bool()>& give_up) {
  std::signal(SIGINT, record_signal);
  std::signal(SIGTERM, record_signal);
  while (g_signal == 0) {
    if (give_up()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return g_signal.load();
}

void add_consumer_options(CLI::App* sub, consumer_args& args) {
  cli::add_config_option(sub, args.config_path);
  sub->add_option(
      "--metrics-listen", args.metrics_listen,
      "HOST:PORT for /metrics, /healthz, /readyz (default: observability.metrics.<role>; \"\" = off)");
  sub->add_flag("--until-caught-up", args.until_caught_up,
                "exit 0 once every assigned partition has been read to its end (batch jobs, tests)");
}

std::string metrics_address(const std::optional<std::string>& flag, bool one_shot,
                            const std::string& configured) {
  if (flag) return *flag;
  return one_shot ? std::string() : configured;
}

std::string metrics_address(const consumer_args& args, const std::string& configured) {
  return metrics_address(args.metrics_listen, args.until_caught_up, configured);
}

runner::options consumer_runner_options(const config::root& cfg, const consumer_args& args,
                                        std::string group_id, std::vector<std::string> topics) {
  runner::options o;
  o.group_id = std::move(group_id);
  o.topics = std::move(topics);
  o.batch_size = static_cast<std::size_t>(cfg.consumers.poll_batch_size);
  o.commit_timeout = cfg.consumers.commit_timeout;
  o.retry = cfg.consumers.retry;
  o.stop_at_end = args.until_caught_up;
  return o;
}

std::pair<std::string, std::uint16_t> split_host_port(const std::string& listen) {
  std::string host;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find("]:");
    if (close == std::string::npos)
      throw std::invalid_argument("listen address '" + listen + "': expected [v6]:port");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos)
      throw std::invalid_argument("listen address '" + listen + "': expected host:port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  int p = -1;
  try {
    std::size_t used = 0;
    p = std::stoi(port, &used);
    if (used != port.size()) p = -1;
  } catch (const std::exception&) {
    p = -1;
  }
  if (p < 0 || p > 65535 || host.empty())
    throw std::invalid_argument("listen address '" + listen + "': bad port");
  return {host, static_cast<std::uint16_t>(p)};
}

std::unique_ptr<http::server> serve_metrics(const std::string& listen, std::string_view name,
                                            std::function<std::string()> text, std::function<bool()> ready) {
  if (listen.empty()) return nullptr;
  auto [host, port] = split_host_port(listen);
  http::server_options so;
  so.address = host;
  so.port = port;
  so.threads = 1;
  auto server = std::make_unique<http::server>(
      so, [text = std::move(text), ready = std::move(ready)](const http::request& req) -> http::response {
        if (req.method != "GET" && req.method != "HEAD") {
          auto r = http::response::json_error(405, "use GET on " + req.path);
          r.headers.emplace_back("Allow", "GET");
          return r;
        }
        if (req.path == "/metrics") return {200, std::string(metrics::content_type), text(), {}};
        if (req.path == "/healthz") return {200, "text/plain", "ok\n", {}};
        if (req.path == "/readyz") {
          return ready() ? http::response{200, "text/plain", "ready\n", {}}
                         : http::response{503, "text/plain", "not ready\n", {}};
        }
        return http::response::json_error(404, "no such resource: " + req.path);
      });
  log::get("service").info("{}: metrics on http://{}:{}/metrics", name, host, server->port());
  return server;
}

int run_consumer(runner::runner& r, std::string_view sink_name, const std::string& metrics_listen,
                 std::function<std::string()> sink_metrics) {
  std::atomic<bool> running{true};
  const std::string name(sink_name);
  auto metrics = serve_metrics(
      metrics_listen, name,
      [&r, name, sink_metrics = std::move(sink_metrics)] {
        return runner::prometheus_text(r.counters(), name) + (sink_metrics ? sink_metrics() : std::string());
      },
      // Ready while it runs and its brokers and group coordinator are reachable (the statistics).
      [&running, &r] { return running.load() && !r.counters().kafka_problem(); });
  std::signal(SIGINT, record_signal);
  std::signal(SIGTERM, record_signal);
  std::thread watcher([&] {
    while (running && g_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (g_signal != 0) {
      log::get("service").info("{}: signal {}: finishing the current batch and stopping", sink_name,
                               g_signal.load());
      running = false;
      r.stop();
    }
  });
  const int rc = r.run();
  running = false;
  watcher.join();
  return rc;
}

}  // namespace syn::service
