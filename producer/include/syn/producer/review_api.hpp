#pragma once
/// The trigger's review endpoints (docs/RUNBOOK.md, "Held issues"), for `serve trigger` and a
/// later web console. Same bearer token, body limit and `{"error": ...}` style as /v1/issues:
///
///   GET  /v1/review                 held issues, oldest first: `{"held": [summary...]}`
///   GET  /v1/review/{id}            one issue: summary, warnings, articles (doubtful marked);
///                                   a decided one: its record (state released / rejected)
///   POST /v1/review/{id}/release    body: empty, or a correction file (YAML or JSON, max body
///                                   limit); 202 `{"status": "releasing"}`, then published once
///                                   (GET /v1/issues/{id}); 400 bad corrections (error, line,
///                                   field); 409 rejected, or being decided elsewhere
///   POST /v1/review/{id}/reject     body: empty or `{"reason": "..."}`; 200
///
/// Thread-safety: every member may be called from any thread.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syn/core/http_server.hpp"
#include "syn/producer/publisher.hpp"
#include "syn/producer/review.hpp"

namespace syn::producer {

class review_api {
 public:
  /// Queues a released issue for publication; the claim is held until `finished()`.
  using enqueue_fn =
      std::function<void(split_result issue, std::shared_ptr<review_store::claim> claim, held_issue held)>;

  /// `min_confidence`: the hold threshold; articles below it are marked doubtful.
  review_api(std::filesystem::path dir, std::vector<known_paper> papers, double min_confidence,
             enqueue_fn enqueue);

  /// Whether `path` is one of these endpoints' (`/v1/review`, `/v1/review/...`).
  [[nodiscard]] static bool owns(std::string_view path) noexcept;
  /// What can be refused from the head alone (404 for a path no id fits, 405 for a wrong method).
  [[nodiscard]] static std::optional<http::response> check_head(const http::request& head);
  /// Answers a request (the token already checked).
  http::response handle(const http::request& req);

  /// Holds `h` durably (before the caller acknowledges it).
  void hold(const held_issue& h);
  /// The worker's end of a release: recorded as released, or back to held with the error.
  void finished(const review_store::claim& claim, held_issue held, const publish_outcome& o);
  /// Re-queues the releases a crash interrupted (state `releasing`), at start-up.
  std::size_t resume();
  /// The held issue `id`, if held (for GET /v1/issues/{id}: state "held").
  [[nodiscard]] std::optional<held_issue> held(const std::string& id) const;

 private:
  http::response release(const std::string& id, const http::request& req);
  http::response reject(const std::string& id, const http::request& req);
  std::optional<split_result> resplit(const held_issue& h) const;

  review_store store_;
  std::vector<known_paper> papers_;
  double min_confidence_;
  enqueue_fn enqueue_;
};

}  // namespace syn::producer
