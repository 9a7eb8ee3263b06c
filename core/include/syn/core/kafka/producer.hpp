#pragma once
/// Idempotent producer, transactional or not, over librdkafka.
///
/// Transactional use (one transaction per issue):
/// \code
///   auto p = producer::create(cfg, {.transactional_id = "syndicate-publisher-1"}).value();
///   p.init_transactions(after(30s));                       // once
///   auto reports = p.transact(after(60s), [&](producer& tx) -> result<void> {
///     for (auto& a : articles) BOOST_OUTCOME_TRY(tx.send({...}, after(10s)));
///     return success();
///   });                                                    // committed, or an error
/// \endcode
///
/// Error handling follows librdkafka's INTRO.md "Transactional producer": an error with
/// `txn_requires_abort()` aborts the transaction and the whole transaction is retried; a
/// retriable error from commit/abort/send_offsets repeats the same call until the deadline; a
/// `fatal()` error leaves this producer unusable: destroy it and create a new one (it was fenced
/// by a newer instance with the same transactional.id, or idempotence could not be kept).
///
/// Thread-safety: one thread at a time per producer (librdkafka's own threads only call the
/// log/error callbacks, which are thread-safe). Delivery reports are served on the caller's thread
/// inside send/poll/flush/commit_transaction. Movable, not copyable.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/kafka/error.hpp"
#include "syn/core/kafka/types.hpp"

namespace syn::kafka {

class group_metadata;

/// One record to send. Borrowed: everything is copied into librdkafka before send() returns.
struct outgoing_record {
  std::string_view topic{};
  std::string_view key{};  ///< empty: no key
  std::string_view value{};
  std::span<const header> headers{};
  /// Explicit partition. Wins over `partition_key`.
  std::optional<std::int32_t> partition{};
  /// Partition = partition_for(*partition_key, partition count of `topic`), e.g. the issue id so
  /// all records of one issue share a partition while each keeps its own key. If neither this nor
  /// `partition` is set, the key is hashed the same way.
  std::optional<std::string_view> partition_key{};
};

/// The outcome of one sent record.
struct delivery_report {
  std::uint64_t id = 0;  ///< what send() returned
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;  ///< -1 if not delivered
  std::optional<error> err;  ///< set if the record was not delivered
};

struct producer_options {
  std::string client_id = "syndicate-producer";
  /// Non-empty: a transactional producer (call init_transactions() first). Empty: idempotent,
  /// non-transactional (dead letters, replay).
  std::string transactional_id;
};

/// What flush() leaves behind.
struct flush_result {
  std::size_t undelivered = 0;  ///< records still queued or in flight at the deadline
  [[nodiscard]] bool complete() const noexcept { return undelivered == 0; }
};

class producer {
 public:
  /// Creates the client; no network I/O yet. Errors: invalid properties (errc::invalid_arg).
  static result<producer> create(const config::kafka_config& cfg, const producer_options& opts);

  producer(producer&&) noexcept;
  producer& operator=(producer&&) noexcept;
  /// Destroys the client without waiting: call flush() (or commit) first to deliver what is queued.
  ~producer();

  [[nodiscard]] bool transactional() const noexcept;

  /// Registers the transactional.id with the coordinator (fencing older instances) and waits for
  /// a producer id. Retriable errors are retried until `d`.
  result<void> init_transactions(deadline d);
  /// Starts a transaction (local; no I/O). Clears the pending delivery reports.
  result<void> begin_transaction();
  /// Commits the current transaction: flushes, then commits. Returns the delivery reports of
  /// every record sent in it. Retriable errors are retried until `d`; an abortable error aborts
  /// the transaction (bounded by `d`) and is returned with txn_requires_abort() set.
  result<std::vector<delivery_report>> commit_transaction(deadline d);
  /// Aborts the current transaction; records sent in it are purged or marked aborted.
  result<void> abort_transaction(deadline d);
  /// Adds consumed offsets (next offset to read, per partition) to the current transaction, for
  /// consume-transform-produce. Same error handling as commit_transaction.
  result<void> send_offsets_to_transaction(std::span<const partition_offset> offsets,
                                           const group_metadata& group, deadline d);

  /// begin, `body`, commit; on an abortable error: abort and run the whole transaction again, at
  /// most `max_attempts` times in all, all before `d`. Fatal and other errors are returned
  /// (the transaction aborted if it had begun and the producer is still usable).
  result<std::vector<delivery_report>> transact(deadline d,
                                                const std::function<result<void>(producer&)>& body,
                                                int max_attempts = 3);

  /// Queues one record. Returns its id (as in its delivery_report). Waits for queue space or for
  /// the topic's partition count (partition_key) until `d`.
  result<std::uint64_t> send(const outgoing_record& rec, deadline d);

  /// Serves delivery reports that are ready, without waiting.
  void poll();
  /// Delivery reports collected so far (non-transactional use), and forgets them.
  std::vector<delivery_report> take_delivery_reports();
  /// Waits until everything queued is delivered (or failed), or `d`; says what is left.
  flush_result flush(deadline d);

  /// Partition count of `topic` (cached after the first lookup).
  result<std::int32_t> partition_count(std::string_view topic, deadline d);
  /// The fatal error raised on this instance, if any (then every call fails with it).
  [[nodiscard]] std::optional<error> fatal_error() const;

  struct impl;

 private:
  explicit producer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::kafka
