#pragma once
/// Machine translation over a LibreTranslate-compatible HTTP API.
///
/// Request: `POST {url}` with JSON `{"q": [texts...], "source": s, "target": t, "format": "text",
/// "api_key": k}` (`api_key` only when configured). Answer: `{"translatedText": [texts...]}` in
/// the same order; errors are `{"error": "..."}` with 400 (bad request, unsupported language,
/// over `char_limit`/`batch_limit`, API key required), 403 (invalid key, banned), 429 (slow
/// down) or 500 (cannot translate).
///
/// A job's segments are packed greedily, in order, into requests of at most
/// `max_chars_per_request` code points and `max_segments_per_request` texts. A segment longer
/// than the character limit is cut after sentence ends (。！？；!?; and line breaks, else at the
/// limit) and its translated pieces are joined again (with a space between two pieces that meet
/// on ASCII letters or digits).
///
/// Each request is bounded by `request_timeout` (and by the job's deadline, whichever is
/// earlier). 429, 5xx, timeouts and connection failures are retried with capped exponential
/// backoff and jitter (`Retry-After` is honoured up to `max_backoff`); once the attempts run out
/// the last error is returned, still retriable, for the runner to retry the whole job later. 400,
/// 403 and other 4xx are permanent at once. A job past its deadline fails with
/// errc::deadline_exceeded without a request, and no backoff sleeps past the deadline.
///
/// Thread-safe: translate() keeps no state between calls besides atomic counters; every request
/// opens its own connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "syn/translation/engine.hpp"

namespace syn::translation {

struct http_engine_options {
  /// The LibreTranslate `/translate` endpoint, http:// or https://.
  std::string url;
  /// Engine code of the target language; empty = the job's target_language.
  std::string target_language;
  /// Engine code of the source language; empty = the job's source_language.
  std::string source_language;
  /// Sent as `api_key` when set (the value, read from the environment by make_engine()).
  std::optional<std::string> api_key;
  std::chrono::milliseconds request_timeout{30000};
  std::size_t max_chars_per_request = 2000;
  std::size_t max_segments_per_request = 32;
  config::retry_config retry{std::chrono::milliseconds{500}, std::chrono::milliseconds{10000}, 2.0, 4, 0.2};
  bool verify_peer = true;
  std::string ca_file;
  /// Waits between retries; empty = std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class http_engine final : public translation_engine {
 public:
  /// Fails with errc::engine_config when `options.url` is not an http(s) URL or a limit is 0.
  [[nodiscard]] static result<std::unique_ptr<http_engine>> create(http_engine_options options);
  ~http_engine() override;

  [[nodiscard]] result<std::vector<std::string>> translate(
      const syndication::v1::TranslationJob& job) override;
  [[nodiscard]] result<std::vector<std::string>> translate_reporting(
      const syndication::v1::TranslationJob& job, failure_info& info) override;
  /// GET `/languages` beside the `/translate` URL (LibreTranslate: `[{"code", "name",
  /// "targets": [...]}]`) and look for the source and target codes this engine sends.
  [[nodiscard]] result<void> check_languages(const std::string& source, const std::string& target) override;
  [[nodiscard]] std::string_view name() const noexcept override { return "http"; }

  /// Counters since construction, for metrics and tests.
  struct counters {
    std::uint64_t requests = 0;  ///< HTTP requests sent (retries included)
    std::uint64_t retries = 0;   ///< requests that were retries
    std::uint64_t failures = 0;  ///< translate() calls that failed
  };
  [[nodiscard]] counters stats() const noexcept;

 private:
  struct impl;
  explicit http_engine(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

/// One request's worth of texts: how a job is cut into requests (exposed for tests).
struct request_plan {
  /// Texts sent in this request.
  std::vector<std::string> texts;
  /// For each text, the segment it belongs to (pieces of one segment are consecutive).
  std::vector<std::size_t> segment_of;
};

/// Cuts `segments` into requests under the two limits (see the file comment). Pure.
[[nodiscard]] std::vector<request_plan> plan_requests(const std::vector<std::string>& segments,
                                                      std::size_t max_chars, std::size_t max_texts);

/// Cuts `text` into pieces of at most `max_chars` code points, preferably after sentence ends.
[[nodiscard]] std::vector<std::string> split_long_text(std::string_view text, std::size_t max_chars);

/// Joins translated pieces of one segment (a space where two pieces meet on ASCII alphanumerics
/// or ASCII punctuation followed by an ASCII alphanumeric).
[[nodiscard]] std::string join_pieces(const std::vector<std::string>& pieces);

/// delay(n) = min(max_backoff, initial_backoff * multiplier^n), then scaled by a factor drawn
/// uniformly from [1 - jitter, 1 + jitter] (`unit` in [0, 1] picks it), as config.hpp's
/// retry_config defines it. `n` = 0 for the delay before the first retry.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const config::retry_config& retry, int n,
                                                      double unit) noexcept;

}  // namespace syn::translation
