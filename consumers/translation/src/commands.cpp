#include "syn/translation/commands.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/config.hpp"
#include "syn/core/dead_letter.hpp"
#include "syn/core/instance.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/log.hpp"
#include "syn/core/metrics.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"
#include "syn/core/transform.hpp"
#include "syn/translation/article_builder.hpp"
#include "syn/translation/done_store.hpp"
#include "syn/translation/engine.hpp"
#include "syn/translation/job_builder.hpp"
#include "syndication/v1/dead_letter.pb.h"

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
std::unique_ptr<http::server> serve_role_metrics(const args& a, const std::string& configured,
                                                 const std::string& role, runner::stats& stats,
                                                 std::function<std::string()> more = {}) {
  return service::serve_metrics(
      service::metrics_address(a.metrics_listen, a.until_idle, configured), role,
      [&stats, role, more = std::move(more)] {
        return runner::prometheus_text(stats, role) + (more ? more() : "");
      },
      [&stats] { return !g_stop.load() && !stats.kafka_problem(); });
}

/// The largest article turned into jobs: each job embeds it, and must stay under Kafka's default
/// 1 MB record limit with room for the job's own fields.
constexpr std::size_t max_source_bytes = 768U * 1024U;

template <class T>
std::optional<T> decode(const kafka::message& m, std::string_view schema) {
  if (m.header_value(contract::header_name::schema) != std::optional<std::string_view>(schema))
    return std::nullopt;
  T msg;
  if (!msg.ParseFromArray(m.value().data(), static_cast<int>(m.value().size()))) return std::nullopt;
  return msg;
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
  return transform::run(
      cfg.kafka, o,
      [&](const kafka::message& m) -> std::vector<transform::output> {
        // A job carries its source article: a larger article would make a job too large to produce,
        // abort every transaction and stop the consumer.
        if (m.value().size() > max_source_bytes) {
          return {transform::dead_letter(cfg.kafka, m, DeadLetter::TOO_LARGE,
                                         "record of " + std::to_string(m.value().size()) + " bytes exceeds " +
                                             std::to_string(max_source_bytes) +
                                             " (a job must fit in one Kafka record)",
                                         o.group_id, 1)};
        }
        auto article = decode<syndication::v1::Article>(m, contract::schema::article);
        if (!article) {
          return {transform::dead_letter(
              cfg.kafka, m, DeadLetter::DECODE_FAILED,
              "not a " + std::string(contract::schema::article) + " (schema header or bytes)", o.group_id,
              1)};
        }
        auto jobs = build_jobs(*article, cfg.translation, std::chrono::system_clock::now());
        if (!jobs)
          return {transform::dead_letter(cfg.kafka, m, DeadLetter::VALIDATION_FAILED, jobs.error().message(),
                                         o.group_id, 1)};
        std::vector<transform::output> out;
        for (auto& job : jobs.value()) {
          *job.mutable_source() = *article;
          out.push_back(transform::issue_record(cfg.kafka.topics.translation_jobs.name, job.job_id(),
                                                job.SerializeAsString(), contract::schema::translation_job,
                                                job.issue_id(), job.target_language()));
        }
        return out;
      },
      g_stop);
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
  log::get("translator").info("done store learned {} translation(s) from {}", learned, topic);
}

/// Per target: the circuit breaker and the numbers /metrics shows. The breaker opens after
/// `breaker_threshold` failed calls in a row; while open, the target's jobs wait without calling
/// the engine; when it is due, the next job is the probe: success closes it, failure keeps it
/// open twice as long (up to consumers.retry.max_backoff).
struct target_state {
  static constexpr int breaker_threshold = 5;
  std::string language;
  std::string engine;
  int failures_in_row = 0;
  bool open = false;
  kafka::clock::time_point open_until{};
  std::chrono::milliseconds open_for{0};
  // Read by the /metrics thread.
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> translated{0};
  std::atomic<std::uint64_t> breaker_opened{0};
  std::atomic<int> breaker_open{0};
  std::atomic<std::int64_t> waiting{0};
};

/// A job that failed at least once (or waits for its target's breaker), by record coordinates.
struct waiting_job {
  std::string target;
  std::uint32_t attempts = 0;  ///< engine calls that failed
  std::chrono::system_clock::time_point first_failure{};
  std::chrono::system_clock::time_point last_failure{};
  std::chrono::system_clock::time_point deadline{};
};
using record_key = std::tuple<std::string, std::int32_t, std::int64_t>;

/// The job's deadline counted from when its record was written: a redriven job (a new record)
/// gets a fresh one, as long as the original's (deadline - created_at).
std::chrono::system_clock::time_point effective_deadline(const syndication::v1::TranslationJob& job,
                                                         const kafka::message& m) {
  auto deadline = job_deadline(job).value_or(std::chrono::system_clock::time_point::max());
  const auto ts = m.timestamp();
  if (ts && job.has_created_at() && job.has_deadline()) {
    using google::protobuf::util::TimeUtil;
    const auto span =
        std::chrono::milliseconds(TimeUtil::DurationToMilliseconds(job.deadline() - job.created_at()));
    deadline = std::max(deadline, *ts + span);
  }
  return deadline;
}

google::protobuf::Timestamp to_proto(std::chrono::system_clock::time_point t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

/// translation jobs -> translated articles.
int run_translate(const args& a) {
  using namespace std::chrono_literals;
  using sys_clock = std::chrono::system_clock;
  const config::root cfg = config::load(a.config_path);
  service::setup_logging(cfg.observability);
  std::map<std::string, std::unique_ptr<translation_engine>> engines;
  std::map<std::string, std::unique_ptr<target_state>> targets;
  std::set<std::string> convert_printed;  // targets whose names, dateline and credits are converted
  engine_options eo;
  // One request per call, no sleeping inside the engine: the loop below schedules the retries,
  // and keeps polling and committing while a job waits.
  eo.retry.max_attempts = 1;
  for (const auto& t : cfg.translation.targets) {
    auto e = make_engine(t, eo);
    if (!e) throw std::runtime_error("translation.targets[" + t.language + "]: " + e.error().message());
    if (auto ok = e.value()->check_languages(std::string(source_language), t.language); !ok) {
      if (!ok.error().retriable()) {
        throw std::runtime_error("translation.targets[" + t.language + "]: " + ok.error().message());
      }
      log::get("translator")
          .warn("cannot ask the {} engine of {} for its languages ({}); going on", e.value()->name(),
                t.language, ok.error().message());
    }
    if (t.engine == config::translation_engine::opencc && !t.keep_names_as_printed)
      convert_printed.insert(t.language);
    auto st = std::make_unique<target_state>();
    st->language = t.language;
    st->engine = std::string(e.value()->name());
    targets[t.language] = std::move(st);
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
  std::map<record_key, waiting_job> waiting;
  std::mt19937_64 rng{std::random_device{}()};

  transform::options o;
  o.group_id = cfg.consumers.groups.translator;
  o.topics = {cfg.kafka.topics.translation_jobs.name};
  const auto lease = instance::acquire("translator", a.instance);  // held while the role runs
  o.transactional_id = cfg.kafka.transactional_id_prefix + "-translator-" + lease.id();
  log::get("translator").info("instance {} (transactional.id {})", lease.id(), o.transactional_id);
  // An HTTP engine may take seconds per job: small transactions. OpenCC takes microseconds per
  // job, so its transactions carry as many jobs as the consumers' batches (a commit costs ~5-10 ms).
  const bool all_offline =
      std::all_of(cfg.translation.targets.begin(), cfg.translation.targets.end(),
                  [](const auto& t) { return t.engine == config::translation_engine::opencc; });
  o.batch_size = all_offline ? static_cast<std::size_t>(cfg.consumers.poll_batch_size) : 10;
  o.stop_when_idle = a.until_idle;
  o.priority_of = [](const kafka::message& m) {
    syndication::v1::TranslationJob job;
    return job.ParseFromArray(m.value().data(), static_cast<int>(m.value().size())) ? job.priority() : 0;
  };
  runner::stats stats;
  o.stats = &stats;
  const auto metrics =
      serve_role_metrics(a, cfg.observability.metrics.translator, "translator", stats, [&targets] {
        metrics::writer w;
        w.family("syndicate_translation_retries_total", "counter",
                 "Translation jobs scheduled for another attempt after a transient engine error.");
        for (const auto& [lang, t] : targets)
          w.sample({{"target", lang}, {"engine", t->engine}}, t->retries.load());
        w.family("syndicate_translation_translated_total", "counter", "Jobs translated by the engine.");
        for (const auto& [lang, t] : targets)
          w.sample({{"target", lang}, {"engine", t->engine}}, t->translated.load());
        w.family("syndicate_translation_breaker_open", "gauge",
                 "1 while the target's circuit breaker is open (its jobs wait without calling the engine).");
        for (const auto& [lang, t] : targets) {
          w.sample({{"target", lang}, {"engine", t->engine}},
                   static_cast<std::int64_t>(t->breaker_open.load()));
        }
        w.family("syndicate_translation_breaker_opened_total", "counter",
                 "Times the target's breaker opened.");
        for (const auto& [lang, t] : targets)
          w.sample({{"target", lang}, {"engine", t->engine}}, t->breaker_opened.load());
        w.family("syndicate_translation_jobs_waiting", "gauge",
                 "Jobs waiting for their next attempt, per target.");
        for (const auto& [lang, t] : targets)
          w.sample({{"target", lang}, {"engine", t->engine}}, t->waiting.load());
        return w.text();
      });
  o.on_committed = [&] {
    for (const auto& d : pending) {
      if (auto r = store->mark_done(d); !r)
        log::get("translator").warn("done store: {}", r.error().message());
    }
    pending.clear();
  };
  if (store) {
    // Jobs another member translated before a rebalance gave us their partition (those after a
    // job it left waiting, whose offsets it could not commit yet) are in the translated topic:
    // learn them before taking the partition's jobs.
    o.on_assigned = [&] {
      try {
        catch_up(*store, cfg.kafka, cfg.kafka.topics.translated.name);
      } catch (const std::exception& e) {
        log::get("translator")
            .warn("done store catch-up on assignment: {} (a job done elsewhere may be translated again)",
                  e.what());
      }
    };
  }
  o.on_tick = [&] {
    // Forget jobs whose partitions went to another member (they never come back due): past
    // their deadline by a minute.
    const auto now = sys_clock::now();
    std::erase_if(waiting, [&](const auto& w) { return now - 60s > w.second.deadline; });
    std::map<std::string, std::int64_t> per_target;
    for (const auto& [k, w] : waiting) ++per_target[w.target];
    for (const auto& [lang, t] : targets) t->waiting = per_target[lang];
  };
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);

  const auto& retry = cfg.consumers.retry;
  const int rc = transform::run(
      cfg.kafka, o,
      [&](const kafka::message& m) -> transform::step {
        auto job = decode<syndication::v1::TranslationJob>(m, contract::schema::translation_job);
        if (!job || !job->has_source()) {
          return {{transform::dead_letter(
                      cfg.kafka, m, DeadLetter::DECODE_FAILED,
                      "not a " + std::string(contract::schema::translation_job) + " with its source article",
                      o.group_id, 1)},
                  std::nullopt};
        }
        const record_key rk{std::string(m.topic()), m.partition(), m.offset()};
        const done_key key{job->source_id(), job->source_sha256(), job->target_language()};
        if (store) {
          auto done = store->contains(key);
          if (done && done.value()) {
            ++skipped;
            waiting.erase(rk);
            log::get("translator").debug("{} already done; skipped", job->job_id());
            return {};
          }
        }
        auto engine = engines.find(job->target_language());
        if (engine == engines.end()) {
          return {{transform::dead_letter(cfg.kafka, m, DeadLetter::VALIDATION_FAILED,
                                          "no translation target configured for " + job->target_language(),
                                          o.group_id, 1)},
                  std::nullopt};
        }
        auto& ts = *targets[job->target_language()];
        const auto deadline = effective_deadline(*job, m);
        // Dead letter with the job's failure history.
        auto give_up = [&](DeadLetter::Reason reason, const std::string& why) -> transform::step {
          const auto w = waiting.find(rk);
          const std::uint32_t attempts =
              w == waiting.end() ? 1 : std::max<std::uint32_t>(w->second.attempts, 1);
          DeadLetter d = dead_letter_for(m, reason, why, o.group_id, attempts);
          if (w != waiting.end() && w->second.attempts > 0) {
            *d.mutable_first_failure_time() = to_proto(w->second.first_failure);
            *d.mutable_last_failure_time() = to_proto(w->second.last_failure);
            *d.mutable_time_spent() = google::protobuf::util::TimeUtil::MillisecondsToDuration(
                std::chrono::duration_cast<std::chrono::milliseconds>(sys_clock::now() -
                                                                      w->second.first_failure)
                    .count());
          }
          waiting.erase(rk);
          return {{transform::dead_letter(cfg.kafka, d)}, std::nullopt};
        };
        // A job that waited for another attempt is not tried past its deadline. A fresh one goes to
        // its engine, which decides: the HTTP engine refuses an expired job, OpenCC converts it (an
        // instant conversion is worth more late than dead-lettered).
        if (waiting.contains(rk) && sys_clock::now() >= deadline) {
          return give_up(DeadLetter::DEADLINE_EXCEEDED,
                         ts.engine + ": " + job->job_id() + ": deadline passed while waiting for the engine");
        }
        if (job->has_deadline())
          *job->mutable_deadline() = to_proto(deadline);  // the engine bounds its requests by it
        // The breaker is open: wait for the probe without calling the engine.
        if (ts.open && kafka::clock::now() < ts.open_until) {
          auto& w = waiting[rk];
          w.target = ts.language;
          w.deadline = deadline;
          return {{}, ts.open_until};
        }

        failure_info info;
        auto texts = engine->second->translate_reporting(*job, info);
        if (texts) {
          if (ts.open)
            log::get("translator")
                .info("breaker closed engine={} target={}: the probe succeeded", ts.engine, ts.language);
          ts.open = false;
          ts.breaker_open = 0;
          ts.failures_in_row = 0;
          ts.open_for = 0ms;
          auto translated = build_translated_article(job->source(), *job, texts.value(), sys_clock::now());
          if (!translated) return give_up(DeadLetter::VALIDATION_FAILED, translated.error().message());
          // A script conversion converts the names, dateline and credits too (the edition is wholly
          // zh-Hant), unless the paper keeps them as printed.
          if (convert_printed.contains(ts.language)) {
            if (auto c = convert_printed_fields(translated.value(), *engine->second); !c) {
              return give_up(DeadLetter::VALIDATION_FAILED, ts.engine + ": " + c.error().message());
            }
          }
          waiting.erase(rk);
          ++ts.translated;
          if (store)
            pending.push_back(
                {key, translated.value().id(), translated.value().content_sha256(), sys_clock::now()});
          return {{transform::issue_record(cfg.kafka.topics.translated.name, translated.value().id(),
                                           translated.value().SerializeAsString(), contract::schema::article,
                                           translated.value().issue_id(), translated.value().language())},
                  std::nullopt};
        }
        const auto& err = texts.error();
        auto& w = waiting[rk];
        w.target = ts.language;
        w.deadline = deadline;
        const auto now = sys_clock::now();
        if (w.attempts++ == 0) w.first_failure = now;
        w.last_failure = now;
        const std::string status = info.http_status == 0 ? "none" : std::to_string(info.http_status);
        if (err.value() == errc::deadline_exceeded)
          return give_up(DeadLetter::DEADLINE_EXCEEDED, ts.engine + ": " + err.message());
        if (!err.retriable()) return give_up(DeadLetter::SINK_REJECTED, ts.engine + ": " + err.message());

        // Transient: the breaker counts it; the job waits for its next attempt.
        ++ts.failures_in_row;
        const auto steady_now = kafka::clock::now();
        if (ts.open) {  // the probe failed
          ts.open_for = std::min(retry.max_backoff, ts.open_for * 2);
          ts.open_until = steady_now + ts.open_for;
          log::get("translator")
              .warn("breaker stays open engine={} target={} status={}: next probe in {} ms", ts.engine,
                    ts.language, status, ts.open_for.count());
        } else if (ts.failures_in_row >= target_state::breaker_threshold) {
          ts.open = true;
          ts.breaker_open = 1;
          ++ts.breaker_opened;
          ts.open_for = std::max(retry.initial_backoff, std::chrono::milliseconds(1000));
          ts.open_until = steady_now + ts.open_for;
          log::get("translator")
              .warn(
                  "breaker open engine={} target={} after {} failed calls in a row (status={}): "
                  "its jobs wait; next probe in {} ms",
                  ts.engine, ts.language, ts.failures_in_row, status, ts.open_for.count());
        }
        if (static_cast<int>(w.attempts) >= retry.max_attempts) {
          return give_up(DeadLetter::RETRIES_EXHAUSTED,
                         ts.engine + ": " + err.message() + " (" + std::to_string(w.attempts) + " attempts)");
        }
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        auto delay = runner::backoff(retry, static_cast<int>(w.attempts) - 1, unit(rng));
        if (info.retry_after) delay = std::max(delay, *info.retry_after);  // the engine's Retry-After wins
        auto due = steady_now + delay;
        if (ts.open) due = std::max(due, ts.open_until);
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - steady_now);
        if (now + wait >= deadline) {
          return give_up(
              DeadLetter::DEADLINE_EXCEEDED,
              ts.engine + ": " + err.message() + " (the job's deadline passes before the next attempt)");
        }
        ++ts.retries;
        ++stats.retries;
        log::get("translator")
            .warn("retry engine={} target={} job={} status={} attempt={}/{} next_attempt_in_ms={}{}: {}",
                  ts.engine, ts.language, job->job_id(), status, w.attempts, retry.max_attempts, wait.count(),
                  info.retry_after ? " (Retry-After)" : "", err.message());
        return {{}, due};
      },
      g_stop);
  std::uint64_t translated = 0;
  for (const auto& [lang, t] : targets) translated += t->translated.load();
  log::get("translator").info("{} job(s) translated; {} job(s) skipped as already done", translated, skipped);
  return rc;
}

void add_common(CLI::App* sub, args& a) {
  cli::add_config_option(sub, a.config_path);
  sub->add_option(
      "--instance", a.instance,
      "instance name in the transactional.id (default: $SYNDICATE_INSTANCE, else <hostname>-<N>, N the "
      "lowest slot no other process of this role on this host holds)");
  sub->add_flag("--until-idle", a.until_idle, "exit 0 after 5 s without records (batch jobs, tests)");
  sub->add_option(
      "--metrics-listen", a.metrics_listen,
      "HOST:PORT for /metrics, /healthz, /readyz (default: observability.metrics.<role>, off with "
      "--until-idle; \"\" = off)");
}

}  // namespace

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto jobs_args = std::make_shared<args>();
  auto* consume = root.get_subcommand("consume")->add_subcommand(
      "translation",
      "Turn each original article into one TranslationJob per matching target language (consumer group "
      "consumers.groups.translation). Exactly once: jobs and consumed offsets commit in one Kafka "
      "transaction.");
  add_common(consume, *jobs_args);
  dispatch.on(consume, [jobs_args] { return run_jobs(*jobs_args); });

  auto tr_args = std::make_shared<args>();
  auto* translate = root.add_subcommand("translate",
                                        "Run translation jobs with the configured engine per language "
                                        "(OpenCC offline, LibreTranslate-compatible "
                                        "HTTP) and publish the translated articles (consumer group "
                                        "consumers.groups.translator; exactly once).");
  add_common(translate, *tr_args);
  tr_args->done_store_path = "var/translation-done.db";
  translate
      ->add_option(
          "--done-store", tr_args->done_store_path,
          "SQLite index of jobs already done (rebuilt from the translated topic when lost; \"\" disables)")
      ->capture_default_str();
  dispatch.on(translate, [tr_args] { return run_translate(*tr_args); });
}

}  // namespace syn::translation
