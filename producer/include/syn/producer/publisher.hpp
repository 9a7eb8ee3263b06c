#pragma once
/// The publisher: split issues in, Kafka records out, every issue whole inside one transaction.
///
/// For each issue it sends the articles whose (id, content_sha256) the topic does not hold yet to
/// the articles topic and then the manifest to the (compacted) issues topic, all in ONE Kafka
/// transaction, all to the partition `partition_for(issue id)`, so a read_committed subscriber
/// sees a whole issue or nothing of it, in order. Issues that are ready together share that
/// transaction (group commit, up to `max_issues_per_transaction`): a transaction never holds part
/// of an issue, so the guarantee is unchanged; a failed group is retried issue by issue. What was published
/// before is read back from the issues topic itself (the latest manifest per issue id), which works after a
/// restart and from several producer hosts; see docs/TOPICS.md.
///
/// Thread-safety: one thread at a time (the HTTP trigger serialises through a queue).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/producer/encode.hpp"
#include "syn/producer/splitter.hpp"

namespace syn::producer {

/// Where a set of records landed: `topic[partition]@first..last`.
struct offset_range {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t first = -1;
  std::int64_t last = -1;
};

/// What happened to one issue.
struct publish_outcome {
  enum class status {
    published,  ///< committed: new issue, or a correction (changed articles as new revisions)
    unchanged,  ///< the topic already holds these very articles: nothing sent
    failed,     ///< not committed: nothing of it is visible to read_committed consumers
  };
  status state = status::failed;
  std::string issue_id;
  std::string source_name;
  std::vector<std::string> article_ids;  ///< every article of the issue, in order
  std::size_t articles_sent = 0;         ///< new or changed articles in the transaction
  std::size_t revisions = 0;             ///< of those, articles that existed with another hash
  std::vector<offset_range> ranges;      ///< where the sent records landed
  std::string error;                     ///< why it failed (state == failed)
  /// state == failed because the publisher is unusable (fenced by another instance with the same
  /// transactional.id, or another fatal Kafka error): nothing more will succeed through it.
  bool fatal = false;
  /// state == failed for a reason that no retry can cure (a record larger than Kafka accepts).
  bool permanent = false;
};

std::string_view to_string(publish_outcome::status s) noexcept;

struct publisher_options {
  /// `transactional.id` = `<kafka.transactional_id_prefix>-<instance>`. Two live publishers must
  /// not share it (the newer fences the older); a restarted one should reuse it, so that its
  /// init aborts whatever transaction the previous incarnation left open.
  std::string instance = "cli";
  /// Publish even when the topic already holds the same articles.
  bool force = false;
  /// At most this many issues in one transaction (`producer.max_issues_per_transaction`).
  std::size_t max_issues_per_transaction = 100;
};

/// Publishes split issues. Owns a transactional producer and a reader of the issues topic.
class publisher {
 public:
  /// Connects and initialises transactions (fencing an older instance with the same id).
  /// \throws std::runtime_error with one clear line if the broker cannot be reached in time.
  publisher(const config::kafka_config& kafka, publisher_options options);
  ~publisher();
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  /// Publishes one issue in one transaction (abortable errors: the transaction is retried).
  /// Never throws for Kafka errors: they come back as `status::failed`.
  publish_outcome publish(const split_result& issue);

  /// Publishes `issues` in order, up to `max_issues_per_transaction` of them per transaction;
  /// returns one outcome per issue, in the same order. An issue the topic already holds with the
  /// same hashes, or that appears earlier in the same call with the same hashes, is `unchanged`;
  /// a later copy with other hashes is a correction of the earlier one. If a group's transaction
  /// fails (after the retries of abortable errors), nothing of it is visible and each of its
  /// issues is published again in a transaction of its own, so one bad issue fails alone.
  /// `encoded`: empty, or `encode_issue()` of each issue, in the same order (encoded beforehand,
  /// on other threads, so that this one only sends; the issues' `manifest.source` may then be
  /// empty: the encoding holds it).
  std::vector<publish_outcome> publish(std::span<const split_result* const> issues,
                                       std::span<const encoded_issue* const> encoded = {});

  /// The latest manifest of `issue_id` on the issues topic, if any (read_committed), without its
  /// `source` and `warnings` (the publisher keeps one per issue of the topic, and not those).
  std::optional<syndication::v1::IssueManifest> latest_manifest(const std::string& issue_id);

 private:
  /// One transaction for `issues`; fills `out`. False if the transaction failed, not fatally
  /// (nothing of it is committed), so the caller may try its issues one by one.
  bool publish_group(std::span<const split_result* const> issues,
                     std::span<const encoded_issue* const> encoded, std::span<publish_outcome> out);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::producer
