#pragma once
/// The console's memory of recent issues and where their articles went: issue manifests from the
/// issues topic, delivery receipts from the deliveries topic, held issues from the review dir.
///
/// Bounded: at most `max_issues` issues (the oldest by arrival drop out, with their articles'
/// receipts), at most `max_receipts_per_article` receipts per article, and at most
/// `max_orphan_articles` articles whose issue is not known (yet): a receipt may arrive before its
/// issue's manifest, or be about an issue that already dropped out. Duplicated receipts (at least
/// once: the same receipt_id again) are counted, not stored twice.
///
/// Thread-safety: every member may be called from any thread (one shared mutex).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "syndication/v1/delivery.pb.h"
#include "syndication/v1/issue.pb.h"

namespace syn::console {

/// One receipt as the pages show it.
struct receipt_row {
  std::string receipt_id;
  std::string sink;   ///< archive, feed, translation
  std::string state;  ///< stored, drafted, ..., dead_lettered
  std::string content_sha256;
  std::string target;  ///< the feed account or the target language; empty for the archive
  std::uint32_t revision = 0;
  std::string media_id, publish_id, url, target_article_id, detail;
  std::int64_t time_ms = 0;
};

/// An issue as the console knows it.
struct issue_entry {
  std::string issue_id;
  std::string paper;  ///< the paper's name (or code)
  std::string issue_date;
  /// published (the manifest is on the issues topic), held (review dir), released, rejected.
  std::string state;
  std::int32_t partition = -1;  ///< of the manifest on the issues topic
  std::int64_t offset = -1;
  std::int64_t published_ms = 0;
  std::vector<std::string> article_ids;
  std::vector<std::string> article_hashes;
  std::size_t warnings = 0;
  double confidence = 0;
  std::uint64_t arrival = 0;  ///< order of arrival in the index (newest = highest)
};

/// An issue with, per article, its receipts.
struct issue_view {
  issue_entry issue;
  std::vector<std::pair<std::string, std::vector<receipt_row>>> articles;
};

/// Per issue, how many of its articles each sink reached (its latest state).
struct issue_summary {
  issue_entry issue;
  /// sink -> state -> articles in that state.
  std::map<std::string, std::map<std::string, std::size_t>> by_sink;
};

struct index_limits {
  std::size_t max_issues = 10000;
  std::size_t max_receipts_per_article = 64;
  std::size_t max_orphan_articles = 10000;
};

struct index_counters {
  std::size_t issues = 0;
  std::size_t articles = 0;
  std::size_t orphan_articles = 0;
  std::uint64_t receipts_read = 0;       ///< raw: every receipt record taken
  std::uint64_t receipts_duplicate = 0;  ///< of them, a receipt_id already held
  std::uint64_t issues_dropped = 0;      ///< dropped by the cap
};

class index {
 public:
  explicit index(index_limits limits = {});

  /// A manifest read at (partition, offset) of the issues topic: the issue is published. A newer
  /// manifest of the same issue (a correction) replaces the older one.
  void add_manifest(const syndication::v1::IssueManifest& m, std::int32_t partition, std::int64_t offset);
  /// An issue known from the review dir (held, released or rejected), unless it is published.
  void add_review(const std::string& issue_id, const std::string& state, double confidence,
                  std::size_t warnings, const std::string& paper, const std::string& date);
  void add_receipt(const syndication::v1::DeliveryReceipt& r);

  /// The newest issues first, from `skip`, at most `n`, each with its per-sink counts.
  [[nodiscard]] std::vector<issue_summary> latest(std::size_t skip, std::size_t n) const;
  [[nodiscard]] std::optional<issue_view> issue(const std::string& issue_id) const;
  /// The article's receipts, oldest first (also for articles whose issue is unknown).
  [[nodiscard]] std::vector<receipt_row> receipts(const std::string& article_id) const;
  [[nodiscard]] index_counters counters() const;

 private:
  struct article_state {
    std::string issue_id;  ///< empty: orphan
    std::vector<receipt_row> receipts;
  };
  void drop_oldest_locked();
  void attach_locked(const issue_entry& e);
  void add_orphan_locked(const std::string& article_id);

  index_limits limits_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, issue_entry> issues_;
  std::map<std::uint64_t, std::string> by_arrival_;  ///< arrival -> issue id
  std::unordered_map<std::string, article_state> articles_;
  std::deque<std::string> orphans_;  ///< orphan article ids, oldest first (may hold stale ids)
  std::size_t orphan_count_ = 0;
  std::uint64_t next_arrival_ = 0;
  index_counters counters_;
};

}  // namespace syn::console
