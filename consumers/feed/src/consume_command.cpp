// `syndicate consume feed`: the feed sink behind the shared runner.
#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "syn/contract/dead_letter.hpp"
#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/blob_store.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/core/log.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"
#include "syn/feed/commands.hpp"
#include "syn/feed/feed_sink.hpp"
#include "syndication/v1/dead_letter.pb.h"

namespace syn::feed {
namespace {

/// The dead letter of a held article: its record was taken (offset committed) in an earlier
/// batch, so only the article is known, not the record's partition and offset (-1). The value and
/// headers are those of an article record, so `dlq redrive` sends it back to its topic, in its
/// issue's partition (issue-id header).
syndication::v1::DeadLetter held_dead_letter(const config::root& cfg, const syndication::v1::Article& a,
                                             const std::string& why) {
  const bool translated = !a.translation_of().empty();
  const std::string& topic = translated ? cfg.kafka.topics.translated.name : cfg.kafka.topics.articles.name;
  const std::string value = a.SerializeAsString();
  const auto headers = contract::record_headers(contract::schema::article, a.issue_id(), a.language());
  const contract::failed_record r{topic, -1, -1, a.id(), value, headers, std::nullopt};
  auto d = contract::make_dead_letter(r, syndication::v1::DeadLetter::SINK_REJECTED,
                                      why + " (held across batches; record coordinates unknown)",
                                      cfg.consumers.groups.feed, 1);
  d.set_id(topic + "-held-" + a.id() + "-" + a.content_sha256().substr(0, 12) + "-" +
           cfg.consumers.groups.feed);
  return d;
}

}  // namespace

runner::options consume_options(const config::root& cfg, const service::consumer_args& args,
                                std::string group_id) {
  auto o = service::consumer_runner_options(
      cfg, args, std::move(group_id), {cfg.kafka.topics.articles.name, cfg.kafka.topics.translated.name});
  o.schemas = contract::schemas_of({contract::topic_role::articles, contract::topic_role::translated});
  return o;
}

void register_consume_command(CLI::App& root, cli::dispatcher& dispatch) {
  auto args = std::make_shared<service::consumer_args>();
  auto state = std::make_shared<state_args>();
  auto* consume = root.get_subcommand("consume")->add_subcommand(
      "feed",
      "Route articles (originals and translations) to the configured accounts, compose WeChat drafts (8 "
      "articles "
      "at most, lead first), push them through the Official Account API and keep the pages the feed server "
      "serves (consumer group consumers.groups.feed, read_committed; idempotent on account, id and hash).");
  service::add_consumer_options(consume, *args);
  add_state_options(consume, *state);
  dispatch.on(consume, [args, state] {
    const config::root cfg = config::load(args->config_path);
    service::setup_logging(cfg.observability);
    feed_sink_options fo;
    const state_backend where = state->where(cfg.feed.state);
    fo.state_path = where.path;
    fo.state_pg_conninfo = where.conninfo;
    fo.state_pg_schema = where.schema;
    fo.batch_size = static_cast<std::size_t>(cfg.consumers.poll_batch_size);  // draft grouping across batches
    // Held articles that fail permanently go to the dead-letter topic from the sink (any thread).
    auto dlq = kafka::producer::create(cfg.kafka, {"syndicate-feed-held-dlq", ""});
    if (!dlq) throw std::runtime_error(dlq.error().to_string());
    std::mutex dlq_mu;
    fo.dead_letter_held = [&](const syndication::v1::Article& a, const std::string& why) {
      const auto d = held_dead_letter(cfg, a, why);
      const std::string bytes = d.SerializeAsString();
      const auto headers = contract::dead_letter_headers(cfg.consumers.groups.feed);
      std::lock_guard lock(dlq_mu);
      auto sent = dlq.value().send(
          {cfg.kafka.topics.deadletter.name, d.id(), bytes, headers, std::nullopt, std::nullopt},
          kafka::after(std::chrono::seconds(10)));
      std::string failed = sent ? std::string() : sent.error().to_string();
      if (sent && !dlq.value().flush(kafka::after(std::chrono::seconds(30))).complete())
        failed = "not delivered in 30 s";
      for (const auto& r : dlq.value().take_delivery_reports()) {
        if (r.err) failed = r.err->to_string();
      }
      if (!failed.empty()) {
        log::get("feed").error("held article {} failed ({}) and its dead letter could not be delivered: {}",
                               a.id(), why, failed);
        return;
      }
      log::get("feed").warn("dead-lettered held article {} ({})", a.id(), why);
    };
    auto blobs = blob::open(cfg.blobs);
    if (!blobs) throw std::runtime_error(blobs.error().to_string());
    fo.blobs = std::move(blobs.value());
    feed_sink sink(cfg.feed, fo);
    runner::runner r(cfg.kafka, consume_options(cfg, *args, cfg.consumers.groups.feed), sink);
    return service::run_consumer(r, "feed", service::metrics_address(*args, cfg.observability.metrics.feed),
                                 [&sink] { return sink.prometheus_text(); });
  });
}

}  // namespace syn::feed
