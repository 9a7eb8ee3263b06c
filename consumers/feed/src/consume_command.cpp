// `syndicate consume feed`: the feed sink behind the shared runner.
#include "syn/core/kafka/producer.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"
#include "syn/feed/commands.hpp"
#include "syn/feed/feed_sink.hpp"
#include "syndication/v1/dead_letter.pb.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace syn::feed {
namespace {

/// The dead letter of a held article: its record was taken (offset committed) in an earlier
/// batch, so only the article is known, not the record's partition and offset (-1). The value and
/// headers are those of an article record, so `dlq redrive` sends it back to its topic, in its
/// issue's partition (issue-id header).
syndication::v1::DeadLetter held_dead_letter(const config::root& cfg, const syndication::v1::Article& a,
                                             const std::string& why) {
  using google::protobuf::util::TimeUtil;
  const bool translated = !a.translation_of().empty();
  syndication::v1::DeadLetter d;
  d.set_topic(translated ? cfg.kafka.topics.translated.name : cfg.kafka.topics.articles.name);
  d.set_id(d.topic() + "-held-" + a.id() + "-" + a.content_sha256().substr(0, 12) + "-" + cfg.consumers.groups.feed);
  d.set_partition(-1);
  d.set_offset(-1);
  d.set_key(a.id());
  d.set_value(a.SerializeAsString());
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"content-type", "application/x-protobuf"},
                             {"schema", "syndication.v1.Article"},
                             {"issue-id", a.issue_id()},
                             {"language", a.language()}}) {
    auto* h = d.add_headers();
    h->set_key(k);
    h->set_value(v);
  }
  d.set_reason(syndication::v1::DeadLetter::SINK_REJECTED);
  d.set_error(why + " (held across batches; record coordinates unknown)");
  d.set_consumer_group(cfg.consumers.groups.feed);
  d.set_attempts(1);
  const auto now = TimeUtil::GetCurrentTime();
  *d.mutable_first_failure_time() = now;
  *d.mutable_last_failure_time() = now;
  return d;
}

}  // namespace

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
  dispatch.on(consume, [args, state] {
    const config::root cfg = config::load(args->config_path);
    service::setup_logging(cfg.observability);
    feed_sink_options fo;
    fo.state_path = *state;
    fo.batch_size = static_cast<std::size_t>(cfg.consumers.poll_batch_size);  // draft grouping across batches
    // Held articles that fail permanently go to the dead-letter topic from the sink (any thread).
    auto dlq = kafka::producer::create(cfg.kafka, {"syndicate-feed-held-dlq", ""});
    if (!dlq) throw std::runtime_error(dlq.error().to_string());
    std::mutex dlq_mu;
    fo.dead_letter_held = [&](const syndication::v1::Article& a, const std::string& why) {
      const auto d = held_dead_letter(cfg, a, why);
      const std::string bytes = d.SerializeAsString();
      const std::array<kafka::header, 3> headers{{{"content-type", "application/x-protobuf"},
                                                  {"schema", "syndication.v1.DeadLetter"},
                                                  {"consumer-group", cfg.consumers.groups.feed}}};
      std::lock_guard lock(dlq_mu);
      auto sent = dlq.value().send({cfg.kafka.topics.deadletter.name, d.id(), bytes, headers, std::nullopt, std::nullopt},
                                   kafka::after(std::chrono::seconds(10)));
      std::string failed = sent ? std::string() : sent.error().to_string();
      if (sent && !dlq.value().flush(kafka::after(std::chrono::seconds(30))).complete()) failed = "not delivered in 30 s";
      for (const auto& r : dlq.value().take_delivery_reports()) {
        if (r.err) failed = r.err->to_string();
      }
      if (!failed.empty()) {
        spdlog::error("feed: held article {} failed ({}) and its dead letter could not be delivered: {}", a.id(), why,
                      failed);
        return;
      }
      spdlog::warn("feed: dead-lettered held article {} ({})", a.id(), why);
    };
    feed_sink sink(cfg.feed, fo);
    auto o = service::consumer_runner_options(cfg, *args, cfg.consumers.groups.feed,
                                              {cfg.kafka.topics.articles.name, cfg.kafka.topics.translated.name});
    o.schemas = {"syndication.v1.Article"};
    runner::runner r(cfg.kafka, o, sink);
    return service::run_consumer(r, "feed", service::metrics_address(*args, cfg.observability.metrics.feed),
                                 [&sink] { return sink.prometheus_text(); });
  });
}

}  // namespace syn::feed
