#include "syn/ops/common.hpp"

#include <stdexcept>

#include "syn/core/kafka/properties.hpp"
#include "syn/core/service.hpp"

namespace syn::ops {

void add_common_options(CLI::App* sub, common_options& o) {
  cli::add_config_option(sub, o.config_path);
  sub->add_option("--bootstrap", o.bootstrap, "brokers host:port[,...], overriding kafka.bootstrap_servers");
  sub->add_option("--timeout", o.timeout_s, "give up after this many seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  sub->add_flag("--json", o.json, "print one JSON document instead of a table");
}

config::root load_config(const common_options& o) {
  auto cfg = config::load(o.config_path);  // config_error -> exit 2 (cli::dispatcher)
  service::setup_logging(cfg.observability);
  if (!o.bootstrap.empty()) cfg.kafka.bootstrap_servers = o.bootstrap;
  if (kafka::is_embedded(cfg.kafka)) {
    throw std::invalid_argument(
        "kafka.bootstrap_servers is `embedded`: the embedded cluster lives inside `syndicate run`; "
        "point ops commands at a broker with --bootstrap HOST:PORT");
  }
  return cfg;
}

config::kafka_config load_kafka(const common_options& o) { return load_config(o).kafka; }

int fail(const std::string& message, int code) {
  cli::print_error(message);
  return code;
}

std::string offset_text(std::int64_t offset) { return offset < 0 ? "-" : std::to_string(offset); }

}  // namespace syn::ops
