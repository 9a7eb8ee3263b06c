#pragma once
/// Exactly-once consume-transform-produce: records of a batch are transformed into output
/// records, which are produced together with the batch's consumed offsets in ONE Kafka
/// transaction (send_offsets_to_transaction). A crash anywhere leaves either the whole batch's
/// output and offsets committed, or neither, so read_committed subscribers never see a
/// duplicate. Used by `consume translation` (articles -> jobs) and `translate` (jobs ->
/// translated articles).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/runner.hpp"
#include "syndication/v1/dead_letter.pb.h"

namespace syn::transform {

/// One record to produce.
struct output {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  /// All records of one issue share a partition: partition_for(partition_key).
  std::string partition_key;
};

struct options {
  std::string group_id;
  std::vector<std::string> topics;
  /// `<kafka.transactional_id_prefix>-<role>-<instance>`.
  std::string transactional_id;
  std::size_t batch_size = 100;
  std::chrono::milliseconds batch_max_wait{200};
  /// Leave the group and return 0 once nothing arrived for `idle_for` while this member held
  /// partitions (tests, batch jobs); otherwise run until stop.
  bool stop_when_idle = false;
  std::chrono::milliseconds idle_for{5000};
  /// Called after each batch's transaction committed (not after an abort), before the next
  /// poll: for local state that must only record what Kafka holds (the translator's done store).
  std::function<void()> on_committed;
  /// Counters for /metrics (runner::prometheus_text): consumed, written (= records produced),
  /// dead-lettered, commits (= transactions committed), errors (= transactions aborted),
  /// sink latency (= one batch's transaction), lag from librdkafka statistics. Optional.
  runner::stats* stats = nullptr;

  /// Records held in memory between polls: those waiting for a later attempt (see step) and
  /// those polled but not yet taken. When this many are held the assigned partitions are paused
  /// (polling goes on, so the member stays in its group) until some are done.
  std::size_t max_pending = 1000;
  /// Higher first among the records due (a job's priority); records of equal priority in offset
  /// order. Unset: offset order.
  std::function<int(const kafka::message&)> priority_of;
  /// Bound on the transform calls of one transaction: records not reached wait for the next one,
  /// so a slow transform never keeps the loop from polling for long (max.poll.interval.ms).
  std::chrono::milliseconds batch_time_budget{30000};
  /// Called with the records about to be stepped in one turn (in the order they will be), before
  /// the first step: for work the step function can do for all of them at once (the translator
  /// converts a batch with OpenCC on every core). Must not throw.
  std::function<void(std::span<const kafka::message* const>)> before_batch;
  /// Called after every loop turn (after a commit, or an idle poll); for gauges.
  std::function<void()> on_tick;
  /// Called on the polling thread when partitions are assigned, before their records are
  /// polled: for local state that must learn what other members did (the translator's done
  /// store catches up with the translated topic). Must not throw.
  std::function<void()> on_assigned;
};

/// What a step function returns for one record: its outputs, or "not yet": call again with the
/// same record at or after `retry_at`. A record waiting for its retry holds back its partition's
/// committed offset (a restart takes it again), but not the records after it: their outputs and
/// offsets commit as they are done, and the partition's committed offset moves past the waiting
/// record once it is done too. A record after a waiting one is therefore produced again if the
/// process dies before the waiting one is done: the step function must recognise work already
/// done (the translator's done store does).
struct step {
  std::vector<output> outputs;
  std::optional<std::chrono::steady_clock::time_point> retry_at;
};
using step_fn = std::function<step(const kafka::message&)>;

/// Turns one consumed record into output records (possibly a dead letter). Must not throw.
using transform_fn = std::function<std::vector<output>(const kafka::message&)>;

/// Runs until `stop` is set (or idle, see options). A transaction that cannot commit aborts and
/// the process returns 1: its offsets were not committed, so a restart takes the batch again.
int run(const config::kafka_config& kafka, const options& opts, const transform_fn& fn,
        std::atomic<bool>& stop);
/// The same loop, with records that may wait for a later attempt (see step).
int run(const config::kafka_config& kafka, const options& opts, const step_fn& fn, std::atomic<bool>& stop);

/// A dead letter for `m` as an output record on the dead-letter topic (syn::dead_letter_for).
output dead_letter(const config::kafka_config& kafka, const kafka::message& m,
                   syndication::v1::DeadLetter::Reason reason, const std::string& error,
                   const std::string& group, std::uint32_t attempts);
/// A prepared dead letter (syn::dead_letter_for(), then amended) as an output record.
output dead_letter(const config::kafka_config& kafka, const syndication::v1::DeadLetter& d);

/// A record of an issue (an Article or a TranslationJob) with the contract's headers
/// (contract::record_headers), in the issue's partition (partition_key = issue id).
output issue_record(std::string topic, std::string key, std::string value, std::string_view schema,
                    const std::string& issue_id, std::string_view language);

}  // namespace syn::transform
