#include "syn/core/runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/dead_letter.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/core/log.hpp"
#include "syn/core/receipts.hpp"
#include "syndication/v1/dead_letter.pb.h"

namespace syn::runner {
namespace {

using namespace std::chrono_literals;
using syndication::v1::DeadLetter;

/// How long a batch that holds a record waits for the next one before it is written.
constexpr std::chrono::milliseconds batch_linger{2};

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

/// Checks what every consumer relies on; sink-specific checks live in the sinks.
std::optional<std::string> validate(const sink::envelope& e) {
  if (const auto* a = std::get_if<syndication::v1::Article>(&e.payload)) {
    if (a->id().empty()) return "Article.id is empty";
    if (a->issue_id().empty()) return "Article.issue_id is empty";
    if (a->headline().empty()) return "Article.headline is empty";
    if (!is_hex64(a->content_sha256())) return "Article.content_sha256 is not 64 lowercase hex digits";
    if (a->language().empty()) return "Article.language is empty";
  } else if (const auto* m = std::get_if<syndication::v1::IssueManifest>(&e.payload)) {
    if (m->issue_id().empty()) return "IssueManifest.issue_id is empty";
    if (m->article_ids_size() != m->article_hashes_size())
      return "IssueManifest.article_ids and article_hashes differ in length";
  } else if (const auto* j = std::get_if<syndication::v1::TranslationJob>(&e.payload)) {
    if (j->job_id().empty() || j->source_id().empty()) return "TranslationJob.job_id or source_id is empty";
    if (j->target_language().empty()) return "TranslationJob.target_language is empty";
  }
  return std::nullopt;
}

template <class T>
bool parse(std::string_view bytes, sink::envelope& e) {
  T msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  e.payload = std::move(msg);
  return true;
}

}  // namespace

void stats::update_lag(std::string_view statistics_json) {
  // https://github.com/confluentinc/librdkafka/blob/v2.0.2/STATISTICS.md: per topic, per
  // partition `consumer_lag` (-1 until both the end offset and a committed offset are known);
  // partition -1 is librdkafka's internal unassigned partition.
  const auto doc = nlohmann::json::parse(statistics_json, nullptr, false);
  if (doc.is_discarded() || !doc.contains("topics") || !doc["topics"].is_object()) return;
  std::vector<partition_lag> next;
  for (const auto& [topic, t] : doc["topics"].items()) {
    if (!t.contains("partitions") || !t["partitions"].is_object()) continue;
    for (const auto& [part, p] : t["partitions"].items()) {
      const auto id = p.value("partition", -1);
      const auto lag = p.value("consumer_lag", std::int64_t{-1});
      // Only partitions this member consumes (fetch_state "none" = not assigned).
      if (id < 0 || lag < 0 || p.value("fetch_state", std::string("none")) == "none") continue;
      next.push_back({topic, static_cast<std::int32_t>(id), lag});
    }
  }
  std::sort(next.begin(), next.end(), [](const partition_lag& x, const partition_lag& y) {
    return std::tie(x.topic, x.partition) < std::tie(y.topic, y.partition);
  });
  {
    std::lock_guard lock(lag_mu_);
    lag_ = std::move(next);
  }
  ++statistics_updates;
}

namespace {

/// What keeps this member from its work, per stats::kafka_problem(); nullopt if nothing does.
std::optional<std::string> problem_in(const nlohmann::json& doc) {
  // https://github.com/confluentinc/librdkafka/blob/v2.0.2/STATISTICS.md: `cgrp.state` is "up"
  // once the group coordinator is connected; `brokers.*.state` "UP" once a broker is connected
  // (logical brokers, the coordinators' connections, have their own entries); a partition's
  // `leader` is -1 without one.
  if (doc.contains("cgrp") && doc["cgrp"].is_object()) {
    const auto state = doc["cgrp"].value("state", std::string("up"));
    if (state != "up") return "group coordinator not connected (consumer group state " + state + ")";
  }
  std::map<std::int64_t, std::string> broker_state;
  if (doc.contains("brokers") && doc["brokers"].is_object()) {
    for (const auto& [name, b] : doc["brokers"].items()) {
      if (!b.is_object() || b.value("source", std::string()) == "logical") continue;
      const auto id = b.value("nodeid", std::int64_t{-1});
      if (id >= 0) broker_state[id] = b.value("state", std::string("?"));
    }
  }
  if (!doc.contains("topics") || !doc["topics"].is_object()) return std::nullopt;
  std::vector<std::string> problems;
  for (const auto& [topic, t] : doc["topics"].items()) {
    if (!t.is_object() || !t.contains("partitions") || !t["partitions"].is_object()) continue;
    for (const auto& [part, p] : t["partitions"].items()) {
      const auto id = p.value("partition", -1);
      const auto fetch = p.value("fetch_state", std::string("none"));
      if (id < 0 || fetch == "none" || fetch == "stopped") continue;  // not assigned to this member
      const auto leader = p.value("leader", std::int64_t{-1});
      const std::string where = topic + "[" + std::to_string(id) + "]";
      if (leader < 0) {
        problems.push_back(where + " has no leader");
        continue;
      }
      const auto b = broker_state.find(leader);
      const std::string state = b == broker_state.end() ? std::string("unknown") : b->second;
      if (state != "UP") {
        std::string problem = where;
        problem.append(": leader broker ").append(std::to_string(leader)).append(" is ").append(state);
        problems.push_back(std::move(problem));
      }
    }
  }
  if (problems.empty()) return std::nullopt;
  std::sort(problems.begin(), problems.end());
  std::string out = problems.front();
  if (problems.size() > 1) out += " (and " + std::to_string(problems.size() - 1) + " more partitions)";
  return out;
}

}  // namespace

void stats::take_statistics(std::string_view statistics_json) {
  update_lag(statistics_json);
  const auto doc = nlohmann::json::parse(statistics_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return;
  auto problem = problem_in(doc);
  const auto client = doc.value("name", std::string("consumer"));
  std::lock_guard lock(lag_mu_);
  if (problem && !kafka_problem_) {
    log::get("runner").warn("{}: not ready: {}", client, *problem);
  } else if (!problem && kafka_problem_) {
    log::get("runner").info("{}: ready again (its brokers and group coordinator are reachable)", client);
  }
  kafka_problem_ = std::move(problem);
}

std::optional<std::string> stats::kafka_problem() const {
  std::lock_guard lock(lag_mu_);
  return kafka_problem_;
}

std::chrono::milliseconds readiness_statistics_interval(std::chrono::milliseconds configured) {
  constexpr std::chrono::milliseconds most{5000};
  return configured.count() > 0 ? std::min(configured, most) : most;
}

std::vector<stats::partition_lag> stats::lag() const {
  std::lock_guard lock(lag_mu_);
  return lag_;
}

std::string prometheus_text(const stats& s, std::string_view sink_name) {
  const metrics::labels sink{{"sink", std::string(sink_name)}};
  metrics::writer w;
  w.counter("syndicate_records_consumed_total", "Records polled from Kafka.", sink, s.consumed.load());
  w.counter("syndicate_records_written_total", "Records the sink took durably.", sink, s.written.load());
  w.counter("syndicate_records_dead_lettered_total", "Records sent to the dead-letter topic.", sink,
            s.dead_lettered.load());
  w.counter("syndicate_sink_retries_total", "Batches written again after a transient sink error.", sink,
            s.retries.load());
  w.counter("syndicate_offset_commits_total", "Offset commits after a durable write.", sink,
            s.commits.load());
  w.counter("syndicate_errors_total", "Kafka or sink errors.", sink, s.errors.load());
  w.family("syndicate_sink_write_seconds", "histogram", "Sink write latency per batch.")
      .observations(sink, s.sink_latency);
  w.family("syndicate_consumer_lag", "gauge",
           "Records not yet consumed per assigned partition (librdkafka statistics: last stable offset - "
           "committed).");
  for (const auto& l : s.lag()) {
    w.sample(
        {{"sink", std::string(sink_name)}, {"topic", l.topic}, {"partition", std::to_string(l.partition)}},
        l.lag);
  }
  w.gauge("syndicate_kafka_ready",
          "1 while this member reaches its group coordinator and the leaders of its partitions (statistics), "
          "else 0; /readyz follows it.",
          sink, s.kafka_problem() ? 0 : 1);
  w.counter("syndicate_kafka_statistics_total",
            "librdkafka statistics documents received (lag gauge refreshes).", sink,
            s.statistics_updates.load());
  return w.text();
}

std::chrono::milliseconds backoff(const config::retry_config& r, int attempt, double unit_random) {
  const double base = static_cast<double>(r.initial_backoff.count()) * std::pow(r.multiplier, attempt);
  const double capped = std::min(base, static_cast<double>(r.max_backoff.count()));
  const double factor = 1.0 - r.jitter + 2.0 * r.jitter * unit_random;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(1.0, capped * factor)));
}

struct runner::impl {
  config::kafka_config kafka;
  options opts;
  sink::sink& target;
  kafka::consumer consumer;
  kafka::producer dlq;
  stats counters;
  std::atomic<bool> stopping{false};
  std::uint64_t revocations = 0;  // bumped by the revoke hook; a waiting batch checks it
  std::mt19937_64 rng{std::random_device{}()};

  /// One polled record kept alive with its decoded form.
  struct item {
    kafka::message msg;
    sink::envelope env;
  };

  impl(const config::kafka_config& k, options o, sink::sink& s, kafka::consumer c, kafka::producer p)
      : kafka(k), opts(std::move(o)), target(s), consumer(std::move(c)), dlq(std::move(p)) {
    // Receipts only onto a topic that exists (receipts::topic_exists): else none, said once.
    if (receipts::enabled(kafka) && !receipts::topic_exists(kafka, kafka::after(10s)))
      kafka.topics.deliveries.name.clear();
  }

  /// Decodes `m` into `env`, or returns the dead-letter reason.
  std::optional<std::pair<DeadLetter::Reason, std::string>> decode(const kafka::message& m,
                                                                   sink::envelope& env) const {
    env.topic = m.topic();
    env.partition = m.partition();
    env.offset = m.offset();
    env.key = m.key();
    env.raw_value = m.value();
    if (m.value().size() > opts.max_record_bytes) {
      return std::pair{DeadLetter::TOO_LARGE, "record of " + std::to_string(m.value().size()) +
                                                  " bytes exceeds " + std::to_string(opts.max_record_bytes)};
    }
    const auto schema = m.header_value(contract::header_name::schema);
    if (!schema) return std::pair{DeadLetter::WRONG_SCHEMA, std::string("no `schema` header")};
    const std::string s(*schema);
    if (!opts.schemas.contains(s)) {
      return std::pair{DeadLetter::WRONG_SCHEMA, "schema header `" + s + "` is not one this consumer takes"};
    }
    bool ok = false;
    if (s == contract::schema::article) {
      ok = parse<syndication::v1::Article>(m.value(), env);
    } else if (s == contract::schema::issue_manifest) {
      ok = parse<syndication::v1::IssueManifest>(m.value(), env);
    } else if (s == contract::schema::translation_job) {
      ok = parse<syndication::v1::TranslationJob>(m.value(), env);
    }
    if (!ok) return std::pair{DeadLetter::DECODE_FAILED, "value is not a valid " + s};
    if (auto why = validate(env)) return std::pair{DeadLetter::VALIDATION_FAILED, *why};
    return std::nullopt;
  }

  /// Queues a dead letter for `m`; delivered by flush_dead_letters().
  bool dead_letter(const kafka::message& m, DeadLetter::Reason reason, const std::string& error,
                   std::uint32_t attempts) {
    const DeadLetter d = dead_letter_for(m, reason, error, opts.group_id, attempts);
    const std::string bytes = d.SerializeAsString();
    const auto headers = contract::dead_letter_headers(opts.group_id);
    kafka::outgoing_record rec{
        kafka.topics.deadletter.name, d.id(), bytes, headers, std::nullopt, std::nullopt};
    auto r = dlq.send(rec, kafka::after(10s));
    if (!r) {
      log::get("runner").error("{}: cannot queue dead letter for {}: {}", opts.group_id, d.id(),
                               r.error().to_string());
      return false;
    }
    log::get("runner").warn("{}: dead-lettered {} ({}): {}", opts.group_id, d.id(),
                            DeadLetter::Reason_Name(reason), error);
    ++counters.dead_lettered;
    receipts::receipt gone;
    if (receipts::enabled(kafka) &&
        receipts::dead_lettered(m, receipts::sink_of(target.name()), opts.group_id,
                                DeadLetter::Reason_Name(reason) + ": " + error, gone)) {
      return send_receipt(gone);
    }
    return true;
  }

  /// Queues one delivery receipt on the same producer as the dead letters: flush_dead_letters()
  /// waits for both before the batch's offsets are committed.
  bool send_receipt(receipts::receipt r) {
    if (r.consumer_group().empty()) r.set_consumer_group(opts.group_id);
    const auto o = receipts::as_output(kafka, std::move(r));
    std::vector<kafka::header> headers;
    for (const auto& [k, v] : o.headers) headers.push_back({k, v});
    kafka::outgoing_record rec{o.topic, o.key,        o.value,
                               headers, std::nullopt, std::string_view(o.partition_key)};
    if (auto sent = dlq.send(rec, kafka::after(10s)); !sent) {
      log::get("runner").error("{}: cannot queue a receipt for {}: {}", opts.group_id, o.key,
                               sent.error().to_string());
      return false;
    }
    return true;
  }

  /// Queues the sink's receipts (sink::take_receipts), counting them in `*queued`. False if one
  /// could not be queued.
  bool send_receipts(std::size_t* queued = nullptr) {
    auto taken = target.take_receipts();
    if (!receipts::enabled(kafka)) return true;
    bool ok = true;
    for (auto& r : taken) ok = send_receipt(std::move(r)) && ok;
    if (queued != nullptr) *queued = taken.size();
    return ok;
  }

  /// Waits until every queued dead letter is on the broker.
  bool flush_dead_letters() {
    auto f = dlq.flush(kafka::after(30s));
    bool ok = f.complete();
    for (const auto& r : dlq.take_delivery_reports()) {
      if (r.err) {
        log::get("runner").error("{}: dead letter not delivered: {}", opts.group_id, r.err->to_string());
        ok = false;
      }
    }
    return ok;
  }

  /// Processed offsets whose commit has not succeeded yet. A failed commit (coordinator
  /// unreachable past commit_timeout, e.g. for a while after a broker restart) is not dropped:
  /// the offsets are committed again with the next batch, when idle, before their partitions are
  /// revoked and at stop. Without this a partition that got no further records kept its old
  /// committed offset (lag never returned to zero; a restart redelivered the records).
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> pending;
  kafka::clock::time_point pending_retry_at{};
  /// What this member has committed, per partition. A commit that timed out stays queued inside
  /// librdkafka and may land AFTER a newer one, moving the offset back (measured after a 3 s
  /// broker outage: one partition back by 5). For a while after a failure the runner reads the
  /// committed offsets back when idle and commits again where they went back.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed_to;
  kafka::clock::time_point verify_until{};
  kafka::clock::time_point next_verify{};

  bool commit(const std::vector<item>& batch) {
    for (const auto& it : batch) {
      auto& o = pending[{std::string(it.msg.topic()), it.msg.partition()}];
      o = std::max(o, it.msg.offset() + 1);
    }
    return commit_pending();
  }

  /// Commits `pending` (only the partitions in `*only`, if given).
  bool commit_pending(const std::span<const kafka::topic_partition>* only = nullptr) {
    std::vector<kafka::partition_offset> offsets;
    for (const auto& [tp, off] : pending) {
      const bool wanted =
          only == nullptr || std::any_of(only->begin(), only->end(), [&tp = tp](const auto& o) {
            return o.topic == tp.first && o.partition == tp.second;
          });
      if (wanted) offsets.push_back({tp.first, tp.second, off, std::nullopt});
    }
    if (offsets.empty()) return true;
    auto r = consumer.commit(offsets, kafka::after(opts.commit_timeout));
    if (!r) {
      ++counters.errors;
      pending_retry_at = kafka::clock::now() + 1s;
      verify_until = kafka::clock::now() + 60s;  // librdkafka's socket.timeout.ms bounds a late retry
      log::get("runner").error(
          "{}: offset commit failed: {} (kept: committed again with the next batch or when idle; if the "
          "partitions move first, their new owner gets the records again and sinks are idempotent)",
          opts.group_id, r.error().to_string());
      return false;
    }
    for (const auto& o : offsets) {
      pending.erase({o.topic, o.partition});
      auto& c = committed_to[{o.topic, o.partition}];
      c = std::max(c, o.offset);
    }
    ++counters.commits;
    return true;
  }

  /// Reads the group's committed offsets back and commits again where they went back.
  void verify_commits() {
    next_verify = kafka::clock::now() + 1s;
    std::vector<kafka::topic_partition> parts;
    for (const auto& [tp, off] : committed_to) parts.push_back({tp.first, tp.second});
    if (parts.empty()) return;
    auto got = consumer.committed(parts, kafka::after(opts.commit_timeout));
    if (!got) return;
    for (const auto& po : got.value()) {
      auto it = committed_to.find({po.topic, po.partition});
      if (it == committed_to.end() || po.offset >= it->second) continue;
      log::get("runner").warn(
          "{}: committed offset of {}[{}] went back to {} (a commit that had timed out landed late); "
          "committing {} again",
          opts.group_id, po.topic, po.partition, po.offset, it->second);
      auto& o = pending[it->first];
      o = std::max(o, it->second);
    }
    commit_pending();
  }

  /// Before partitions go (eager rebalance: all of them): commit what was processed on them,
  /// unless they were lost (the commit would be refused), then forget them.
  void on_revoked(std::span<const kafka::topic_partition> parts, bool lost) {
    ++revocations;
    committed_for.clear();  // caught_up() asks again for the next assignment
    // librdkafka keeps a partition's fetched watermarks across assignments: if it comes back,
    // they are stale until a fetch of the new assignment changes them.
    for (const auto& tp : parts) {
      const auto cached = consumer.fetched_watermark_offsets(tp.topic, tp.partition);
      stale_high[tp] = cached ? cached->high : -1;
    }
    if (!lost) commit_pending(&parts);
    for (const auto& tp : parts) {
      pending.erase({tp.topic, tp.partition});
      committed_to.erase({tp.topic, tp.partition});
    }
  }

  /// Sleeps `d` with the assignment paused, serving rebalances. False if partitions were revoked.
  bool pause_for(std::chrono::milliseconds d, std::deque<kafka::message>& held) {
    const std::uint64_t rev = revocations;
    auto assigned = consumer.assignment();
    if (assigned) {
      // A pause that failed only lets records in: they are held, not lost (see below).
      if (auto r = consumer.pause(assigned.value()); !r)
        log::get("runner").warn("{}: pause: {}", opts.group_id, r.error().to_string());
    }
    const auto until = kafka::clock::now() + d;
    while (kafka::clock::now() < until && !stopping && revocations == rev) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - kafka::clock::now());
      auto m = consumer.poll(std::min<std::chrono::milliseconds>(left, 100ms));
      if (m && m.value()) held.push_back(std::move(*m.value()));  // fetched before the pause took hold
    }
    if (revocations == rev) {
      auto now_assigned = consumer.assignment();
      if (now_assigned) {
        if (auto r = consumer.resume(now_assigned.value()); !r)
          log::get("runner").warn("{}: resume: {}", opts.group_id, r.error().to_string());
      }
    }
    return revocations == rev;
  }

  /// Takes one batch to the sink and commits it. Returns false to stop (fatal).
  bool process(std::vector<item>& batch, std::deque<kafka::message>& held) {
    // Dead-letter what cannot be decoded; the rest goes to the sink.
    std::vector<sink::envelope> good;
    std::vector<const item*> good_items;
    for (auto& it : batch) {
      if (auto bad = decode(it.msg, it.env)) {
        if (!dead_letter(it.msg, bad->first, bad->second, 1)) return retry_later(batch, held);
      } else {
        good.push_back(it.env);
        good_items.push_back(&it);
      }
    }
    for (int attempt = 0; !good.empty(); ++attempt) {
      const auto t0 = std::chrono::steady_clock::now();
      sink::verdict v = target.write(good);
      counters.sink_latency.observe(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
      if (v.kind == sink::verdict::ok) {
        counters.written += good.size() - v.rejected.size();
        for (const auto& [index, why] : v.rejected) {
          if (index < good_items.size() && !dead_letter(good_items[index]->msg, DeadLetter::SINK_REJECTED,
                                                        why, static_cast<std::uint32_t>(attempt + 1))) {
            return retry_later(batch, held);
          }
        }
        break;
      }
      if (v.kind == sink::verdict::permanent ||
          (!opts.retry_forever && attempt + 1 >= opts.retry.max_attempts)) {
        const auto reason =
            v.kind == sink::verdict::permanent ? DeadLetter::SINK_REJECTED : DeadLetter::RETRIES_EXHAUSTED;
        for (const auto* it : good_items) {
          if (!dead_letter(it->msg, reason, v.reason, static_cast<std::uint32_t>(attempt + 1))) {
            return retry_later(batch, held);
          }
        }
        break;
      }
      ++counters.retries;
      ++counters.errors;
      std::uniform_real_distribution<double> unit(0.0, 1.0);
      const auto wait = backoff(opts.retry, std::min(attempt, 30), unit(rng));
      log::get("runner").warn("{}: {} write failed ({}), attempt {}; retrying in {} ms", opts.group_id,
                              target.name(), v.reason, attempt + 1, wait.count());
      if (!pause_for(wait, held)) {
        log::get("runner").info("{}: partitions revoked while retrying; the batch goes to their new owner",
                                opts.group_id);
        return true;
      }
      if (stopping) return true;  // uncommitted: delivered again after restart
    }
    if (!send_receipts() || !flush_dead_letters()) return retry_later(batch, held);
    commit(batch);
    return true;
  }

  /// Dead letters could not be delivered: keep the batch uncommitted and seek back by
  /// re-polling after a pause (the records are redelivered on restart or rebalance).
  bool retry_later(std::vector<item>& batch, std::deque<kafka::message>& held) {
    ++counters.errors;
    log::get("runner").error("{}: dead-letter topic unavailable; pausing", opts.group_id);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    pause_for(backoff(opts.retry, 3, unit(rng)), held);
    // Put the batch back in front of what is held, to be processed again.
    std::for_each(batch.rbegin(), batch.rend(), [&held](auto& b) { held.push_front(std::move(b.msg)); });
    return true;
  }

  int run() {
    const int rc = consume_loop();
    if (!pending.empty()) commit_pending();
    if (kafka::clock::now() < verify_until) verify_commits();
    return rc;
  }

  int consume_loop() {
    std::deque<kafka::message> held;
    std::map<std::pair<std::string, std::int32_t>, bool> at_end;
    while (!stopping) {
      std::vector<item> batch;
      const auto until = kafka::clock::now() + opts.batch_max_wait;
      while (batch.size() < opts.batch_size && !held.empty()) {
        batch.push_back({std::move(held.front()), {}});
        held.pop_front();
      }
      bool idle = false;
      while (batch.size() < opts.batch_size && kafka::clock::now() < until && !stopping) {
        // Wait for the first record; after it, take only what is already fetched (an issue's
        // records come together: one transaction, one partition) and write the batch as soon as
        // a short poll finds nothing, instead of idling until batch_max_wait.
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - kafka::clock::now());
        auto m =
            consumer.poll(batch.empty() ? std::max<std::chrono::milliseconds>(left, 1ms)
                                        : std::clamp<std::chrono::milliseconds>(left, 0ms, batch_linger));
        if (!m) {
          ++counters.errors;
          if (m.error().fatal()) {
            log::get("runner").critical("{}: fatal consumer error: {}", opts.group_id, m.error().to_string());
            return 1;
          }
          log::get("runner").warn("{}: {}", opts.group_id, m.error().to_string());
          continue;
        }
        if (!m.value()) {
          idle = true;
          break;
        }
        ++counters.consumed;
        batch.push_back({std::move(*m.value()), {}});
      }
      if (!batch.empty()) {
        ++counters.batches;
        if (!process(batch, held)) return 1;
        continue;
      }
      // Receipts of the sink's background work (the feed's held issues, its resume pass).
      if (std::size_t queued = 0; idle && send_receipts(&queued) && queued > 0) flush_dead_letters();
      if (idle && !pending.empty() && kafka::clock::now() >= pending_retry_at) commit_pending();
      if (idle && kafka::clock::now() < verify_until && kafka::clock::now() >= next_verify) verify_commits();
      if (opts.stop_at_end && idle && caught_up()) return 0;
    }
    return 0;
  }

  int unfetched_checks = 0;  ///< caught_up() calls that met a partition without fetched watermarks
  /// The group's committed offsets when the current assignment began (what a partition's position
  /// is until a record of it is consumed). Asked once per assignment: the OffsetFetch waits
  /// behind the connection's held Fetch, like the watermark query.
  std::vector<kafka::topic_partition> committed_for;
  std::map<kafka::topic_partition, std::int64_t> committed_at_assignment;
  /// Fetched high watermark of each partition when it was revoked (see on_revoked()).
  std::map<kafka::topic_partition, std::int64_t> stale_high;
  /// Every assigned partition has been read to its end. Under read_committed the last offset
  /// of a partition is often a transaction marker, which is never delivered: a position one
  /// short of the high watermark after an idle poll counts as the end.
  bool caught_up() {
    auto assigned = consumer.assignment();
    if (!assigned || assigned.value().empty()) return false;
    auto pos = consumer.position(assigned.value());
    if (!pos) return false;
    const bool unpositioned = std::any_of(pos.value().begin(), pos.value().end(),
                                          [](const kafka::partition_offset& p) { return p.offset < 0; });
    if (unpositioned && committed_for != assigned.value()) {
      auto committed = consumer.committed(assigned.value(), kafka::after(5s));
      if (!committed) return false;
      committed_at_assignment.clear();
      for (const auto& c : committed.value()) committed_at_assignment[{c.topic, c.partition}] = c.offset;
      committed_for = assigned.value();
    }
    for (const auto& p : pos.value()) {
      std::int64_t off = p.offset;
      if (off < 0) {
        const auto c = committed_at_assignment.find({p.topic, p.partition});
        if (c != committed_at_assignment.end()) off = c->second;
      }
      // What the fetcher last heard costs nothing; asking the leader waits behind the held Fetch
      // (fetch.wait.max.ms per partition). A partition not fetched from yet will be soon (its
      // first Fetch answers within fetch.wait.max.ms, empty or not): wait for that a few idle
      // polls before asking.
      kafka::watermarks marks;
      auto cached = consumer.fetched_watermark_offsets(p.topic, p.partition);
      if (cached) {  // the partition was ours before: is the cache from this assignment?
        const auto stale = stale_high.find({p.topic, p.partition});
        if (stale != stale_high.end() && stale->second == cached->high) {
          cached.reset();
        } else if (stale != stale_high.end()) {
          stale_high.erase(stale);
        }
      }
      if (cached && (off >= 0 || cached->low >= 0)) {
        marks = *cached;
      } else if (++unfetched_checks <= 10) {
        return false;
      } else {
        auto asked = consumer.watermark_offsets(p.topic, p.partition, kafka::after(5s));
        if (!asked) return false;
        marks = asked.value();
      }
      if (off < 0) off = marks.low;
      if (off < marks.high - 1) return false;
    }
    return true;
  }
};

runner::runner(const config::kafka_config& kafka, options opts, sink::sink& s) {
  kafka::consumer_options co;
  co.group_id = opts.group_id;
  co.client_id = "syndicate-" + std::string(s.name());
  auto* self = this;
  // Runs on the poll thread (inside consumer.poll()), every statistics interval.
  auto on_statistics = [self](std::string_view json) {
    if (self->impl_) self->impl_->counters.take_statistics(json);
  };
  co.hooks.on_revoked = [self](std::span<const kafka::topic_partition> parts, bool lost) {
    if (self->impl_) self->impl_->on_revoked(parts, lost);
  };
  // A batch run (stop_at_end) knows it is caught up once every partition's Fetch has answered;
  // at a partition's end the broker holds that Fetch for fetch.wait.max.ms (500 ms by default),
  // which made an empty catch-up take 1.6 s. Ask briefly, unless kafka.client says otherwise.
  config::kafka_config consumer_cfg = kafka;
  if (opts.stop_at_end) consumer_cfg.client.try_emplace("fetch.wait.max.ms", "100");
  consumer_cfg.statistics_interval = readiness_statistics_interval(kafka.statistics_interval);
  auto c = kafka::consumer::create(consumer_cfg, std::move(co), on_statistics);
  if (!c) throw std::runtime_error(c.error().to_string());
  kafka::producer_options po;
  po.client_id = "syndicate-" + std::string(s.name()) + "-dlq";
  auto p = kafka::producer::create(kafka, po);
  if (!p) throw std::runtime_error(p.error().to_string());
  impl_ = std::make_unique<impl>(kafka, std::move(opts), s, std::move(c).value(), std::move(p).value());
  if (auto r = impl_->consumer.subscribe(impl_->opts.topics); !r)
    throw std::runtime_error(r.error().to_string());
}

runner::~runner() {
  if (impl_) {
    // run() committed what it processed; a close that fails only makes the group wait for the
    // session timeout before it hands the partitions on.
    if (auto r = impl_->consumer.close(kafka::after(10s)); !r)
      log::get("runner").warn("{}: leaving the group: {}", impl_->opts.group_id, r.error().to_string());
  }
}

int runner::run() { return impl_->run(); }
void runner::stop() noexcept { impl_->stopping = true; }
const stats& runner::counters() const noexcept { return impl_->counters; }

}  // namespace syn::runner
