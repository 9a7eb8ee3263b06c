#pragma once
/// Delivery receipts (news.deliveries.v1, docs/TOPICS.md): what a sink did with an article
/// revision, written by every sink through this module.
///
/// Two ways onto the topic:
/// - transactional sinks (`consume translation`, `translate`) return as_output(receipt) among
///   the outputs of their transform: the receipt commits with the records and offsets (exactly
///   once under read_committed);
/// - the runner's sinks (archive, feed) hand receipts to the runner through
///   sink::take_receipts(); the runner produces them and waits for their delivery before it
///   commits the batch's offsets (at least once: a replay writes the same receipt_id again).
///
/// receipt_id is deterministic (`<sink>:<state>:<article id>:<content_sha256>[:<qualifier>]`,
/// the qualifier being the feed account or the target language), so a subscriber dedupes by it.
/// No receipts at all when `kafka.topics.deliveries.name` is empty.

#include <string>
#include <string_view>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/transform.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/delivery.pb.h"

namespace syn::receipts {

using receipt = syndication::v1::DeliveryReceipt;

/// A receipt about `article` (its id, issue id and content hash), stamped now, with its id set
/// (call seal() again after changing account or target_language).
[[nodiscard]] receipt make(receipt::Sink sink, receipt::State state, const syndication::v1::Article& article,
                           std::string_view group);
/// The same from the article's coordinates (a feed draft knows no more than these).
[[nodiscard]] receipt make(receipt::Sink sink, receipt::State state, std::string_view article_id,
                           std::string_view issue_id, std::string_view content_sha256,
                           std::string_view group);

/// Sets receipt_id from the receipt's fields (see above).
void seal(receipt& r);

/// DEAD_LETTERED by `sink` for a consumed record, if it is an Article (decoded from its value);
/// false for anything else (a manifest, undecodable bytes): receipts are about articles.
[[nodiscard]] bool dead_lettered(const kafka::message& m, receipt::Sink sink, std::string_view group,
                                 std::string_view why, receipt& out);

/// The sink of a runner sink's name (`archive`, `feed`, `translation`); SINK_UNSPECIFIED else.
[[nodiscard]] receipt::Sink sink_of(std::string_view sink_name) noexcept;

/// Whether receipts are written under `kafka` (kafka.topics.deliveries named).
[[nodiscard]] inline bool enabled(const config::kafka_config& kafka) noexcept {
  return !kafka.topics.deliveries.name.empty();
}

/// Whether the deliveries topic exists (asked once, all-topics metadata, by `d`). A topic that
/// does not exist is logged as an error; a check that cannot be made counts as "exists" (the
/// sends then fail and are retried like any other). The runner and the transactional loops ask
/// at start and write no receipts without the topic: a missing audit topic must not stop the
/// pipeline (`syndicate topics create` creates it).
[[nodiscard]] bool topic_exists(const config::kafka_config& kafka, kafka::deadline d);

/// `r` as a record on the deliveries topic (key: article id; the contract's headers), for a
/// transactional sink's outputs. Seals it first.
[[nodiscard]] transform::output as_output(const config::kafka_config& kafka, receipt r);

/// Appends as_output(r) to `outputs` when receipts are enabled under `kafka`.
void add_to(std::vector<transform::output>& outputs, const config::kafka_config& kafka, receipt r);

/// Lowercase names for ids, logs and pages: `archive`, `stored`, `dead_lettered`...
[[nodiscard]] std::string sink_name(receipt::Sink s);
[[nodiscard]] std::string state_name(receipt::State s);

}  // namespace syn::receipts
