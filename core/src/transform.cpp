#include "syn/core/transform.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>

#include "syn/contract/headers.hpp"
#include "syn/core/dead_letter.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/core/log.hpp"
#include "syn/core/receipts.hpp"
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

namespace {

/// The consumer of a loop: the group's member, dropping revoked partitions' records (see run).
kafka::consumer make_consumer(const config::kafka_config& kafka, const options& opts,
                              const std::shared_ptr<std::set<partition_key>>& revoked) {
  kafka::consumer_options co;
  co.group_id = opts.group_id;
  co.client_id = "syndicate-" + opts.group_id;
  // Partitions revoked: their records leave the pending set (polled, waiting or gathered). The
  // new owner starts from the committed offset and takes them itself, and under eager
  // rebalancing a partition assigned back to this member is fetched again from that offset, so
  // keeping them produced duplicates (measured: 25 extra jobs of 2,000 with a second instance
  // joining and leaving six times, tests/reliability/rebalance.sh).
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
  if (auto r = c.value().subscribe(opts.topics); !r) throw std::runtime_error(r.error().to_string());
  return std::move(c).value();
}

kafka::producer make_producer(const config::kafka_config& kafka, const options& opts) {
  auto p = kafka::producer::create(kafka, {"syndicate-" + opts.group_id, opts.transactional_id});
  if (!p) throw std::runtime_error(p.error().to_string());
  if (auto r = p.value().init_transactions(kafka::after(60s)); !r)
    throw std::runtime_error(r.error().to_string());
  return std::move(p).value();
}

/// What one turn of the loop did with the due records.
struct batch {
  std::vector<output> outputs;
  std::vector<kafka::partition_offset> offsets;
  std::size_t done = 0;
};

/// One consume-transform-produce loop (see run): the member, the transactional producer, the
/// records polled and not done yet, and per partition how far it is done and committed.
class loop {
 public:
  loop(const config::kafka_config& kafka, const options& opts, const step_fn& fn, std::atomic<bool>& stop)
      : kafka_(kafka),
        opts_(opts),
        fn_(fn),
        stop_(stop),
        consumer_(make_consumer(kafka, opts, revoked_)),
        producer_(make_producer(kafka, opts)),
        no_receipts_(receipts::enabled(kafka) && !receipts::topic_exists(kafka, kafka::after(10s))) {}

  int run() {
    auto idle_since = kafka::clock::now();
    while (!stop_) {
      const auto polled = poll_some();
      if (opts_.stats != nullptr) opts_.stats->consumed += polled;
      const auto t0 = kafka::clock::now();
      const auto due = take_due(t0);
      if (due.empty()) {
        if (opts_.on_tick) opts_.on_tick();
        if (opts_.stop_when_idle && pending_.empty() && idle_for_long(idle_since)) break;
        continue;
      }
      idle_since = kafka::clock::now();
      auto b = step_due(due, t0);
      if (b.outputs.empty() && b.offsets.empty()) {
        if (opts_.on_tick) opts_.on_tick();
        continue;  // only retries scheduled: nothing to commit
      }
      if (!commit(b)) return 1;
      if (opts_.on_committed) opts_.on_committed();
      if (opts_.on_tick) opts_.on_tick();
    }
    // Whatever was committed stays committed: a close that fails only makes the group wait for
    // the session timeout before it hands this member's partitions on.
    if (auto closed = consumer_.close(kafka::after(10s)); !closed)
      log::get("transform").warn("{}: leaving the group: {}", opts_.group_id, closed.error().to_string());
    return 0;
  }

 private:
  void drop_revoked() {
    if (revoked_->empty()) return;
    const auto before = pending_.size();
    std::erase_if(pending_, [&](const pending_record& r) {
      return revoked_->contains({std::string(r.msg.topic()), r.msg.partition()});
    });
    if (pending_.size() != before) {
      log::get("transform")
          .info("{}: {} record(s) of revoked partitions dropped (their new owner takes them)", opts_.group_id,
                before - pending_.size());
    }
    for (const auto& tp : *revoked_) {
      done_upto_.erase(tp);
      sent_.erase(tp);
    }
    revoked_->clear();
    paused_ = false;  // a new assignment starts unpaused
  }

  /// Pauses the assigned partitions while every held record waits for its retry, resumes after.
  void set_paused(bool pause) {
    if (pause == paused_) return;
    if (auto assigned = consumer_.assignment(); assigned) {
      auto r = pause ? consumer_.pause(assigned.value()) : consumer_.resume(assigned.value());
      if (!r) {
        // Polling goes on either way: a pause that failed only lets more records in, a resume
        // that failed is tried again on the next turn.
        log::get("transform").warn("{}: {}", opts_.group_id, r.error().to_string());
        if (!pause) return;
      }
    }
    paused_ = pause;
    if (pause) {
      log::get("transform")
          .info("{}: {} record(s) waiting; partitions paused until some are done", opts_.group_id,
                pending_.size());
    }
  }

  /// Poll: at most until the first pending record is due, and only while there is room. Full
  /// with records due: take them first, without polling. Full with every record waiting for its
  /// retry: pause the partitions and poll on, which keeps the member in its group.
  std::size_t poll_some() {
    const auto now = kafka::clock::now();
    auto until = now + opts_.batch_max_wait;
    for (const auto& r : pending_) until = std::min(until, std::max(r.due, now));
    const bool any_due = until <= now;
    const bool full = pending_.size() >= opts_.max_pending;
    set_paused(full && !any_due);
    std::size_t polled = 0;
    bool first = true;
    while (!(full && any_due) && !stop_) {
      // Wait for the first record only; then stop at the first short poll that finds nothing
      // (as the runner does): no idle wait until batch_max_wait with records in hand.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - kafka::clock::now());
      auto m = consumer_.poll(first ? std::max(1ms, left) : std::clamp(left, 0ms, batch_linger));
      first = false;
      drop_revoked();
      if (!m) {
        if (m.error().fatal()) throw std::runtime_error(m.error().to_string());
        log::get("transform").warn("{}: {}", opts_.group_id, m.error().to_string());
      } else if (m.value()) {
        // Kept even over max_pending (fetched before a pause took hold): a record skipped here
        // would be committed past by the records after it.
        const int prio = opts_.priority_of ? opts_.priority_of(*m.value()) : 0;
        pending_.push_back({std::move(*m.value()), kafka::clock::now(), prio});
        ++polled;
      } else {
        break;
      }
      if (pending_.size() >= opts_.max_pending || kafka::clock::now() >= until) break;
    }
    return polled;
  }

  /// The due records: higher priority first, then offset order per partition; one batch at most.
  std::vector<std::size_t> take_due(kafka::clock::time_point t0) const {
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].due <= t0) due.push_back(i);
    }
    std::stable_sort(due.begin(), due.end(), [&](std::size_t a, std::size_t b) {
      return pending_[a].priority > pending_[b].priority;
    });
    if (due.size() > opts_.batch_size) due.resize(opts_.batch_size);
    return due;
  }

  /// Idle time counts only while this member holds partitions: a member restarted after a crash
  /// may wait for the group to drop its predecessor (session.timeout.ms) first.
  bool idle_for_long(kafka::clock::time_point& idle_since) {
    auto assigned = consumer_.assignment();
    if (!assigned || assigned.value().empty()) {
      idle_since = kafka::clock::now();
      return false;
    }
    return kafka::clock::now() - idle_since > opts_.idle_for;
  }

  /// Runs the step function on the due records; those done leave pending, with what each
  /// touched partition can now commit.
  batch step_due(const std::vector<std::size_t>& due, kafka::clock::time_point t0) {
    batch b;
    std::vector<std::size_t> finished;
    std::set<partition_key> touched;
    if (opts_.before_batch) {
      std::vector<const kafka::message*> msgs;
      msgs.reserve(due.size());
      for (const std::size_t i : due) msgs.push_back(&pending_[i].msg);
      opts_.before_batch(msgs);
    }
    for (const std::size_t i : due) {
      auto& r = pending_[i];
      if (kafka::clock::now() - t0 > opts_.batch_time_budget) break;  // the rest: next turn
      auto st = fn_(r.msg);
      const partition_key tp{std::string(r.msg.topic()), r.msg.partition()};
      touched.insert(tp);
      auto& upto = done_upto_[tp];
      upto = std::max(upto, r.msg.offset() + 1);
      if (st.retry_at) {
        r.due = *st.retry_at;
        continue;
      }
      for (auto& o : st.outputs) {
        // The deliveries topic does not exist (said at start): its receipts are left out.
        if (no_receipts_ && o.topic == kafka_.topics.deliveries.name) continue;
        b.outputs.push_back(std::move(o));
      }
      finished.push_back(i);
    }
    // The records done leave pending (indexes from the back, so the others stay valid).
    std::sort(finished.begin(), finished.end(), std::greater<>());
    for (const std::size_t i : finished) pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    b.done = finished.size();
    for (const auto& tp : touched) {
      const auto off = committable(tp, done_upto_, pending_);
      const auto s = sent_.find(tp);
      if (off && (s == sent_.end() || *off > s->second))
        b.offsets.push_back({tp.first, tp.second, *off, std::nullopt});
    }
    return b;
  }

  /// The batch's outputs and offsets in one transaction. False if it aborted.
  bool commit(const batch& b) {
    auto group = consumer_.group_metadata_for_txn();
    if (!group) throw std::runtime_error(group.error().to_string());
    const auto txn_started = kafka::clock::now();
    auto committed = producer_.transact(kafka::after(60s), [&](kafka::producer& tx) -> kafka::result<void> {
      for (const auto& o : b.outputs) {
        std::vector<kafka::header> headers;
        for (const auto& [k, v] : o.headers) headers.push_back({k, v});
        kafka::outgoing_record rec{o.topic, o.key,        o.value,
                                   headers, std::nullopt, std::string_view(o.partition_key)};
        if (auto r = tx.send(rec, kafka::after(10s)); !r) return r.error();
      }
      if (exit_in_ && ++batches_ == *exit_in_) exit_in_transaction(tx, b.outputs.size());
      if (b.offsets.empty()) return kafka::success();
      return tx.send_offsets_to_transaction(b.offsets, group.value(), kafka::after(30s));
    });
    count(b, committed.has_value(), txn_started);
    if (!committed) {
      log::get("transform")
          .error("{}: transaction aborted: {}; exiting so that a restart takes the batch again",
                 opts_.group_id, committed.error().to_string());
      return false;
    }
    for (const auto& o : b.offsets) sent_[{o.topic, o.partition}] = o.offset;
    log::get("transform")
        .debug("{}: {} records done, {} out, {} waiting, committed", opts_.group_id, b.done, b.outputs.size(),
               pending_.size());
    return true;
  }

  /// The kill-mid-transaction tests' crash point: the records are on the broker, uncommitted.
  [[noreturn]] void exit_in_transaction(kafka::producer& tx, std::size_t records) const {
    if (auto f = tx.flush(kafka::after(10s)); !f.complete())
      log::get("transform").warn("test hook: {} record(s) not flushed", f.undelivered);
    log::get("transform")
        .warn("test hook: exiting in batch {} with {} records in an open transaction", batches_, records);
    std::_Exit(70);
  }

  void count(const batch& b, bool committed, kafka::clock::time_point txn_started) const {
    if (opts_.stats == nullptr) return;
    auto& stats = *opts_.stats;
    ++stats.batches;
    if (!committed) {
      ++stats.errors;
      return;
    }
    const auto dlq =
        static_cast<std::uint64_t>(std::count_if(b.outputs.begin(), b.outputs.end(), [&](const output& o) {
          return o.topic == kafka_.topics.deadletter.name;
        }));
    // Receipts are the loop's audit trail, not what it writes.
    const auto receipts =
        static_cast<std::uint64_t>(std::count_if(b.outputs.begin(), b.outputs.end(), [&](const output& o) {
          return !kafka_.topics.deliveries.name.empty() && o.topic == kafka_.topics.deliveries.name;
        }));
    stats.dead_lettered += dlq;
    stats.written += b.outputs.size() - dlq - receipts;
    ++stats.commits;
    stats.sink_latency.observe(
        std::chrono::duration_cast<std::chrono::microseconds>(kafka::clock::now() - txn_started));
  }

  const config::kafka_config& kafka_;
  const options& opts_;
  const step_fn& fn_;
  std::atomic<bool>& stop_;
  std::shared_ptr<std::set<partition_key>> revoked_ = std::make_shared<std::set<partition_key>>();
  kafka::consumer consumer_;
  kafka::producer producer_;
  bool no_receipts_ = false;
  // Crash point of the kill-mid-transaction tests (syn/core/test_hooks.hpp; none in production).
  std::optional<std::uint64_t> exit_in_ = test_hooks::points().exit_in_transaction;
  std::uint64_t batches_ = 0;
  std::vector<pending_record> pending_;
  std::map<partition_key, std::int64_t> done_upto_;  // per partition: past the last record done
  std::map<partition_key, std::int64_t> sent_;       // per partition: the offset last committed
  bool paused_ = false;
};

}  // namespace

int run(const config::kafka_config& kafka, const options& opts, const step_fn& fn, std::atomic<bool>& stop) {
  return loop(kafka, opts, fn, stop).run();
}

}  // namespace syn::transform
