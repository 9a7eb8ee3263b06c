#include "syn/translation/commands.hpp"

#include "syn/core/config.hpp"
#include "syn/core/instance.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/service.hpp"
#include "syn/core/transform.hpp"
#include "syn/translation/article_builder.hpp"
#include "syn/translation/done_store.hpp"
#include "syn/translation/engine.hpp"
#include "syn/translation/job_builder.hpp"
#include "syndication/v1/dead_letter.pb.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>
#include <unistd.h>

namespace syn::translation {
namespace {

using syndication::v1::DeadLetter;

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

struct args {
  std::string config_path;
  std::string instance;
  bool until_idle = false;
  std::string done_store_path;
  std::optional<std::string> metrics_listen;  ///< --metrics-listen; unset: config, or off with --until-idle
};

/// Serves /metrics (the transactional loop's counters), /healthz and /readyz while it lives.
std::unique_ptr<http::server> serve_role_metrics(const args& a, const std::string& configured, const std::string& role,
                                                 runner::stats& stats) {
  const std::string listen = a.metrics_listen ? *a.metrics_listen : a.until_idle ? std::string() : configured;
  return service::serve_metrics(listen, role, [&stats, role] { return runner::prometheus_text(stats, role); },
                                [] { return !g_stop.load(); });
}

/// The largest article turned into jobs: each job embeds it, and must stay under Kafka's default
/// 1 MB record limit with room for the job's own fields.
constexpr std::size_t max_source_bytes = 768U * 1024U;

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
  const auto lease = instance::acquire("translation", a.instance);  // held while the role runs
  o.transactional_id = cfg.kafka.transactional_id_prefix + "-translation-" + lease.id();
  o.stop_when_idle = a.until_idle;
  runner::stats stats;
  o.stats = &stats;
  const auto metrics = serve_role_metrics(a, cfg.observability.metrics.translation, "translation", stats);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  return transform::run(cfg.kafka, o, [&](const kafka::message& m) -> std::vector<transform::output> {
    // A job carries its source article: a larger article would make a job too large to produce,
    // abort every transaction and stop the consumer.
    if (m.value().size() > max_source_bytes) {
      return {transform::dead_letter(cfg.kafka, m, DeadLetter::TOO_LARGE,
                                     "record of " + std::to_string(m.value().size()) + " bytes exceeds " +
                                         std::to_string(max_source_bytes) + " (a job must fit in one Kafka record)",
                                     o.group_id, 1)};
    }
    auto article = decode<syndication::v1::Article>(m, "syndication.v1.Article");
    if (!article) {
      return {transform::dead_letter(cfg.kafka, m, DeadLetter::DECODE_FAILED,
                                     "not a syndication.v1.Article (schema header or bytes)", o.group_id, 1)};
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

/// Brings the done store up to the translated topic (read_committed, every partition, from where
/// the store left off), so jobs done before a restart or by another instance before a rebalance
/// are not translated again. Stops at the end of each partition or after 3 s without records: a
/// store left behind only costs a redundant translation (docs/TRANSLATION.md).
void catch_up(done_store& store, const config::kafka_config& kafka, const std::string& topic) {
  using namespace std::chrono_literals;
  auto admin = kafka::admin::create(kafka);
  if (!admin) throw std::runtime_error(admin.error().to_string());
  auto info = admin.value().describe_topic(topic, kafka::after(30s));
  if (!info) throw std::runtime_error(info.error().to_string());
  kafka::consumer_options co;
  co.group_id = "syndicate-translator-done-store";  // never commits: assign() only
  auto c = kafka::consumer::create(kafka, co);
  if (!c) throw std::runtime_error(c.error().to_string());
  std::vector<kafka::partition_offset> start;
  std::map<std::int32_t, std::int64_t> end;
  for (const auto& p : info.value().partitions) {
    auto from = store.resume_offset(topic, p.id);
    if (!from) throw std::runtime_error("done store: " + from.error().message());
    auto w = c.value().watermark_offsets(topic, p.id, kafka::after(30s));
    if (!w) throw std::runtime_error(w.error().to_string());
    const std::int64_t first = from.value().value_or(kafka::offset_beginning);
    if (w.value().high > std::max<std::int64_t>(first, w.value().low)) end[p.id] = w.value().high;
    start.push_back({topic, p.id, first, std::nullopt});
  }
  if (end.empty()) return;
  if (auto r = c.value().assign(start); !r) throw std::runtime_error(r.error().to_string());
  std::size_t learned = 0;
  auto quiet_since = kafka::clock::now();
  while (!end.empty() && kafka::clock::now() - quiet_since < 3s && !g_stop) {
    auto m = c.value().poll(200ms);
    if (!m) throw std::runtime_error(m.error().to_string());
    if (!m.value()) continue;
    quiet_since = kafka::clock::now();
    const auto& msg = *m.value();
    syndication::v1::Article art;
    if (art.ParseFromArray(msg.value().data(), static_cast<int>(msg.value().size()))) {
      auto r = store.learn(art, topic, msg.partition(), msg.offset());
      if (!r) throw std::runtime_error("done store: " + r.error().message());
      learned += r.value() ? 1 : 0;
    }
    if (auto e = end.find(msg.partition()); e != end.end() && msg.offset() + 1 >= e->second) end.erase(e);
  }
  (void)c.value().close(kafka::after(10s));
  spdlog::info("translator: done store learned {} translation(s) from {}", learned, topic);
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
  std::optional<done_store> store;
  if (!a.done_store_path.empty()) {
    const auto parent = std::filesystem::path(a.done_store_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    auto s = done_store::open(a.done_store_path);
    if (!s) throw std::runtime_error("--done-store " + a.done_store_path + ": " + s.error().message());
    store.emplace(std::move(s).value());
    catch_up(*store, cfg.kafka, cfg.kafka.topics.translated.name);
  }
  // Translations produced in the open transaction; marked done once it commits.
  std::vector<done_record> pending;
  std::uint64_t skipped = 0;

  transform::options o;
  o.group_id = cfg.consumers.groups.translator;
  o.topics = {cfg.kafka.topics.translation_jobs.name};
  const auto lease = instance::acquire("translator", a.instance);  // held while the role runs
  o.transactional_id = cfg.kafka.transactional_id_prefix + "-translator-" + lease.id();
  // An HTTP engine may take seconds per job: small transactions. OpenCC takes microseconds per
  // job, so its transactions carry as many jobs as the consumers' batches (a commit costs ~5-10 ms).
  const bool all_offline = std::all_of(cfg.translation.targets.begin(), cfg.translation.targets.end(),
                                       [](const auto& t) { return t.engine == config::translation_engine::opencc; });
  o.batch_size = all_offline ? static_cast<std::size_t>(cfg.consumers.poll_batch_size) : 10;
  o.stop_when_idle = a.until_idle;
  runner::stats stats;
  o.stats = &stats;
  const auto metrics = serve_role_metrics(a, cfg.observability.metrics.translator, "translator", stats);
  o.on_committed = [&] {
    for (const auto& d : pending) {
      if (auto r = store->mark_done(d); !r) spdlog::warn("translator: done store: {}", r.error().message());
    }
    pending.clear();
  };
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  const int rc = transform::run(cfg.kafka, o, [&](const kafka::message& m) -> std::vector<transform::output> {
    auto job = decode<syndication::v1::TranslationJob>(m, "syndication.v1.TranslationJob");
    if (!job || !job->has_source()) {
      return {transform::dead_letter(cfg.kafka, m, DeadLetter::DECODE_FAILED,
                                     "not a syndication.v1.TranslationJob with its source article", o.group_id, 1)};
    }
    const done_key key{job->source_id(), job->source_sha256(), job->target_language()};
    if (store) {
      auto done = store->contains(key);
      if (done && done.value()) {
        ++skipped;
        spdlog::debug("translator: {} already done; skipped", job->job_id());
        return {};
      }
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
        if (store) {
          pending.push_back({key, translated.value().id(), translated.value().content_sha256(),
                             std::chrono::system_clock::now()});
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
  spdlog::info("translator: {} job(s) skipped as already done", skipped);
  return rc;
}

void add_common(CLI::App* sub, args& a) {
  cli::add_config_option(sub, a.config_path);
  sub->add_option("--instance", a.instance, "instance name in the transactional.id (default: $SYNDICATE_INSTANCE, else <hostname>-<N>, N the "
                  "lowest slot no other process of this role on this host holds)");
  sub->add_flag("--until-idle", a.until_idle, "exit 0 after 5 s without records (batch jobs, tests)");
  sub->add_option("--metrics-listen", a.metrics_listen,
                  "HOST:PORT for /metrics, /healthz, /readyz (default: observability.metrics.<role>, off with "
                  "--until-idle; \"\" = off)");
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
  tr_args->done_store_path = "var/translation-done.db";
  translate
      ->add_option("--done-store", tr_args->done_store_path,
                   "SQLite index of jobs already done (rebuilt from the translated topic when lost; \"\" disables)")
      ->capture_default_str();
  dispatch.on(translate, [tr_args] { return run_translate(*tr_args); });
}

}  // namespace syn::translation
