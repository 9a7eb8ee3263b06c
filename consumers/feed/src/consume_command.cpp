// `syndicate consume feed`: the feed sink behind the shared runner.
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"
#include "syn/feed/commands.hpp"
#include "syn/feed/feed_sink.hpp"

#include <memory>

namespace syn::feed {

void register_consume_command(CLI::App& root, cli::dispatcher& dispatch) {
  auto args = std::make_shared<service::consumer_args>();
  auto state = std::make_shared<std::string>("var/feed-state.db");
  auto* consume = root.get_subcommand("consume")->add_subcommand(
      "feed",
      "Route articles (originals and translations) to the configured accounts, compose WeChat drafts (8 articles "
      "at most, lead first), push them through the Official Account API and keep the pages the feed server "
      "serves (consumer group consumers.groups.feed, read_committed; idempotent on account, id and hash).");
  service::add_consumer_options(consume, *args);
  consume->add_option("--state", *state, "the feed state database (shared with `serve feeds`)")->capture_default_str();
  dispatch.on(consume, [args, state, consume] {
    const config::root cfg = config::load(args->config_path);
    service::setup_logging(cfg.observability);
    feed_sink_options fo;
    fo.state_path = *state;
    fo.batch_size = static_cast<std::size_t>(cfg.consumers.poll_batch_size);  // draft grouping across batches
    feed_sink sink(cfg.feed, fo);
    runner::options o;
    o.group_id = cfg.consumers.groups.feed;
    o.topics = {cfg.kafka.topics.articles.name, cfg.kafka.topics.translated.name};
    o.schemas = {"syndication.v1.Article"};
    o.batch_size = static_cast<std::size_t>(cfg.consumers.poll_batch_size);
    o.commit_timeout = cfg.consumers.commit_timeout;
    o.retry = cfg.consumers.retry;
    o.stop_at_end = args->until_caught_up;
    runner::runner r(cfg.kafka, o, sink);
    const std::string listen = consume->count("--metrics-listen") || args->until_caught_up
                                   ? args->metrics_listen
                                   : cfg.observability.metrics.feed;
    return service::run_consumer(r, "feed", listen, [&sink] { return sink.prometheus_text(); });
  });
}

}  // namespace syn::feed
