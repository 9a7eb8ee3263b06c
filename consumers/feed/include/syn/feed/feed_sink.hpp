#pragma once
/// The feed sink: routes articles to the configured accounts, composes WeChat drafts per
/// (issue, account), pushes them (draft/add, then freepublish/submit), records every push in the
/// state database, and stores each article's page for the feed server (`syndicate serve feeds`).
///
/// Plugs into core's consumer runner through syn::sink::sink (see sink.hpp for the contract).
///
/// Idempotence: a record is pushed to an account once per (account, article id, content sha256);
/// replays and restarts skip what the state db holds, a corrected article (new hash) is pushed
/// again as a revision. A draft added but not yet submitted is submitted on the next attempt,
/// never added twice; a draft/add whose outcome is unknown (timeout after sending) is looked up
/// with draft/batchget before being added again.
///
/// Daily quotas: a 45009 answer pauses that account's calls of that API until the quota resets
/// (config feed.quota_reset_utc_minute) or an operator resets it (`syndicate feed quota reset`);
/// its records wait durably in the state db (held groups, drafts added and not submitted) and
/// the batch goes on: nothing is dead-lettered, the other accounts are not delayed. The ledger
/// decides what is posted: a draft added, submitted, published, rejected or deleted is never added
/// or submitted again by a replay; drafts added and not submitted are submitted once each by the
/// resume pass (each batch, and the sink's tick).
///
/// Verdicts: a transient failure (WeChat rate limit 45011, system busy, HTTP 5xx,
/// timeouts) stops the batch with verdict::transient (what was pushed before it is recorded, so
/// the retry goes on from there); a permanent failure of one (issue, account) group rejects that
/// group's records with the errcode and errmsg and the batch goes on. Records that are not
/// articles (manifests, translation jobs) are taken as they are. Never throws.
///
/// Thread-safety: write() is called by one thread (the runner's); inside it, up to
/// `parallel_groups` threads push different (issue, account) groups. A timer thread of the sink
/// (every `hold_grace` / 2, at least 100 ms) pushes held issues after `hold_grace` and resumes
/// accounts whose quota pause ended, serialised with write(); the destructor stops it and pushes
/// what is still held (bounded by `call_retry_budget` per call).
/// The state db may be read concurrently by the feed server process.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "syn/core/config.hpp"
#include "syn/core/sink.hpp"
#include "syn/feed/composer.hpp"

namespace syn::blob {
class store;
}

namespace syn::feed {

namespace wechat {
class client;
}

class state_store;

struct feed_sink_options {
  /// SQLite state db (the feed server reads it too), unless state_pg_conninfo is set.
  std::string state_path = "var/feed-state.db";
  /// The state on PostgreSQL (config feed.state.backend: postgres): the libpq conninfo.
  std::string state_pg_conninfo;
  /// Its schema (feed.state.postgres.schema).
  std::string state_pg_schema = "feed";
  /// fsync every commit (SQLite synchronous=FULL); default NORMAL, see state.hpp.
  bool durable = false;
  /// Submit each draft for publication (freepublish/submit); false keeps drafts in the draft box.
  bool publish = true;
  oversize_policy oversize = oversize_policy::truncate;
  bool need_open_comment = false;
  bool only_fans_can_comment = false;
  /// Retries inside one WeChat call; unset: the config's `feed.retry`. The runner retries whole
  /// batches on top of this (consumers.retry), so a call gives up after `call_retry_budget`.
  std::optional<config::retry_config> call_retry;
  std::chrono::milliseconds call_retry_budget{30000};
  /// (issue, account) groups pushed in parallel within one batch (each on its own connection);
  /// the drafts of one group always go in order, lead draft first. 1 = sequential.
  int parallel_groups = 4;
  /// The runner's batch size (consumers.poll_batch_size); 0 turns draft grouping across batches
  /// off. A batch of this size may end inside an issue: the issue of each partition's last
  /// article is then held (in the state db, so offsets can be committed) and pushed together with
  /// the rest of the issue from the next batch, or, if no more of it comes, after `hold_grace`.
  std::size_t batch_size = 0;
  std::chrono::milliseconds hold_grace{2000};
  /// Where the photos' bytes are (config `blobs`, syn::blob::open): body images are uploaded
  /// with media/uploadimg and the lead photo becomes the article's cover (docs/FEED.md
  /// "Photos"). Null: photos are shown as their captions and every article takes the account cover.
  std::shared_ptr<blob::store> blobs;
  /// Replaces the WeChat client (tests); null: one built from the config.
  std::shared_ptr<wechat::client> client;
  /// A held article (its record's offset already committed) that fails permanently cannot be
  /// dead-lettered by the runner: the sink calls this with the article and the reason (`consume
  /// feed` sends it to the dead-letter topic). Unset: logged as an error and counted.
  std::function<void(const syndication::v1::Article&, const std::string&)> dead_letter_held;
};

/// The first daily-quota reset after `now_ms` (ms since the epoch), the platform resetting the
/// quotas at minute `reset_utc_minute` of every UTC day (config feed.quota_reset_utc_minute).
[[nodiscard]] std::int64_t next_quota_reset_ms(std::int64_t now_ms, int reset_utc_minute);
/// The quota day `now_ms` falls in, `YYYY-MM-DD` (with the default reset, the date in China).
[[nodiscard]] std::string quota_day(std::int64_t now_ms, int reset_utc_minute);

class feed_sink final : public sink::sink {
 public:
  /// Opens the state db (creating it) and builds the WeChat client from `cfg` (api_base_url,
  /// request_timeout, server.public_base_url, max_articles_per_draft, accounts).
  /// \throws std::runtime_error if the state db cannot be opened.
  explicit feed_sink(config::feed_config cfg, feed_sink_options options = {});
  ~feed_sink() override;
  feed_sink(const feed_sink&) = delete;
  feed_sink& operator=(const feed_sink&) = delete;

  ::syn::sink::verdict write(std::span<const ::syn::sink::envelope> batch) override;
  /// The tick: submits the drafts waiting in accounts no longer paused by a daily quota, then
  /// pushes the held issues that have waited `hold_grace` (`all`: every held issue; the groups of
  /// a paused account stay held). Called by the sink's own timer thread and on destruction;
  /// serialised with write().
  void flush_held(bool all);
  [[nodiscard]] std::string_view name() const override { return "feed"; }
  /// DRAFTED, SUBMITTED and REJECTED (freepublish/submit refused for good) per article and
  /// account, from the batches and the background pushes since the last call.
  std::vector<syndication::v1::DeliveryReceipt> take_receipts() override;

  /// The state db (tests, the feed server in `syndicate run`).
  [[nodiscard]] state_store& state() noexcept;

  /// Counters since construction.
  struct counters {
    std::uint64_t articles_seen = 0;
    std::uint64_t articles_pushed = 0;   ///< article-to-account pushes (draft entries)
    std::uint64_t articles_skipped = 0;  ///< already pushed with the same hash
    std::uint64_t drafts_added = 0;
    std::uint64_t drafts_submitted = 0;
    std::uint64_t rejected = 0;
    std::uint64_t held_dead_lettered = 0;  ///< held articles that failed permanently (dead_letter_held)
  };
  [[nodiscard]] counters stats() const noexcept;

  /// Per-account counters in Prometheus text format (label `account`):
  /// syndicate_feed_articles_routed_total, syndicate_feed_drafts_created_total,
  /// syndicate_feed_drafts_submitted_total (freepublish/submit accepted),
  /// syndicate_feed_failures_total (records rejected: dead-lettered) and
  /// syndicate_feed_retries_total (transient failures that held the account back).
  /// Thread-safe.
  [[nodiscard]] std::string prometheus_text() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::mutex write_mu_;   ///< write() and the hold timer's flushes
  std::jthread flusher_;  ///< the hold timer (only with batch_size > 0); declared last: stops first
};

}  // namespace syn::feed
