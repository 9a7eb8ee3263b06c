#pragma once
/// `syndicate dlq list|show|redrive`: the dead-letter topic (DeadLetter records, see
/// proto/syndication/v1/dead_letter.proto).
///
/// Redrive sends a dead letter's original record (key, value, headers) back to its original
/// topic with a `redriven-from: <dead letter id>` header. It is safe to repeat: every sink is
/// idempotent on (article id, content hash), so a record redriven twice is taken once.
///
/// The topic is append-only and keeps every letter as the audit trail; each letter has a state.
/// Once redrive has delivered a letter, it appends a DeadLetterResolution (same key as the
/// letter, `schema: syndication.v1.DeadLetterResolution`): a letter whose latest occurrence is
/// followed by a resolution is *redriven*, else *pending*. `list` shows pending letters unless
/// `--all`; `redrive` skips redriven ones unless `--again`.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "syn/ops/common.hpp"
#include "syndication/v1/dead_letter.pb.h"

namespace syn::ops {

/// Header added to a redriven record: the id of the dead letter it came from.
inline constexpr std::string_view redriven_from_header = "redriven-from";

/// One dead letter with where it sits in the dead-letter topic.
struct dlq_entry {
  syndication::v1::DeadLetter letter;
  std::string dlq_topic;
  std::int32_t dlq_partition = 0;
  std::int64_t dlq_offset = 0;
  /// The DLQ record's value did not decode as a DeadLetter (it is listed, not redriven).
  bool undecodable = false;
  /// Set when a resolution follows this letter in the dead-letter topic: it was redriven.
  std::optional<syndication::v1::DeadLetterResolution> resolution;
  [[nodiscard]] bool resolved() const noexcept { return resolution.has_value(); }
};

/// A DeadLetterResolution record with where it sits in the dead-letter topic.
struct dlq_resolution {
  syndication::v1::DeadLetterResolution resolution;
  std::int32_t dlq_partition = 0;
  std::int64_t dlq_offset = 0;
};

/// The `schema` header value of dead letters and of resolutions.
[[nodiscard]] const std::string& dead_letter_schema();
[[nodiscard]] const std::string& resolution_schema();

/// Sets `resolution` on each entry followed by a resolution of its id: later in the same DLQ
/// partition (the same key puts them there), or, in another partition (the topic was
/// repartitioned), resolved at or after the letter's last failure. The latest such one wins.
void apply_resolutions(std::vector<dlq_entry>& entries, const std::vector<dlq_resolution>& resolutions);

/// `pending` or `redriven`.
[[nodiscard]] std::string_view state_name(const dlq_entry& e) noexcept;

struct dlq_filter {
  std::vector<std::string> ids;
  std::vector<std::string> groups;
  /// Reason enum values (parsed from names such as `DECODE_FAILED`, any case).
  std::vector<syndication::v1::DeadLetter::Reason> reasons;
  /// Original topics.
  std::vector<std::string> topics;
  /// Searched (std::regex_search, ECMAScript) in `REASON: error`.
  std::optional<std::regex> reason_pattern;
  /// Every non-empty criterion must hold (AND); within one, any value (OR).
  [[nodiscard]] bool matches(const dlq_entry& e) const;
};

/// `decode_failed`, `DECODE_FAILED` -> DECODE_FAILED; nullopt for an unknown name.
[[nodiscard]] std::optional<syndication::v1::DeadLetter::Reason> parse_reason(std::string_view name);

/// The latest entry per dead letter id, in DLQ order of their last occurrence (a consumer that
/// crashed before committing may dead-letter the same record twice).
[[nodiscard]] std::vector<dlq_entry> latest_per_id(std::vector<dlq_entry> entries);

/// The list table: ID, STATE (pending / `redriven <time>`), REASON, GROUP, ORIGIN (topic/partition/offset),
/// ATTEMPTS, LAST FAILURE, ERROR (truncated to `error_width` cells, after a `[value truncated]` mark when the
/// dead letter keeps only the head of the value).
[[nodiscard]] std::string render_dlq_list(const std::vector<dlq_entry>& entries,
                                          std::size_t error_width = 60);
[[nodiscard]] nlohmann::ordered_json dlq_entry_json(const dlq_entry& e);

/// Every field of one dead letter; the original value decoded (as JSON) when its `schema`
/// header names a message syndicate knows (Article, IssueManifest, TranslationJob), else
/// the head of a hex dump (always for a truncated value, with the original size).
[[nodiscard]] std::string render_dlq_show(const dlq_entry& e);
[[nodiscard]] nlohmann::ordered_json dlq_show_json(const dlq_entry& e);

/// The dead letter keeps only the head of the original value (`original_value_size` is set: the
/// record was too large to fit in a dead letter whole).
[[nodiscard]] bool value_truncated(const syndication::v1::DeadLetter& d) noexcept;

/// Why redrive refuses this dead letter, or empty. A truncated value is refused: sending the cut
/// bytes would publish a broken record (the cause must be fixed at the source and republished).
[[nodiscard]] std::string redrive_refusal(const syndication::v1::DeadLetter& d);

/// What redrive sends for one dead letter.
struct redrive_record {
  std::string topic;
  std::string key;
  std::string value;
  /// The original headers in order, an older `redriven-from` replaced by this dead letter's id.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The original `issue-id` header, if any: the record goes to partition_for(issue id), where
  /// the publisher puts the records; else the key is hashed.
  std::optional<std::string> partition_key;
};
[[nodiscard]] redrive_record make_redrive(const syndication::v1::DeadLetter& d);

struct dlq_options {
  common_options common;
  /// Default: kafka.topics.deadletter.name.
  std::string dlq_topic;
  dlq_filter filter;
  /// `--reason` and `--reason-pattern` as given (parsed by the commands).
  std::vector<std::string> reason_names;
  std::string reason_pattern;
  /// show: the dead letter id.
  std::string id;
  /// list: every letter, resolved ones too; redrive: select every letter.
  bool all = false;
  /// redrive: send already redriven letters again too (default: skip them).
  bool again = false;
  bool execute = false;
  std::size_t limit = 0;  ///< list: at most this many (the latest); 0 = all
};

/// The one-line problem with the options of `verb` ("list", "show", "redrive"), or empty. Fills
/// `o.filter` from the names and pattern. Pure.
[[nodiscard]] std::string validate_dlq(const std::string& verb, dlq_options& o);

int run_dlq_list(dlq_options o, std::ostream& out);
int run_dlq_show(dlq_options o, std::ostream& out);
int run_dlq_redrive(dlq_options o, std::ostream& out);

}  // namespace syn::ops
