#pragma once
/// The message contract's names, written once: the `schema` header values (fully qualified
/// message names, DESIGN.md "Kafka record conventions") and the role of each topic with the
/// schemas its records carry. Topic names and partition counts come from config (kafka.topics);
/// what a topic holds is fixed here.

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

namespace syn::contract {

/// `schema` header values. contract_test checks each against its message's descriptor.
namespace schema {
inline constexpr std::string_view article = "syndication.v1.Article";
inline constexpr std::string_view issue_manifest = "syndication.v1.IssueManifest";
inline constexpr std::string_view translation_job = "syndication.v1.TranslationJob";
inline constexpr std::string_view dead_letter = "syndication.v1.DeadLetter";
inline constexpr std::string_view dead_letter_resolution = "syndication.v1.DeadLetterResolution";
inline constexpr std::string_view delivery_receipt = "syndication.v1.DeliveryReceipt";
}  // namespace schema

/// What a topic is for (its name is config: kafka.topics.<role>).
enum class topic_role {
  issues,            ///< IssueManifest, one per issue (compacted)
  articles,          ///< Article, the splitter's originals
  translation_jobs,  ///< TranslationJob
  translated,        ///< Article, translations (language != zh-Hans)
  deadletter,        ///< DeadLetter, and DeadLetterResolution once redriven
  deliveries,        ///< DeliveryReceipt, what each sink did with each article revision
};

/// The schema of the records on a topic of `role` (for the dead-letter topic: DeadLetter; `dlq
/// redrive` also appends DeadLetterResolution records there).
[[nodiscard]] std::string_view schema_of(topic_role role) noexcept;

/// The schemas a consumer of `roles` takes (the runner dead-letters any other as WRONG_SCHEMA).
[[nodiscard]] std::set<std::string> schemas_of(std::initializer_list<topic_role> roles);

}  // namespace syn::contract
