#include "syn/core/transform.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "syn/contract/headers.hpp"
#include "syn/core/dead_letter.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/core/log.hpp"
#include "syn/core/test_hooks.hpp"
#include "syndication/v1/dead_letter.pb.h"

namespace syn::transform {

using namespace std::chrono_literals;

/// How long a batch that holds a record waits for the next one before it is processed.
constexpr std::chrono::milliseconds batch_linger{2};

output dead_letter(const config::kafka_config& kafka, const kafka::message& m,
                   syndication::v1::DeadLetter::Reason reason, const std::string& error,
                   const std::string& group, std::uint32_t attempts) {
  return dead_letter(kafka, dead_letter_for(m, reason, error, group, attempts));
}

output dead_letter(const config::kafka_config& kafka, const syndication::v1::DeadLetter& d) {
  const std::string& group = d.consumer_group();
  const std::string& error = d.error();
  output o;
  o.topic = kafka.topics.deadletter.name;
  o.key = d.id();
  o.value = d.SerializeAsString();
  for (const auto& h : contract::dead_letter_headers(group)) o.headers.emplace_back(h.name, h.value);
  o.partition_key = d.id();
  log::get("transform").warn("{}: dead-lettered {}: {}", group, d.id(), error);
  return o;
}

output issue_record(std::string topic, std::string key, std::string value, std::string_view schema,
                    const std::string& issue_id, std::string_view language) {
  output o;
  o.topic = std::move(topic);
  o.key = std::move(key);
  o.value = std::move(value);
  for (const auto& h : contract::record_headers(schema, issue_id, language))
    o.headers.emplace_back(h.name, h.value);
  o.partition_key = issue_id;
  return o;
}

int run(const config::kafka_config& kafka, const options& opts, const transform_fn& fn,
        std::atomic<bool>& stop) {
  // Nothing waits and nothing is reordered: no reading ahead beyond one batch.
  options o = opts;
  o.max_pending = std::min(o.max_pending, o.batch_size);
  return run(kafka, o, step_fn([&fn](const kafka::message& m) { return step{fn(m), std::nullopt}; }), stop);
}

namespace {
using partition_key = std::pair<std::string, std::int32_t>;

/// A polled record not done yet: not taken yet, or waiting for its next attempt.
struct pending_record {
  kafka::message msg;
  kafka::clock::time_point due;
  int priority = 0;
};

/// The offset a partition can commit: up to its first record not done, else past its last done.
std::optional<std::int64_t> committable(const partition_key& tp,
                                        const std::map<partition_key, std::int64_t>& done_upto,
                                        const std::vector<pending_record>& pending) {
  const auto d = done_upto.find(tp);
  if (d == done_upto.end()) return std::nullopt;
  std::int64_t off = d->second;
  for (const auto& p : pending) {
    if (p.msg.partition() == tp.second && p.msg.topic() == tp.first) off = std::min(off, p.msg.offset());
  }
  return off;
}
}  // namespace

int run(const config::kafka_config& kafka, const options& opts, const step_fn& fn, std::atomic<bool>& stop) {
  // Crash point of the kill-mid-transaction tests (syn/core/test_hooks.hpp; none in production).
  const auto exit_in = test_hooks::points().exit_in_transaction;
  std::uint64_t batches = 0;
  kafka::consumer_options co;
  co.group_id = opts.group_id;
  co.client_id = "syndicate-" + opts.group_id;
  // Partitions revoked: their records leave the pending set (polled, waiting or gathered). The
  // new owner starts from the committed offset and takes them itself, and under eager
  // rebalancing a partition assigned back to this member is fetched again from that offset, so
  // keeping them produced duplicates (measured: 25 extra jobs of 2,000 with a second instance
  // joining and leaving six times, tests/reliability/rebalance.sh).
  auto revoked = std::make_shared<std::set<partition_key>>();
  co.hooks.on_revoked = [revoked](std::span<const kafka::topic_partition> parts, bool) {
    for (const auto& tp : parts) revoked->insert({tp.topic, tp.partition});
  };
  if (opts.on_assigned) {
    co.hooks.on_assigned = [&opts](std::span<const kafka::topic_partition>) { opts.on_assigned(); };
  }
  kafka::statistics_fn on_statistics;
  if (opts.stats != nullptr)
    on_statistics = [stats = opts.stats](std::string_view json) { stats->take_statistics(json); };
  config::kafka_config consumer_cfg = kafka;
  consumer_cfg.statistics_interval = runner::readiness_statistics_interval(kafka.statistics_interval);
  auto c = kafka::consumer::create(consumer_cfg, co, on_statistics);
  if (!c) throw std::runtime_error(c.error().to_string());
  auto& consumer = c.value();
  if (auto r = consumer.subscribe(opts.topics); !r) throw std::runtime_error(r.error().to_string());
  auto p = kafka::producer::create(kafka, {"syndicate-" + opts.group_id, opts.transactional_id});
  if (!p) throw std::runtime_error(p.error().to_string());
  auto& producer = p.value();
  if (auto r = producer.init_transactions(kafka::after(60s)); !r)
    throw std::runtime_error(r.error().to_string());

  std::vector<pending_record> pending;
  std::map<partition_key, std::int64_t> done_upto;  // per partition: past the last record done
  std::map<partition_key, std::int64_t> sent;       // per partition: the offset last committed
  bool paused = false;
  auto drop_revoked = [&] {
    if (revoked->empty()) return;
    const auto before = pending.size();
    std::erase_if(pending, [&](const pending_record& r) {
      return revoked->contains({std::string(r.msg.topic()), r.msg.partition()});
    });
    if (pending.size() != before) {
      log::get("transform")
          .info("{}: {} record(s) of revoked partitions dropped (their new owner takes them)", opts.group_id,
                before - pending.size());
    }
    for (const auto& tp : *revoked) {
      done_upto.erase(tp);
      sent.erase(tp);
    }
    revoked->clear();
    paused = false;  // a new assignment starts unpaused
  };

  auto idle_since = kafka::clock::now();
  while (!stop) {
    // Poll: at most until the first pending record is due, and only while there is room. Full
    // with records due: take them first, without polling. Full with every record waiting for
    // its retry: pause the partitions and poll on, which keeps the member in its group.
    const auto now = kafka::clock::now();
    auto until = now + opts.batch_max_wait;
    for (const auto& r : pending) until = std::min(until, std::max(r.due, now));
    const bool any_due = until <= now;
    const bool full = pending.size() >= opts.max_pending;
    const bool pause = full && !any_due;
    if (pause != paused) {
      if (auto assigned = consumer.assignment(); assigned) {
        (void)(pause ? consumer.pause(assigned.value()) : consumer.resume(assigned.value()));
      }
      paused = pause;
      if (pause) {
        log::get("transform")
            .info("{}: {} record(s) waiting; partitions paused until some are done", opts.group_id,
                  pending.size());
      }
    }
    std::size_t polled = 0;
    bool first = true;
    while (!(full && any_due) && !stop) {
      // Wait for the first record only; then stop at the first short poll that finds nothing
      // (as the runner does): no idle wait until batch_max_wait with records in hand.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - kafka::clock::now());
      auto m = consumer.poll(first ? std::max(1ms, left) : std::clamp(left, 0ms, batch_linger));
      first = false;
      drop_revoked();
      if (!m) {
        if (m.error().fatal()) throw std::runtime_error(m.error().to_string());
        log::get("transform").warn("{}: {}", opts.group_id, m.error().to_string());
      } else if (m.value()) {
        // Kept even over max_pending (fetched before a pause took hold): a record skipped here
        // would be committed past by the records after it.
        const int prio = opts.priority_of ? opts.priority_of(*m.value()) : 0;
        pending.push_back({std::move(*m.value()), kafka::clock::now(), prio});
        ++polled;
      } else {
        break;
      }
      if (pending.size() >= opts.max_pending || kafka::clock::now() >= until) break;
    }
    if (opts.stats != nullptr) opts.stats->consumed += polled;

    // Take the due records: higher priority first, then offset order per partition.
    const auto t0 = kafka::clock::now();
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (pending[i].due <= t0) due.push_back(i);
    }
    std::stable_sort(due.begin(), due.end(),
                     [&](std::size_t a, std::size_t b) { return pending[a].priority > pending[b].priority; });
    if (due.size() > opts.batch_size) due.resize(opts.batch_size);
    if (due.empty()) {
      if (opts.on_tick) opts.on_tick();
      if (opts.stop_when_idle && pending.empty()) {
        // Idle time counts only while this member holds partitions: a member restarted after a
        // crash may wait for the group to drop its predecessor (session.timeout.ms) first.
        auto assigned = consumer.assignment();
        if (!assigned || assigned.value().empty()) {
          idle_since = kafka::clock::now();
        } else if (kafka::clock::now() - idle_since > opts.idle_for) {
          break;
        }
      }
      continue;
    }
    idle_since = kafka::clock::now();

    std::vector<output> outputs;
    std::vector<std::size_t> finished;
    std::set<partition_key> touched;
    for (const std::size_t i : due) {
      auto& r = pending[i];
      if (kafka::clock::now() - t0 > opts.batch_time_budget) break;  // the rest: next turn
      auto st = fn(r.msg);
      const partition_key tp{std::string(r.msg.topic()), r.msg.partition()};
      touched.insert(tp);
      auto& upto = done_upto[tp];
      upto = std::max(upto, r.msg.offset() + 1);
      if (st.retry_at) {
        r.due = *st.retry_at;
        continue;
      }
      for (auto& o : st.outputs) outputs.push_back(std::move(o));
      finished.push_back(i);
    }
    // The records done leave pending (indexes from the back, so the others stay valid).
    std::sort(finished.begin(), finished.end(), std::greater<>());
    std::vector<pending_record> done_records;
    for (const std::size_t i : finished) {
      done_records.push_back(std::move(pending[i]));
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    }
    std::vector<kafka::partition_offset> offsets;
    for (const auto& tp : touched) {
      const auto off = committable(tp, done_upto, pending);
      const auto s = sent.find(tp);
      if (off && (s == sent.end() || *off > s->second))
        offsets.push_back({tp.first, tp.second, *off, std::nullopt});
    }
    if (outputs.empty() && offsets.empty()) {
      if (opts.on_tick) opts.on_tick();
      continue;  // only retries scheduled: nothing to commit
    }
    auto group = consumer.group_metadata_for_txn();
    if (!group) throw std::runtime_error(group.error().to_string());

    const auto txn_started = kafka::clock::now();
    auto committed = producer.transact(kafka::after(60s), [&](kafka::producer& tx) -> kafka::result<void> {
      for (const auto& o : outputs) {
        std::vector<kafka::header> headers;
        for (const auto& [k, v] : o.headers) headers.push_back({k, v});
        kafka::outgoing_record rec{o.topic, o.key,        o.value,
                                   headers, std::nullopt, std::string_view(o.partition_key)};
        if (auto r = tx.send(rec, kafka::after(10s)); !r) return r.error();
      }
      if (exit_in && ++batches == *exit_in) {
        (void)tx.flush(kafka::after(10s));
        log::get("transform")
            .warn("test hook: exiting in batch {} with {} records in an open transaction", batches,
                  outputs.size());
        std::_Exit(70);
      }
      if (offsets.empty()) return kafka::success();
      return tx.send_offsets_to_transaction(offsets, group.value(), kafka::after(30s));
    });
    if (opts.stats != nullptr) {
      ++opts.stats->batches;
      if (committed) {
        const auto dlq =
            static_cast<std::uint64_t>(std::count_if(outputs.begin(), outputs.end(), [&](const output& o) {
              return o.topic == kafka.topics.deadletter.name;
            }));
        opts.stats->dead_lettered += dlq;
        opts.stats->written += outputs.size() - dlq;
        ++opts.stats->commits;
        opts.stats->sink_latency.observe(
            std::chrono::duration_cast<std::chrono::microseconds>(kafka::clock::now() - txn_started));
      } else {
        ++opts.stats->errors;
      }
    }
    if (!committed) {
      log::get("transform")
          .error("{}: transaction aborted: {}; exiting so that a restart takes the batch again",
                 opts.group_id, committed.error().to_string());
      return 1;
    }
    for (const auto& o : offsets) sent[{o.topic, o.partition}] = o.offset;
    log::get("transform")
        .debug("{}: {} records done, {} out, {} waiting, committed", opts.group_id, done_records.size(),
               outputs.size(), pending.size());
    if (opts.on_committed) opts.on_committed();
    if (opts.on_tick) opts.on_tick();
  }
  (void)consumer.close(kafka::after(10s));
  return 0;
}

}  // namespace syn::transform
