#include "syn/core/transform.hpp"

#include "syn/core/kafka/producer.hpp"
#include "syndication/v1/dead_letter.pb.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

namespace syn::transform {

using namespace std::chrono_literals;

/// How long a batch that holds a record waits for the next one before it is processed.
constexpr std::chrono::milliseconds batch_linger{2};

syndication::v1::DeadLetter make_dead_letter(const kafka::message& m, int reason, const std::string& error,
                                             const std::string& group, std::uint32_t attempts) {
  using google::protobuf::util::TimeUtil;
  syndication::v1::DeadLetter d;
  d.set_id(std::string(m.topic()) + "-" + std::to_string(m.partition()) + "-" + std::to_string(m.offset()) + "-" +
           group);
  d.set_topic(std::string(m.topic()));
  d.set_partition(m.partition());
  d.set_offset(m.offset());
  d.set_key(std::string(m.key()));
  // A dead letter must fit where an ordinary record fits (the producer's message.max.bytes and
  // the topic's max.message.bytes, 1 MB by default), or the record that is too large for its
  // consumer could never be dead-lettered and would stall the partition: keep the head only.
  if (m.value().size() > max_dead_letter_value_bytes) {
    d.set_value(std::string(m.value().substr(0, max_dead_letter_value_bytes)));
    d.set_original_value_size(m.value().size());
  } else {
    d.set_value(std::string(m.value()));
  }
  for (const auto& h : m.headers()) {
    auto* rh = d.add_headers();
    rh->set_key(std::string(h.name));
    rh->set_value(std::string(h.value));
  }
  d.set_reason(static_cast<syndication::v1::DeadLetter::Reason>(reason));
  d.set_error(d.original_value_size() == 0
                  ? error
                  : error + " (dead letter keeps the first " + std::to_string(max_dead_letter_value_bytes) + " of " +
                        std::to_string(m.value().size()) + " bytes)");
  d.set_consumer_group(group);
  d.set_attempts(attempts);
  const auto now = TimeUtil::GetCurrentTime();
  *d.mutable_first_failure_time() = now;
  *d.mutable_last_failure_time() = now;
  if (auto ts = m.timestamp()) {
    *d.mutable_record_time() = TimeUtil::MillisecondsToTimestamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(ts->time_since_epoch()).count());
  }
  return d;
}

output dead_letter(const config::kafka_config& kafka, const kafka::message& m, int reason, const std::string& error,
                   const std::string& group, std::uint32_t attempts) {
  const syndication::v1::DeadLetter d = make_dead_letter(m, reason, error, group, attempts);
  output o;
  o.topic = kafka.topics.deadletter.name;
  o.key = d.id();
  o.value = d.SerializeAsString();
  o.headers = {{"content-type", "application/x-protobuf"},
               {"schema", "syndication.v1.DeadLetter"},
               {"consumer-group", group}};
  o.partition_key = d.id();
  spdlog::warn("{}: dead-lettered {}: {}", group, d.id(), error);
  return o;
}

namespace {
/// Test hook for the kill-mid-transaction tests: in the Nth batch, once its output records are on
/// the broker and before the offsets and the commit, the process exits as if killed. Unset in
/// production.
std::optional<std::uint64_t> exit_in_batch() {
  const char* v = std::getenv("SYNDICATE_TEST_EXIT_IN_TRANSACTION");
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 10);
}
}  // namespace

int run(const config::kafka_config& kafka, const options& opts, const transform_fn& fn, std::atomic<bool>& stop) {
  const auto exit_in = exit_in_batch();
  std::uint64_t batches = 0;
  kafka::consumer_options co;
  co.group_id = opts.group_id;
  co.client_id = "syndicate-" + opts.group_id;
  // Partitions revoked while a batch is being gathered: their records must leave the batch. The
  // new owner starts from the committed offset and takes them itself, and under eager
  // rebalancing a partition assigned back to this member is fetched again from that offset, so
  // keeping them produced duplicates (measured: 25 extra jobs of 2,000 with a second instance
  // joining and leaving six times, tests/reliability/rebalance.sh).
  auto revoked = std::make_shared<std::set<std::pair<std::string, std::int32_t>>>();
  co.hooks.on_revoked = [revoked](std::span<const kafka::topic_partition> parts, bool) {
    for (const auto& tp : parts) revoked->insert({tp.topic, tp.partition});
  };
  kafka::statistics_fn on_statistics;
  if (opts.stats != nullptr) on_statistics = [stats = opts.stats](std::string_view json) { stats->update_lag(json); };
  auto c = kafka::consumer::create(kafka, co, on_statistics);
  if (!c) throw std::runtime_error(c.error().to_string());
  auto& consumer = c.value();
  if (auto r = consumer.subscribe(opts.topics); !r) throw std::runtime_error(r.error().to_string());
  auto p = kafka::producer::create(kafka, {"syndicate-" + opts.group_id, opts.transactional_id});
  if (!p) throw std::runtime_error(p.error().to_string());
  auto& producer = p.value();
  if (auto r = producer.init_transactions(kafka::after(60s)); !r) throw std::runtime_error(r.error().to_string());

  auto idle_since = kafka::clock::now();
  while (!stop) {
    std::vector<kafka::message> batch;
    const auto until = kafka::clock::now() + opts.batch_max_wait;
    while (batch.size() < opts.batch_size && kafka::clock::now() < until) {
      // Wait for the first record only; then stop at the first short poll that finds nothing
      // (as the runner does): no idle wait until batch_max_wait with records in hand.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - kafka::clock::now());
      auto m = consumer.poll(batch.empty() ? std::max(1ms, left) : std::clamp(left, 0ms, batch_linger));
      if (!revoked->empty()) {
        const auto before = batch.size();
        std::erase_if(batch, [&](const kafka::message& r) {
          return revoked->contains({std::string(r.topic()), r.partition()});
        });
        if (batch.size() != before) {
          spdlog::info("{}: {} record(s) of revoked partitions left the batch", opts.group_id, before - batch.size());
        }
        revoked->clear();
      }
      if (!m) {
        if (m.error().fatal()) throw std::runtime_error(m.error().to_string());
        spdlog::warn("{}: {}", opts.group_id, m.error().to_string());
        continue;
      }
      if (!m.value()) break;
      batch.push_back(std::move(*m.value()));
    }
    if (batch.empty()) {
      if (opts.stop_when_idle) {
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
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> next;
    for (const auto& m : batch) {
      auto out = fn(m);
      for (auto& o : out) outputs.push_back(std::move(o));
      auto& off = next[{std::string(m.topic()), m.partition()}];
      off = std::max(off, m.offset() + 1);
    }
    std::vector<kafka::partition_offset> offsets;
    for (const auto& [tp, off] : next) offsets.push_back({tp.first, tp.second, off, std::nullopt});
    auto group = consumer.group_metadata_for_txn();
    if (!group) throw std::runtime_error(group.error().to_string());

    const auto txn_started = kafka::clock::now();
    auto committed = producer.transact(kafka::after(60s), [&](kafka::producer& tx) -> kafka::result<void> {
      for (const auto& o : outputs) {
        std::vector<kafka::header> headers;
        for (const auto& [k, v] : o.headers) headers.push_back({k, v});
        kafka::outgoing_record rec{o.topic, o.key, o.value, headers, std::nullopt,
                                   std::string_view(o.partition_key)};
        if (auto r = tx.send(rec, kafka::after(10s)); !r) return r.error();
      }
      if (exit_in && ++batches == *exit_in) {
        (void)tx.flush(kafka::after(10s));
        spdlog::warn("test hook: exiting in batch {} with {} records in an open transaction", batches, outputs.size());
        std::_Exit(70);
      }
      return tx.send_offsets_to_transaction(offsets, group.value(), kafka::after(30s));
    });
    if (opts.stats != nullptr) {
      opts.stats->consumed += batch.size();
      ++opts.stats->batches;
      if (committed) {
        const auto dlq = static_cast<std::uint64_t>(std::count_if(
            outputs.begin(), outputs.end(), [&](const output& o) { return o.topic == kafka.topics.deadletter.name; }));
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
      spdlog::error("{}: transaction aborted: {}; exiting so that a restart takes the batch again", opts.group_id,
                    committed.error().to_string());
      return 1;
    }
    spdlog::debug("{}: {} records in, {} out, committed", opts.group_id, batch.size(), outputs.size());
    if (opts.on_committed) opts.on_committed();
  }
  (void)consumer.close(kafka::after(10s));
  return 0;
}

}  // namespace syn::transform
