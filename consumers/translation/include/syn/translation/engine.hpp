#pragma once
/// The one interface every translation engine implements, and the factory that builds an engine
/// from a `translation.targets[]` entry.
///
/// Contract of translate():
/// - On success, exactly one string per `job.segments()`, in the same order: the translation of
///   `segments(i).text` into `job.target_language()`. An empty source text translates to "".
/// - On failure, an `error` whose retriable() says whether the runner should back off and call
///   again (engine down, 5xx, 429, timeout) or dead-letter the job (request rejected, engine
///   misconfigured, deadline passed).
/// - Never throws (std::bad_alloc aside). Engines are not required to be thread-safe: give each
///   worker thread its own engine (see each engine's notes).

#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/translation/error.hpp"
#include "syndication/v1/translation.pb.h"

namespace syn::translation {

/// What a failed call reports besides its error: what the retry schedule and the logs need.
struct failure_info {
  /// HTTP status of the engine's answer; 0 = no answer (connection, timeout) or not an HTTP engine.
  int http_status = 0;
  /// The engine's `Retry-After` (seconds form), when it sent one.
  std::optional<std::chrono::milliseconds> retry_after;
};

class translation_engine {
 public:
  translation_engine() = default;
  virtual ~translation_engine() = default;
  translation_engine(const translation_engine&) = delete;
  translation_engine& operator=(const translation_engine&) = delete;

  /// Translates every segment of `job` (see the contract above).
  [[nodiscard]] virtual result<std::vector<std::string>> translate(
      const syndication::v1::TranslationJob& job) = 0;
  /// translate(), also filling `info` when it fails. The default fills nothing.
  [[nodiscard]] virtual result<std::vector<std::string>> translate_reporting(
      const syndication::v1::TranslationJob& job, failure_info& /*info*/) {
    return translate(job);
  }
  /// Start-up check that the engine translates `source` into `target` (job language codes;
  /// the engine maps them to its own). errc::engine_config: it answered and does not; a
  /// retriable error: it could not be asked (the caller goes on). The default: success.
  [[nodiscard]] virtual result<void> check_languages(const std::string& /*source*/,
                                                     const std::string& /*target*/) {
    return success();
  }
  /// `opencc` or `http`, as in config and TranslationJob.engine.
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  /// Whether translate_batch() does more than call translate() in turn (converts on several
  /// threads): the translator hands such an engine all of a transaction's jobs at once.
  [[nodiscard]] virtual bool translates_batches() const noexcept { return false; }
  /// translate() of each job, in order, one result per job. The default calls translate() in turn.
  [[nodiscard]] virtual std::vector<result<std::vector<std::string>>> translate_batch(
      std::span<const syndication::v1::TranslationJob* const> jobs) {
    std::vector<result<std::vector<std::string>>> out;
    out.reserve(jobs.size());
    for (const auto* job : jobs) out.push_back(translate(*job));
    return out;
  }
};

/// Tuning that is not (yet) in the config file; defaults suit LibreTranslate's public instances.
struct engine_options {
  /// OpenCC: directory holding `<variant>.json` and its dictionaries; empty = OpenCC's built-in
  /// search (the Debian package installs them in /usr/share/opencc).
  std::string opencc_data_dir;
  /// OpenCC: threads (each with its own converter) a batch of jobs is converted on;
  /// 0 = one per core (std::thread::hardware_concurrency), at most 8.
  unsigned opencc_threads = 0;

  /// HTTP: caps on the target's `max_chars_per_request` / `max_segments_per_request` (the
  /// smaller wins; tests use them). A segment longer than the character limit is cut at sentence
  /// ends and put back together after translation.
  std::size_t max_chars_per_request = std::numeric_limits<std::size_t>::max();
  std::size_t max_segments_per_request = std::numeric_limits<std::size_t>::max();
  /// HTTP: retries of one request on 429, 5xx, timeouts and connection failures, inside one
  /// translate() call. Kept short: the runner retries the whole job again (consumers.retry) until
  /// the job's deadline.
  config::retry_config retry{std::chrono::milliseconds{500}, std::chrono::milliseconds{10000}, 2.0, 4, 0.2};
  /// HTTP: engine code of the source language when the target sets none
  /// (`engine_source_language`); empty = the job's source_language (`zh-Hans`).
  std::string engine_source_language;
  /// HTTP (https): verify the server certificate and host name against `ca_file` or the system
  /// trust store.
  bool verify_peer = true;
  std::string ca_file;
  /// HTTP: how to wait between retries; empty = std::this_thread::sleep_for. Tests record delays.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// The engine `target` asks for. The HTTP engine's API key is read from its environment variable
/// now. Fails with errc::engine_config (OpenCC conversion that cannot be opened, HTTP URL that
/// cannot be parsed, `api_key_env` set but the variable unset).
[[nodiscard]] result<std::unique_ptr<translation_engine>> make_engine(
    const config::translation_target& target, const engine_options& options = {});

}  // namespace syn::translation
