#pragma once
/// The archive consumer's sink: stores batches of Articles and IssueManifests in the archive
/// store (one database transaction per batch) for the shared consumer runner in core.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "syn/archive/store.hpp"
#include "syn/core/config.hpp"
#include "syn/core/sink.hpp"

namespace syn::archive {

/// Indexes everything queued on `s` (store::index_pending in transactions of
/// archive_sink::index_flush_batch) and returns how many articles it moved: what
/// archive_sink::flush_index() and `syndicate archive index` do.
[[nodiscard]] result<std::int64_t> index_all(store& s);

/// `syn::sink::sink` over an archive store.
///
/// write() verdicts:
/// - `ok` after COMMIT: every Article and IssueManifest of the batch is durable (already stored
///   ones are left as they are: re-applying a batch is harmless). Records the archive cannot take
///   are listed in `rejected` with the reason: validation failures (empty id, missing headline,
///   malformed hash...) and payloads that are not Articles or IssueManifests.
/// - `retry` when the database is unavailable or busy (connection refused or lost, SQLITE_BUSY
///   beyond the busy timeout, unwritable file...): nothing of the batch is committed. The store is
///   dropped and reopened on the next write().
/// - `permanent` when the archive cannot be used at all by this build (schema newer than the
///   binary, opened read-only).
///
/// Opening is lazy: the first write() (or connect()) opens the store and runs migrations.
/// Not thread-safe: the runner calls it from one thread.
///
/// Search indexing behind the writes (SQLite, store::indexes_behind()): once connected, a
/// background thread with its own connection drains the store's `search_pending` queue into the
/// full-text index (index_pending, `index_batch` articles per transaction) once writes pause for
/// `index_idle` or `index_backlog` records were written, and also indexes what an earlier process
/// left queued. The destructor stops it without draining the rest: a stop takes as long as the
/// last batch whatever the backlog, and the next start (or `syndicate archive index`) indexes what
/// is left. Queued articles are searchable all along (by substring match).
class archive_sink final : public syn::sink::sink {
 public:
  using opener = std::function<result<std::unique_ptr<store>>()>;

  /// Opens the backend `cfg` names (SQLite path, or PostgreSQL conninfo from its environment
  /// variable, read at each (re)connect) with `options` (its mode must be read_write).
  explicit archive_sink(config::archive_config cfg, store_options options = {});
  /// Opens stores with `open` (tests, other wiring).
  explicit archive_sink(opener open);
  /// Stops the indexer; what is still queued is logged and left for the next start.
  ~archive_sink() override;
  archive_sink(const archive_sink&) = delete;
  archive_sink& operator=(const archive_sink&) = delete;

  /// Articles moved into the full-text index per transaction by the background indexer
  /// (~15-25 ms of FTS5 work: the longest a write waits for the indexer).
  static constexpr std::int64_t index_batch = 250;
  /// Articles per transaction when flush_index() drains the queue (nothing else writes then;
  /// larger FTS5 transactions index faster: 18,000 articles in ~3.4 s with 5,000 per transaction
  /// against ~7 s with 250 on the loaded 2-core VM).
  static constexpr std::int64_t index_flush_batch = 5000;
  /// The indexer waits until no write came for this long (the consumer has caught up)... At
  /// 100 ms it started in the gaps between fetches while a consumer caught up, and each of its
  /// transactions held the next write back (`consume archive` at 0.28x kcat -C instead of ~0.5x).
  static constexpr std::chrono::milliseconds index_idle{1000};
  /// ...or until this many records were written since it last ran (bounds the queue that search
  /// reads by substring match).
  static constexpr std::int64_t index_backlog = 50000;

  /// Opens the store now, so that a service can fail fast at start-up. Idempotent.
  [[nodiscard]] result<void> connect();

  /// Archives raw issue bytes (see store::put_raw), opening the store if needed.
  [[nodiscard]] result<bool> put_raw(std::string_view sha256, std::string_view bytes,
                                     std::string_view source_name);

  syn::sink::verdict write(std::span<const syn::sink::envelope> batch) override;
  [[nodiscard]] std::string_view name() const override { return "archive"; }
  /// STORED (with the revision) for every Article of the batches written since the last call,
  /// new or already stored alike (a replayed batch yields its receipts again).
  std::vector<syndication::v1::DeliveryReceipt> take_receipts() override {
    return std::exchange(receipts_, {});
  }

  /// The open store, or nullptr (before the first write or after a transient failure).
  [[nodiscard]] store* current() const noexcept { return store_.get(); }

  /// Stops the background indexer and indexes everything queued, on the sink's own store
  /// (opening it if needed). Returns the number of articles it indexed. After this, write()
  /// queues again but nothing indexes in the background.
  [[nodiscard]] result<std::int64_t> flush_index();

 private:
  void start_indexer();
  void stop_indexer() noexcept;
  void run_indexer();

  opener open_;
  std::unique_ptr<store> store_;
  std::vector<syndication::v1::DeliveryReceipt> receipts_;

  // The writer and the indexer take turns on the database in this process through db_mutex_
  // (not through SQLite's busy handler, which sleeps in steps of up to 100 ms), the writer first:
  // the indexer does not start a transaction while writers_waiting_ > 0.
  std::mutex db_mutex_;
  std::atomic<int> writers_waiting_{0};

  std::mutex index_mutex_;
  std::condition_variable index_wake_;
  bool index_stop_ = false;
  bool index_dirty_ = false;
  bool index_started_ = false;
  std::chrono::steady_clock::time_point last_write_{};
  std::int64_t queued_since_index_ = 0;
  std::thread indexer_;
};

}  // namespace syn::archive
