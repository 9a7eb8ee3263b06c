#pragma once
/// The consumer runner every sink shares: poll, decode, dispatch, commit, rebalance, retries and
/// dead letters, written once (as cppkafka's ConsumerDispatcher writes the poll loop once).
///
/// Per batch: records are checked (size, `schema` header), decoded and validated; a record that
/// fails goes to the dead-letter topic with its reason. The rest go to the sink in one write().
/// `ok`: the sink's rejected records are dead-lettered, then the batch's offsets are committed
/// (only after the sink took the records, and only after their dead letters are on the broker).
/// `retry`: the assigned partitions are paused, the runner backs off (capped exponential with
/// jitter; it sleeps, it does not spin) and writes the same batch again; past
/// `retry.max_attempts` the batch is dead-lettered. `permanent`: dead-lettered at once. A
/// rebalance that takes partitions away while a batch waits drops the batch uncommitted: the
/// partitions' new owner gets the records again, and sinks are idempotent.
///
/// Thread-safety: run() on one thread; stop() and stats() from any.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "syn/contract/schema.hpp"
#include "syn/core/config.hpp"
#include "syn/core/metrics.hpp"
#include "syn/core/sink.hpp"

namespace syn::runner {

struct options {
  std::string group_id;
  std::vector<std::string> topics;
  /// `schema` header values this consumer accepts; others are dead-lettered (WRONG_SCHEMA).
  std::set<std::string> schemas{std::string(contract::schema::article)};
  std::size_t batch_size = 100;
  std::chrono::milliseconds batch_max_wait{200};
  std::chrono::milliseconds commit_timeout{10000};
  config::retry_config retry;
  /// Records larger than this are dead-lettered (TOO_LARGE).
  std::size_t max_record_bytes = 8U * 1024U * 1024U;
  /// Stop when every assigned partition is at its end (tests, benchmarks, `syndicate run`).
  bool stop_at_end = false;
  /// Transient sink errors never dead-letter: the batch waits (with backoff) until the sink
  /// recovers. For sinks whose transient errors mean "my own store is down" (the archive's
  /// database), where dead-lettering would only move the outage into the DLQ.
  bool retry_forever = false;
};

/// Counters, readable while running (exported as Prometheus metrics).
struct stats {
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> errors{0};
  /// Sink write latency per batch.
  metrics::histogram sink_latency;

  /// Consumer lag per assigned partition, from librdkafka's statistics JSON
  /// (`topics.*.partitions.*.consumer_lag`: last stable offset − committed offset under
  /// read_committed), refreshed every `observability.kafka_statistics_interval_ms`.
  struct partition_lag {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t lag = 0;
  };
  /// Replaces the lag table from one statistics JSON document; ignores what does not parse.
  void update_lag(std::string_view statistics_json);
  [[nodiscard]] std::vector<partition_lag> lag() const;
  /// Number of statistics documents taken.
  std::atomic<std::uint64_t> statistics_updates{0};

  /// Takes one librdkafka statistics document: the lag table (update_lag) and whether this
  /// member can reach what its work needs (kafka_problem). Logs each change of the latter.
  void take_statistics(std::string_view statistics_json);
  /// Why this member cannot do its work now, from the latest statistics document: its group
  /// coordinator not connected (`cgrp.state` other than "up"), or an assigned partition with no
  /// leader or whose leader's broker is not UP (a broker down, no quorum to elect another).
  /// nullopt when it can, or before the first document. For /readyz.
  [[nodiscard]] std::optional<std::string> kafka_problem() const;

 private:
  mutable std::mutex lag_mu_;
  std::vector<partition_lag> lag_;
  std::optional<std::string> kafka_problem_;
};

/// The statistics interval of a consuming role: observability.kafka_statistics_interval_ms, at
/// most 5 s (0 = 5 s): its /readyz follows the brokers through them (stats::kafka_problem).
[[nodiscard]] std::chrono::milliseconds readiness_statistics_interval(std::chrono::milliseconds configured);

/// Renders the counters in Prometheus text format, each metric labelled with `sink`.
std::string prometheus_text(const stats& s, std::string_view sink_name);

class runner {
 public:
  /// \throws std::runtime_error with one clear line if the Kafka clients cannot be created.
  runner(const config::kafka_config& kafka, options opts, sink::sink& sink);
  ~runner();
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;

  /// Consumes until stop() (or, with stop_at_end, until caught up). Returns a cli exit code.
  int run();
  /// Asks run() to finish its current batch, commit and return. Async-signal-safe.
  void stop() noexcept;
  [[nodiscard]] const stats& counters() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The backoff before attempt `attempt` (0-based count of failures so far), with jitter drawn
/// from `unit_random` in [0, 1).
std::chrono::milliseconds backoff(const config::retry_config& r, int attempt, double unit_random);

}  // namespace syn::runner
