#pragma once
/// The newsroom's publishing trigger: HTTP (`POST /v1/issues`, `GET /v1/issues/{id}`) and a hot
/// folder, two ways into one pipeline: split (synchronously, so bad input is answered at once),
/// then publish on one worker thread (the transactional producer runs one transaction at a time),
/// which takes every queued issue at each turn (up to `max_issues_per_transaction`): group commit.
///
/// Metrics (metrics_text()) are served by `serve trigger` on `observability.metrics.trigger`.
///
/// Thread-safety: handle() may be called from any number of threads at once.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "syn/core/blob_store.hpp"
#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"
#include "syn/producer/publisher.hpp"
#include "syn/producer/splitter.hpp"
#include "syn/producer/spool.hpp"

namespace syn::producer {

struct hot_folder_options {
  bool enabled = false;
  /// Where files arrive, and where they go when published or rejected (created if missing).
  std::filesystem::path incoming = "var/hotfolder/incoming";
  std::filesystem::path done = "var/hotfolder/done";
  std::filesystem::path failed = "var/hotfolder/failed";
  /// Names ending in one of these are still being written and never taken.
  std::vector<std::string> ignore_suffixes{".part"};
  std::chrono::milliseconds poll_interval{1000};
  /// The convention: write `x.txt.part` and rename it to `x.txt`, or write `x.txt` and then an
  /// empty `x.txt.ready` marker; either is taken at the next scan. A bundle (a folder: one
  /// `*.txt`, its images, optional `photos.yaml`) follows the same convention, as a whole. Hidden files and
  /// `*.part` are never taken. As a fallback for writers that follow neither, a file is taken once its size,
  /// mtime and inode have not changed for this long: long enough for a slow writer's pauses.
  std::chrono::milliseconds stable_for{10000};
  /// A larger file is rejected to failed/ without being read.
  std::uintmax_t max_file_bytes = std::uintmax_t{4} << 20U;
  /// Transient failures (Kafka down) are retried after poll_interval, doubling up to this.
  std::chrono::milliseconds retry_max{300000};
};

struct trigger_options {
  /// Bearer token every HTTP request must carry (`Authorization: Bearer <token>`). Empty: no
  /// authentication (the command allows that only on a loopback listen address).
  std::string token;
  hot_folder_options hot_folder;
  std::vector<known_paper> papers = default_papers();
  /// The worker takes every queued issue, up to this many, for one publication (one transaction).
  std::size_t max_issues_per_transaction = 100;
  /// Where HTTP-accepted issues are made durable before the 202 (see spool.hpp); replayed at
  /// construction. Empty: no spool (unit tests only: a 202 is then in memory, and
  /// `Idempotency-Key` is not honoured).
  std::filesystem::path spool_dir;
  /// How long, and how many, `Idempotency-Key`s are remembered.
  std::chrono::seconds idempotency_ttl{86400};
  std::size_t idempotency_max_keys = 100000;
  /// Transient publication failures of spooled issues are retried after this, doubling up to
  /// retry_max (the worker waits; the spool keeps the issues).
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{30000};
  /// Called once, on the worker thread, when the publisher fails fatally (fenced by another
  /// instance with the same transactional.id, ...). From then on the trigger publishes nothing,
  /// answers POST with 503 and is not ready; the command exits non-zero for its supervisor.
  std::function<void(const std::string&)> on_fatal;
  /// Issues whose confidence is below this are held for review instead of published (0: never),
  /// in `review_dir` (empty: no review endpoints, nothing held). See review_api.hpp.
  double min_confidence = 0;
  std::filesystem::path review_dir;
  /// Where the photos of hot-folder bundles go (issue 18; docs/OPERATIONS.md "The hot folder"),
  /// shared and thread-safe; null: a bundle folder is rejected with `blobs_error`.
  std::shared_ptr<blob::store> blobs;
  std::string blobs_error = "no blob store configured";
  config::blobs_config blob_limits;
};

/// Publishes one split issue; returns what happened. Called on the worker thread only.
using publish_fn = std::function<publish_outcome(const split_result&)>;
/// Publishes the issues queued together (publisher::publish of a span): one outcome per issue,
/// in order. Called on the worker thread only.
using publish_group_fn = std::function<std::vector<publish_outcome>(std::span<const split_result* const>)>;
/// Looks up the latest published manifest of an issue id (for GET of an issue this process did
/// not publish). Called on the worker's lock; may be empty.
using lookup_fn = std::function<std::optional<syndication::v1::IssueManifest>(const std::string&)>;

class trigger {
 public:
  /// Starts the publish worker (and the hot-folder scanner if enabled).
  /// \throws std::invalid_argument if the hot folder cannot be created.
  trigger(trigger_options options, publish_group_fn publish, lookup_fn lookup = {});
  /// The same, publishing one issue per call.
  trigger(trigger_options options, publish_fn publish, lookup_fn lookup = {});
  ~trigger();
  trigger(const trigger&) = delete;
  trigger& operator=(const trigger&) = delete;

  /// The HTTP API; give it to http::server.
  http::response handle(const http::request& req);
  /// The API's check of a request's head, before its body is read (http::server's authoriser):
  /// 401 without the bearer token, 404/405 for what no body can make valid, 503 when not
  /// accepting. Nullopt: read the body and call handle().
  std::optional<http::response> authorise(const http::request& head);

  /// One pass over incoming/ (the scanner thread calls this every poll interval; tests call it
  /// directly): every stable file is split and queued before any is waited for, so they are
  /// published together. Returns the number of files moved to done/ or failed/.
  std::size_t scan_hot_folder();

  /// Waits until every queued publication has finished (tests, shutdown), at most `timeout`.
  bool drain(std::chrono::milliseconds timeout);

  /// Prometheus text: HTTP requests by route, method and status; issues by way in and result;
  /// articles produced; publish latency; errors; queue length. Thread-safe.
  [[nodiscard]] std::string metrics_text() const;
  /// False once shutdown has begun or the publisher failed fatally, and while publishing does not
  /// go through: the last publication failed and its spooled issues wait for their retry
  /// or the one in flight has taken longer than `publish_stall` (for /readyz).
  [[nodiscard]] bool ready() const;
  /// A publication in flight longer than this makes the trigger not ready.
  static constexpr std::chrono::seconds publish_stall{10};
  /// Why the publisher failed fatally, if it did.
  [[nodiscard]] std::optional<std::string> fatal_error() const;

 private:
  http::response route_request(const http::request& req);
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Logs the structured line every publication gets: who, what, when, result.
void log_publication(std::string_view via, std::string_view who, const publish_outcome& outcome);

}  // namespace syn::producer
