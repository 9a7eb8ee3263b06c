// The translation roles' step functions (syn/translation/roles.hpp): articles -> jobs, and the
// translator (engines, circuit breakers, waiting jobs, done store) for jobs -> translated articles.
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <tuple>

#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/dead_letter.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/log.hpp"
#include "syn/core/metrics.hpp"
#include "syn/core/receipts.hpp"
#include "syn/core/runner.hpp"
#include "syn/translation/article_builder.hpp"
#include "syn/translation/done_store.hpp"
#include "syn/translation/engine.hpp"
#include "syn/translation/job_builder.hpp"
#include "syn/translation/roles.hpp"
#include "syndication/v1/dead_letter.pb.h"

namespace syn::translation {
namespace {

using namespace std::chrono_literals;
using sys_clock = std::chrono::system_clock;
using syndication::v1::DeadLetter;

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

/// Brings the done store up to the translated topic (read_committed, every partition, from where
/// the store left off), so jobs done before a restart or by another instance before a rebalance
/// are not translated again. Stops at the end of each partition or after 3 s without records: a
/// store left behind only costs a redundant translation (docs/TRANSLATION.md).
void catch_up(done_store& store, const config::kafka_config& kafka, const std::string& topic,
              const std::atomic<bool>* stop) {
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
  while (!end.empty() && kafka::clock::now() - quiet_since < 3s && (stop == nullptr || !*stop)) {
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
  // Never joined a group, never committed: a close that runs out of time loses nothing.
  if (auto closed = c.value().close(kafka::after(10s)); !closed)
    log::get("translator").debug("done store catch-up: {}", closed.error().to_string());
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

}  // namespace

transform::options job_options(const config::root& cfg, const std::string& group_id) {
  transform::options o;
  o.group_id = group_id.empty() ? cfg.consumers.groups.translation : group_id;
  o.topics = {cfg.kafka.topics.articles.name};
  return o;
}

transform::transform_fn job_step(const config::root& cfg, std::string group_id) {
  return [&cfg, group = std::move(group_id)](const kafka::message& m) -> std::vector<transform::output> {
    // A job carries its source article: a larger article would make a job too large to produce,
    // abort every transaction and stop the consumer.
    if (m.value().size() > max_source_bytes) {
      return {transform::dead_letter(cfg.kafka, m, DeadLetter::TOO_LARGE,
                                     "record of " + std::to_string(m.value().size()) + " bytes exceeds " +
                                         std::to_string(max_source_bytes) +
                                         " (a job must fit in one Kafka record)",
                                     group, 1)};
    }
    auto article = decode<syndication::v1::Article>(m, contract::schema::article);
    if (!article) {
      return {transform::dead_letter(
          cfg.kafka, m, DeadLetter::DECODE_FAILED,
          "not a " + std::string(contract::schema::article) + " (schema header or bytes)", group, 1)};
    }
    auto jobs = build_jobs(*article, cfg.translation, std::chrono::system_clock::now());
    if (!jobs) {
      std::vector<transform::output> out{transform::dead_letter(cfg.kafka, m, DeadLetter::VALIDATION_FAILED,
                                                                jobs.error().message(), group, 1)};
      auto r =
          receipts::make(receipts::receipt::TRANSLATION, receipts::receipt::DEAD_LETTERED, *article, group);
      r.set_detail("VALIDATION_FAILED: " + jobs.error().message());
      receipts::add_to(out, cfg.kafka, std::move(r));
      return out;
    }
    std::vector<transform::output> out;
    for (auto& job : jobs.value()) {
      *job.mutable_source() = *article;
      out.push_back(transform::issue_record(cfg.kafka.topics.translation_jobs.name, job.job_id(),
                                            job.SerializeAsString(), contract::schema::translation_job,
                                            job.issue_id(), job.target_language()));
      // In the same transaction as the job (receipts.hpp).
      auto r =
          receipts::make(receipts::receipt::TRANSLATION, receipts::receipt::JOB_CREATED, *article, group);
      r.set_target_language(job.target_language());
      receipts::add_to(out, cfg.kafka, std::move(r));
    }
    return out;
  };
}

// ---------------------------------------------------------------------------------------------

struct translator::impl {
  const config::root& cfg;
  translator_options opts;
  std::map<std::string, std::unique_ptr<translation_engine>> engines;
  std::map<std::string, std::unique_ptr<target_state>> targets;
  std::set<std::string> convert_printed;  // targets whose names, dateline and credits are converted
  std::optional<done_store> store;
  /// Translations produced in the open transaction; marked done once it commits.
  std::vector<done_record> pending;
  std::atomic<std::uint64_t> skipped{0};
  std::map<record_key, waiting_job> waiting;
  std::mt19937_64 rng{std::random_device{}()};
  runner::stats* stats = nullptr;
  /// Jobs of the turn's batch already converted by an engine that translates batches (OpenCC on
  /// every core), by record; step() takes them instead of calling the engine.
  struct prepared_job {
    syndication::v1::TranslationJob job;
    result<std::vector<std::string>> texts;
  };
  std::map<record_key, prepared_job> prepared;

  impl(const config::root& c, translator_options o) : cfg(c), opts(std::move(o)) {
    if (opts.group_id.empty()) opts.group_id = cfg.consumers.groups.translator;
    make_engines();
    if (!opts.done_store_path.empty()) {
      const auto parent = std::filesystem::path(opts.done_store_path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
      auto s = done_store::open(opts.done_store_path);
      if (!s) throw std::runtime_error("--done-store " + opts.done_store_path + ": " + s.error().message());
      store.emplace(std::move(s).value());
      catch_up(*store, cfg.kafka, cfg.kafka.topics.translated.name, opts.stop);
    }
  }

  void make_engines() {
    engine_options eo;
    // One request per call, no sleeping inside the engine: the loop schedules the retries, and
    // keeps polling and committing while a job waits.
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
  }

  /// Dead letter with the job's failure history.
  transform::step give_up(const kafka::message& m, const record_key& rk, DeadLetter::Reason reason,
                          const std::string& why) {
    const auto w = waiting.find(rk);
    const std::uint32_t attempts = w == waiting.end() ? 1 : std::max<std::uint32_t>(w->second.attempts, 1);
    DeadLetter d = dead_letter_for(m, reason, why, opts.group_id, attempts);
    if (w != waiting.end() && w->second.attempts > 0) {
      *d.mutable_first_failure_time() = to_proto(w->second.first_failure);
      *d.mutable_last_failure_time() = to_proto(w->second.last_failure);
      *d.mutable_time_spent() = google::protobuf::util::TimeUtil::MillisecondsToDuration(
          std::chrono::duration_cast<std::chrono::milliseconds>(sys_clock::now() - w->second.first_failure)
              .count());
    }
    waiting.erase(rk);
    std::vector<transform::output> out{transform::dead_letter(cfg.kafka, d)};
    if (auto job = decode<syndication::v1::TranslationJob>(m, contract::schema::translation_job)) {
      auto r = receipts::make(receipts::receipt::TRANSLATION, receipts::receipt::DEAD_LETTERED, job->source(),
                              opts.group_id);
      r.set_target_language(job->target_language());
      r.set_detail(DeadLetter::Reason_Name(reason) + ": " + why);
      receipts::add_to(out, cfg.kafka, std::move(r));
    }
    return {std::move(out), std::nullopt};
  }

  /// The engine translated the job: the translated article, its target's breaker closed.
  transform::step succeeded(translator& self, const kafka::message& m, const record_key& rk,
                            const syndication::v1::TranslationJob& job, target_state& ts,
                            translation_engine& engine, const std::vector<std::string>& texts) {
    if (ts.open)
      log::get("translator")
          .info("breaker closed engine={} target={}: the probe succeeded", ts.engine, ts.language);
    ts.open = false;
    ts.breaker_open = 0;
    ts.failures_in_row = 0;
    ts.open_for = 0ms;
    auto translated = build_translated_article(job.source(), job, texts, sys_clock::now());
    if (!translated) return give_up(m, rk, DeadLetter::VALIDATION_FAILED, translated.error().message());
    // A script conversion converts the names, dateline and credits too (the edition is wholly
    // zh-Hant), unless the paper keeps them as printed.
    if (convert_printed.contains(ts.language)) {
      if (auto c = convert_printed_fields(translated.value(), engine); !c) {
        return give_up(m, rk, DeadLetter::VALIDATION_FAILED, ts.engine + ": " + c.error().message());
      }
    }
    waiting.erase(rk);
    ++ts.translated;
    const auto& art = translated.value();
    if (store) {
      pending.push_back({{job.source_id(), job.source_sha256(), job.target_language()},
                         art.id(),
                         art.content_sha256(),
                         sys_clock::now()});
    }
    if (self.on_translated) self.on_translated(job, art);
    std::vector<transform::output> out{
        transform::issue_record(cfg.kafka.topics.translated.name, art.id(), art.SerializeAsString(),
                                contract::schema::article, art.issue_id(), art.language())};
    auto r = receipts::make(receipts::receipt::TRANSLATION, receipts::receipt::TRANSLATED, job.source(),
                            opts.group_id);
    r.set_target_language(job.target_language());
    r.set_target_article_id(art.id());
    receipts::add_to(out, cfg.kafka, std::move(r));
    return {std::move(out), std::nullopt};
  }

  /// A transient failure: the breaker counts it (opens, or stays open after a failed probe).
  void count_failure(target_state& ts, const std::string& status) {
    const auto& retry = cfg.consumers.retry;
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
  }

  /// The engine failed: dead letter (permanent, out of attempts or of time), or the job waits.
  transform::step failed(const kafka::message& m, const record_key& rk,
                         const syndication::v1::TranslationJob& job, target_state& ts,
                         sys_clock::time_point deadline, const error& err, const failure_info& info) {
    const auto& retry = cfg.consumers.retry;
    auto& w = waiting[rk];
    w.target = ts.language;
    w.deadline = deadline;
    const auto now = sys_clock::now();
    if (w.attempts++ == 0) w.first_failure = now;
    w.last_failure = now;
    const std::string status = info.http_status == 0 ? "none" : std::to_string(info.http_status);
    if (err.value() == errc::deadline_exceeded)
      return give_up(m, rk, DeadLetter::DEADLINE_EXCEEDED, ts.engine + ": " + err.message());
    if (!err.retriable()) return give_up(m, rk, DeadLetter::SINK_REJECTED, ts.engine + ": " + err.message());
    count_failure(ts, status);
    if (static_cast<int>(w.attempts) >= retry.max_attempts) {
      return give_up(m, rk, DeadLetter::RETRIES_EXHAUSTED,
                     ts.engine + ": " + err.message() + " (" + std::to_string(w.attempts) + " attempts)");
    }
    const auto steady_now = kafka::clock::now();
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto delay = runner::backoff(retry, static_cast<int>(w.attempts) - 1, unit(rng));
    if (info.retry_after) delay = std::max(delay, *info.retry_after);  // the engine's Retry-After wins
    auto due = steady_now + delay;
    if (ts.open) due = std::max(due, ts.open_until);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - steady_now);
    if (now + wait >= deadline) {
      return give_up(
          m, rk, DeadLetter::DEADLINE_EXCEEDED,
          ts.engine + ": " + err.message() + " (the job's deadline passes before the next attempt)");
    }
    ++ts.retries;
    if (stats != nullptr) ++stats->retries;
    log::get("translator")
        .warn("retry engine={} target={} job={} status={} attempt={}/{} next_attempt_in_ms={}{}: {}",
              ts.engine, ts.language, job.job_id(), status, w.attempts, retry.max_attempts, wait.count(),
              info.retry_after ? " (Retry-After)" : "", err.message());
    return {{}, due};
  }

  /// Whether a job can be converted ahead with its batch: an engine that translates batches, a
  /// fresh job (not waiting for a retry), not done before, its target's breaker closed.
  bool convertible_ahead(const record_key& rk, const syndication::v1::TranslationJob& job) {
    const auto e = engines.find(job.target_language());
    if (e == engines.end() || !e->second->translates_batches() || waiting.contains(rk)) return false;
    if (targets[job.target_language()]->open) return false;
    if (!store) return true;
    auto done = store->contains({job.source_id(), job.source_sha256(), job.target_language()});
    return !(done && done.value());
  }

  /// transform::options::before_batch: the batch's jobs for batch engines, converted at once.
  void before_batch(std::span<const kafka::message* const> msgs) {
    prepared.clear();
    std::map<std::string, std::vector<std::pair<record_key, syndication::v1::TranslationJob>>> by_target;
    for (const auto* m : msgs) {
      auto job = decode<syndication::v1::TranslationJob>(*m, contract::schema::translation_job);
      record_key rk{std::string(m->topic()), m->partition(), m->offset()};
      if (job && job->has_source() && convertible_ahead(rk, *job))
        by_target[job->target_language()].emplace_back(std::move(rk), std::move(*job));
    }
    for (auto& [lang, jobs] : by_target) {
      std::vector<const syndication::v1::TranslationJob*> ptrs;
      ptrs.reserve(jobs.size());
      for (const auto& j : jobs) ptrs.push_back(&j.second);
      auto texts = engines.at(lang)->translate_batch(ptrs);
      for (std::size_t i = 0; i < jobs.size(); ++i)
        prepared.emplace(std::move(jobs[i].first),
                         prepared_job{std::move(jobs[i].second), std::move(texts[i])});
    }
  }

  transform::step step(translator& self, const kafka::message& m) {
    const record_key rk{std::string(m.topic()), m.partition(), m.offset()};
    std::optional<syndication::v1::TranslationJob> job;
    std::optional<result<std::vector<std::string>>> ready;
    if (auto p = prepared.find(rk); p != prepared.end()) {
      job = std::move(p->second.job);
      ready = std::move(p->second.texts);
      prepared.erase(p);
    } else {
      job = decode<syndication::v1::TranslationJob>(m, contract::schema::translation_job);
    }
    if (!job || !job->has_source()) {
      return {{transform::dead_letter(
                  cfg.kafka, m, DeadLetter::DECODE_FAILED,
                  "not a " + std::string(contract::schema::translation_job) + " with its source article",
                  opts.group_id, 1)},
              std::nullopt};
    }
    if (store) {
      auto done = store->contains({job->source_id(), job->source_sha256(), job->target_language()});
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
                                      opts.group_id, 1)},
              std::nullopt};
    }
    auto& ts = *targets[job->target_language()];
    const auto deadline = effective_deadline(*job, m);
    // A job that waited for another attempt is not tried past its deadline. A fresh one goes to
    // its engine, which decides: the HTTP engine refuses an expired job, OpenCC converts it (an
    // instant conversion is worth more late than dead-lettered).
    if (waiting.contains(rk) && sys_clock::now() >= deadline) {
      return give_up(m, rk, DeadLetter::DEADLINE_EXCEEDED,
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
    auto texts = ready ? std::move(*ready) : engine->second->translate_reporting(*job, info);
    if (texts) return succeeded(self, m, rk, *job, ts, *engine->second, texts.value());
    return failed(m, rk, *job, ts, deadline, texts.error(), info);
  }

  void on_committed() {
    for (const auto& d : pending) {
      if (auto r = store->mark_done(d); !r)
        log::get("translator").warn("done store: {}", r.error().message());
    }
    pending.clear();
  }

  void on_tick() {
    // Forget jobs whose partitions went to another member (they never come back due): past
    // their deadline by a minute.
    const auto now = sys_clock::now();
    std::erase_if(waiting, [&](const auto& w) { return now - 60s > w.second.deadline; });
    std::map<std::string, std::int64_t> per_target;
    for (const auto& [k, w] : waiting) ++per_target[w.target];
    for (const auto& [lang, t] : targets) t->waiting = per_target[lang];
  }
};

translator::translator(const config::root& cfg, translator_options o)
    : impl_(std::make_unique<impl>(cfg, std::move(o))) {}
translator::~translator() = default;

transform::options translator::loop_options(runner::stats* stats) {
  const auto& cfg = impl_->cfg;
  impl_->stats = stats;
  transform::options o;
  o.group_id = impl_->opts.group_id;
  o.topics = {cfg.kafka.topics.translation_jobs.name};
  o.stats = stats;
  // An HTTP engine may take seconds per job: small transactions. OpenCC takes microseconds per
  // job, so its transactions carry as many jobs as the consumers' batches (a commit costs ~5-10 ms).
  const bool all_offline =
      std::all_of(cfg.translation.targets.begin(), cfg.translation.targets.end(),
                  [](const auto& t) { return t.engine == config::translation_engine::opencc; });
  o.batch_size = all_offline ? static_cast<std::size_t>(cfg.consumers.poll_batch_size) : 10;
  o.priority_of = [](const kafka::message& m) {
    syndication::v1::TranslationJob job;
    return job.ParseFromArray(m.value().data(), static_cast<int>(m.value().size())) ? job.priority() : 0;
  };
  o.on_committed = [this] { impl_->on_committed(); };
  if (impl_->store) {
    // Jobs another member translated before a rebalance gave us their partition (those after a
    // job it left waiting, whose offsets it could not commit yet) are in the translated topic:
    // learn them before taking the partition's jobs.
    o.on_assigned = [this] {
      try {
        catch_up(*impl_->store, impl_->cfg.kafka, impl_->cfg.kafka.topics.translated.name, impl_->opts.stop);
      } catch (const std::exception& e) {
        log::get("translator")
            .warn("done store catch-up on assignment: {} (a job done elsewhere may be translated again)",
                  e.what());
      }
    };
  }
  o.on_tick = [this] { impl_->on_tick(); };
  o.before_batch = [this](std::span<const kafka::message* const> msgs) { impl_->before_batch(msgs); };
  return o;
}

transform::step translator::step(const kafka::message& m) { return impl_->step(*this, m); }

std::string translator::metrics_text() const {
  metrics::writer w;
  const auto& targets = impl_->targets;
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    w.family(name, type, help);
    for (const auto& [lang, t] : targets) w.sample({{"target", lang}, {"engine", t->engine}}, value(*t));
  };
  family("syndicate_translation_retries_total", "counter",
         "Translation jobs scheduled for another attempt after a transient engine error.",
         [](const target_state& t) { return t.retries.load(); });
  family("syndicate_translation_translated_total", "counter", "Jobs translated by the engine.",
         [](const target_state& t) { return t.translated.load(); });
  family("syndicate_translation_breaker_open", "gauge",
         "1 while the target's circuit breaker is open (its jobs wait without calling the engine).",
         [](const target_state& t) { return static_cast<std::int64_t>(t.breaker_open.load()); });
  family("syndicate_translation_breaker_opened_total", "counter", "Times the target's breaker opened.",
         [](const target_state& t) { return t.breaker_opened.load(); });
  family("syndicate_translation_jobs_waiting", "gauge", "Jobs waiting for their next attempt, per target.",
         [](const target_state& t) { return t.waiting.load(); });
  return w.text();
}

std::uint64_t translator::translated() const {
  std::uint64_t n = 0;
  for (const auto& [lang, t] : impl_->targets) n += t->translated.load();
  return n;
}

std::uint64_t translator::skipped() const { return impl_->skipped.load(); }

}  // namespace syn::translation
