#pragma once
/// The archive consumer's sink: stores batches of Articles and IssueManifests in the archive
/// store (one database transaction per batch) for the shared consumer runner in core.

#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "syn/archive/store.hpp"
#include "syn/core/config.hpp"
#include "syn/core/sink.hpp"

namespace syn::archive {

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
class archive_sink final : public syn::sink::sink {
 public:
  using opener = std::function<result<std::unique_ptr<store>>()>;

  /// Opens the backend `cfg` names (SQLite path, or PostgreSQL conninfo from its environment
  /// variable, read at each (re)connect) with `options` (its mode must be read_write).
  explicit archive_sink(config::archive_config cfg, store_options options = {});
  /// Opens stores with `open` (tests, other wiring).
  explicit archive_sink(opener open);

  /// Opens the store now, so that a service can fail fast at start-up. Idempotent.
  [[nodiscard]] result<void> connect();

  /// Archives raw issue bytes (see store::put_raw), opening the store if needed.
  [[nodiscard]] result<bool> put_raw(std::string_view sha256, std::string_view bytes,
                                     std::string_view source_name);

  syn::sink::verdict write(std::span<const syn::sink::envelope> batch) override;
  [[nodiscard]] std::string_view name() const override { return "archive"; }

  /// The open store, or nullptr (before the first write or after a transient failure).
  [[nodiscard]] store* current() const noexcept { return store_.get(); }

 private:
  opener open_;
  std::unique_ptr<store> store_;
};

}  // namespace syn::archive
