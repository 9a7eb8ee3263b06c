#include "syn/translation/commands.hpp"

#include "syn/core/config.hpp"
#include "syn/core/service.hpp"
#include "syn/core/transform.hpp"
#include "syn/translation/article_builder.hpp"
#include "syn/translation/engine.hpp"
#include "syn/translation/job_builder.hpp"
#include "syndication/v1/dead_letter.pb.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <map>
#include <memory>
#include <thread>
#include <unistd.h>

namespace syn::translation {
namespace {

using syndication::v1::DeadLetter;

struct args {
  std::string config_path;
  std::string instance;
  bool until_idle = false;
};

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

std::string host_instance(const std::string& given) {
/// The largest article turned into jobs: each job embeds it, and must stay under Kafka's default
/// 1 MB record limit with room for the job's own fields.
constexpr std::size_t max_source_bytes = 768U * 1024U;

  if (!given.empty()) return given;
  char buf[256] = {};
  return gethostname(buf, sizeof buf - 1) == 0 ? buf : "localhost";
}

template <class T>
std::optional<T> decode(const kafka::message& m, std::string_view schema) {
  if (m.header_value("schema") != std::optional<std::string_view>(schema)) return std::nullopt;
  T msg;
  if (!msg.ParseFromArray(m.value().data(), static_cast<int>(m.value().size()))) return std::nullopt;
  return msg;
}

transform::output record(std::string topic, std::string key, std::string value, std::string schema,
                         std::string issue_id, std::string language) {
  transform::output o;
  o.topic = std::move(topic);
  o.key = std::move(key);
  o.value = std::move(value);
  o.headers = {{"content-type", "application/x-protobuf"},
               {"schema", std::move(schema)},
               {"issue-id", issue_id},
               {"language", std::move(language)}};
  o.partition_key = std::move(issue_id);
  return o;
}

/// articles -> translation jobs.
int run_jobs(const args& a) {
  const config::root cfg = config::load(a.config_path);
  service::setup_logging(cfg.observability);
  transform::options o;
  o.group_id = cfg.consumers.groups.translation;
  o.topics = {cfg.kafka.topics.articles.name};
  o.transactional_id = cfg.kafka.transactional_id_prefix + "-translation-" + host_instance(a.instance);
  o.stop_when_idle = a.until_idle;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  return transform::run(cfg.kafka, o, [&](const kafka::message& m) -> std::vector<transform::output> {
    auto article = decode<syndication::v1::Article>(m, "syndication.v1.Article");
    if (!article) {
      return {transform::dead_letter(cfg.kafka, m, DeadLetter::DECODE_FAILED,
                                     "not a syndication.v1.Article (schema header or bytes)", o.group_id, 1)};
    // A job carries its source article: a larger article would make a job too large to produce,
    // abort every transaction and stop the consumer.
    if (m.value().size() > max_source_bytes) {
      return {transform::dead_letter(cfg.kafka, m, DeadLetter::TOO_LARGE,
                                     "record of " + std::to_string(m.value().size()) + " bytes exceeds " +
                                         std::to_string(max_source_bytes) + " (a job must fit in one Kafka record)",
                                     o.group_id, 1)};
    }
    }
    auto jobs = build_jobs(*article, cfg.translation, std::chrono::system_clock::now());
    if (!jobs) return {transform::dead_letter(cfg.kafka, m, DeadLetter::VALIDATION_FAILED, jobs.error().message(), o.group_id, 1)};
    std::vector<transform::output> out;
    for (auto& job : jobs.value()) {
      *job.mutable_source() = *article;
      out.push_back(record(cfg.kafka.topics.translation_jobs.name, job.job_id(), job.SerializeAsString(),
                           "syndication.v1.TranslationJob", job.issue_id(), job.target_language()));
    }
    return out;
  }, g_stop);
}

/// translation jobs -> translated articles.
int run_translate(const args& a) {
  const config::root cfg = config::load(a.config_path);
  service::setup_logging(cfg.observability);
  std::map<std::string, std::unique_ptr<translation_engine>> engines;
  for (const auto& t : cfg.translation.targets) {
    auto e = make_engine(t);
    if (!e) throw std::runtime_error("translation.targets[" + t.language + "]: " + e.error().message());
    engines[t.language] = std::move(e).value();
  }
  transform::options o;
  o.group_id = cfg.consumers.groups.translator;
  o.topics = {cfg.kafka.topics.translation_jobs.name};
  o.transactional_id = cfg.kafka.transactional_id_prefix + "-translator-" + host_instance(a.instance);
  o.batch_size = 10;  // an HTTP engine may take seconds per job
  o.stop_when_idle = a.until_idle;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  return transform::run(cfg.kafka, o, [&](const kafka::message& m) -> std::vector<transform::output> {
    auto job = decode<syndication::v1::TranslationJob>(m, "syndication.v1.TranslationJob");
    if (!job || !job->has_source()) {
      return {transform::dead_letter(cfg.kafka, m, DeadLetter::DECODE_FAILED,
                                     "not a syndication.v1.TranslationJob with its source article", o.group_id, 1)};
    }
    auto engine = engines.find(job->target_language());
    if (engine == engines.end()) {
      return {transform::dead_letter(cfg.kafka, m, DeadLetter::VALIDATION_FAILED,
                                     "no translation target configured for " + job->target_language(), o.group_id, 1)};
    }
    // Retriable engine errors: capped exponential backoff until the job's deadline.
    std::uint32_t attempt = 0;
    while (true) {
      ++attempt;
      auto texts = engine->second->translate(*job);
      if (texts) {
        auto translated = build_translated_article(job->source(), *job, texts.value(), std::chrono::system_clock::now());
        if (!translated) {
          return {transform::dead_letter(cfg.kafka, m, DeadLetter::VALIDATION_FAILED, translated.error().message(),
                                         o.group_id, attempt)};
        }
        return {record(cfg.kafka.topics.translated.name, translated.value().id(), translated.value().SerializeAsString(),
                       "syndication.v1.Article", translated.value().issue_id(), translated.value().language())};
      }
      const bool expired = job_expired(*job, std::chrono::system_clock::now());
      if (!texts.error().retriable() || expired || g_stop ||
          static_cast<int>(attempt) >= cfg.consumers.retry.max_attempts) {
        return {transform::dead_letter(cfg.kafka, m, DeadLetter::RETRIES_EXHAUSTED,
                                       std::string(engine->second->name()) + ": " + texts.error().message(), o.group_id,
                                       attempt)};
      }
      const auto wait = std::min(cfg.consumers.retry.max_backoff,
                                 cfg.consumers.retry.initial_backoff * (1 << std::min<std::uint32_t>(attempt, 10)));
      spdlog::warn("translator: {} failed ({}), attempt {}; retrying in {} ms", job->job_id(),
                   texts.error().message(), attempt, wait.count());
      std::this_thread::sleep_for(wait);
    }
  }, g_stop);
}

void add_common(CLI::App* sub, args& a) {
  cli::add_config_option(sub, a.config_path);
  sub->add_option("--instance", a.instance, "instance name in the transactional.id (default: the host name)");
  sub->add_flag("--until-idle", a.until_idle, "exit 0 after 5 s without records (batch jobs, tests)");
}

}  // namespace

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto jobs_args = std::make_shared<args>();
  auto* consume = root.get_subcommand("consume")->add_subcommand(
      "translation",
      "Turn each original article into one TranslationJob per matching target language (consumer group "
      "consumers.groups.translation). Exactly once: jobs and consumed offsets commit in one Kafka transaction.");
  add_common(consume, *jobs_args);
  dispatch.on(consume, [jobs_args] { return run_jobs(*jobs_args); });

  auto tr_args = std::make_shared<args>();
  auto* translate = root.add_subcommand(
      "translate",
      "Run translation jobs with the configured engine per language (OpenCC offline, LibreTranslate-compatible "
      "HTTP) and publish the translated articles (consumer group consumers.groups.translator; exactly once).");
  add_common(translate, *tr_args);
  dispatch.on(translate, [tr_args] { return run_translate(*tr_args); });
}

}  // namespace syn::translation
