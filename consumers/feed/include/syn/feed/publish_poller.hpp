#pragma once
/// The sparing freepublish/get fallback for drafts whose PUBLISHJOBFINISH event never arrived
/// (callback not configured, unreachable, or lost). Run by `serve feeds` on a timer: it has the
/// state db and the config, runs continuously, and keeps the consumer's message path free of
/// quota-spending calls (`consume feed --until-caught-up` would never be idle long enough).
///
/// A draft `submitted` (or reported `publishing`) and not updated for `after` is polled once;
/// polling marks it (updated_at = now), so each such draft costs one call per `after`. The calls
/// per account and UTC day are capped at `daily_budget` (freepublish/get shares WeChat's daily
/// quota of about 100 calls with nothing else of ours, but the quota is the platform's only
/// protection against a runaway loop: 20 leaves room for manual checks). The count is in memory
/// (a restart of `serve feeds` starts a new count).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "syn/feed/wechat.hpp"

namespace syn::feed {

class state_store;

struct publish_poll_options {
  /// Wait this long after freepublish/submit (or the last poll) for the event before polling.
  std::chrono::seconds after{600};
  /// freepublish/get calls per account and UTC day.
  int daily_budget = 20;
};

class publish_poller {
 public:
  publish_poller(std::shared_ptr<state_store> state, std::shared_ptr<wechat::client> client,
                 std::map<std::string, wechat::credentials> accounts, publish_poll_options options = {});

  /// One pass at `now_s` (unix seconds): polls every due draft of a configured account within its
  /// budget and records a final result (source `poll`); `publishing` only marks the poll.
  /// Returns the freepublish/get calls made.
  int poll_once(std::int64_t now_s);
  /// freepublish/get calls made so far.
  [[nodiscard]] std::uint64_t calls() const;

 private:
  std::shared_ptr<state_store> state_;
  std::shared_ptr<wechat::client> client_;
  std::map<std::string, wechat::credentials> accounts_;
  publish_poll_options options_;
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::int64_t, int>> spent_;  ///< account -> (UTC day, calls)
  std::uint64_t calls_ = 0;
};

}  // namespace syn::feed
