// `syndicate consume archive`: the archive sink behind the shared runner.
#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

#include "syn/archive/commands.hpp"
#include "syn/archive/sink.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"

namespace syn::archive {

runner::options consume_options(const config::root& cfg, const service::consumer_args& args,
                                std::string group_id) {
  auto o = service::consumer_runner_options(
      cfg, args, std::move(group_id),
      {cfg.kafka.topics.articles.name, cfg.kafka.topics.translated.name, cfg.kafka.topics.issues.name});
  o.schemas = contract::schemas_of(
      {contract::topic_role::articles, contract::topic_role::translated, contract::topic_role::issues});
  o.batch_size = static_cast<std::size_t>(cfg.archive.batch_size);
  o.batch_max_wait = cfg.archive.batch_max_wait;
  o.retry_forever = true;  // database down: pause and wait, never dead-letter good records
  return o;
}

void register_consume_command(CLI::App& root, cli::dispatcher& dispatch) {
  auto args = std::make_shared<service::consumer_args>();
  auto* consume =
      root.get_subcommand("consume")->add_subcommand("archive",
                                                     "Store every issue manifest, raw issue and article "
                                                     "revision (originals and translations) in the archive "
                                                     "database (consumer group consumers.groups.archive, "
                                                     "read_committed; offsets committed after the database "
                                                     "transaction).");
  service::add_consumer_options(consume, *args);
  dispatch.on(consume, [args] {
    const config::root cfg = config::load(args->config_path);
    service::setup_logging(cfg.observability);
    archive_sink sink(cfg.archive);
    if (auto c = sink.connect(); !c) {
      cli::print_error("archive: " + c.error().to_string());
      return static_cast<int>(cli::failure);
    }
    runner::runner r(cfg.kafka, consume_options(cfg, *args, cfg.consumers.groups.archive), sink);
    return service::run_consumer(r, "archive",
                                 service::metrics_address(*args, cfg.observability.metrics.archive));
  });
}

}  // namespace syn::archive
