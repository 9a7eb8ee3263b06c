#pragma once
/// The two translation roles as components, each a step function on core's exactly-once
/// consume-transform-produce loop (syn::transform::run): `consume translation` (articles ->
/// jobs, job_step) and `translate` (jobs -> translated articles, translator). The commands
/// (commands.cpp) and `syndicate run` wire them to the loop; neither has a copy of its own.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "syn/core/config.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/transform.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/translation.pb.h"

namespace syn::translation {

/// `consume translation`: the loop options (group consumers.groups.translation unless
/// `group_id`, the articles topic) without transactional id.
transform::options job_options(const config::root& cfg, const std::string& group_id = {});
/// One original article -> one TranslationJob per matching target (or a dead letter naming
/// `group_id`). `cfg` must outlive the function.
transform::transform_fn job_step(const config::root& cfg, std::string group_id);

struct translator_options {
  /// The consumer group (default consumers.groups.translator); dead letters name it.
  std::string group_id;
  /// SQLite index of jobs already done; empty: none.
  std::string done_store_path;
  /// Ends a done-store catch-up early when set (the role's stop flag). Optional.
  const std::atomic<bool>* stop = nullptr;
};

/// `translate`: one engine and circuit breaker per target, the jobs waiting for another attempt,
/// the done store. Not thread-safe except metrics_text() and the counters.
class translator {
 public:
  /// Builds every target's engine and opens (and catches up) the done store. Throws
  /// std::runtime_error naming the target or store that cannot be used.
  translator(const config::root& cfg, translator_options o);
  translator(const translator&) = delete;
  translator& operator=(const translator&) = delete;
  ~translator();

  /// The loop options of the role (group, jobs topic, batch size, priority, hooks) without
  /// transactional id. The hooks refer to this translator: it must outlive the loop.
  transform::options loop_options(runner::stats* stats);

  /// One job: its translated article, a dead letter, or "not yet" (a retry or an open breaker).
  transform::step step(const kafka::message& m);

  /// Prometheus text of the per-target counters (retries, translated, breakers, waiting jobs).
  [[nodiscard]] std::string metrics_text() const;
  [[nodiscard]] std::uint64_t translated() const;
  [[nodiscard]] std::uint64_t skipped() const;

  /// Called for each translation produced into the open transaction (`syndicate run` traces
  /// them). Optional.
  std::function<void(const syndication::v1::TranslationJob&, const syndication::v1::Article&)> on_translated;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::translation
