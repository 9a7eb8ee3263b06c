#pragma once
/// Record headers of the contract (DESIGN.md "Kafka record conventions"): every record the
/// service produces carries `content-type: application/x-protobuf` and `schema: <message name>`;
/// articles, manifests and jobs add `issue-id` and `language`, dead letters `consumer-group`.

#include <array>
#include <string_view>

namespace syn::contract {

/// One record header. Borrowed: the views point into what the caller keeps alive (syn::kafka
/// uses this type for its headers too).
struct header {
  std::string_view name;
  std::string_view value;
};

namespace header_name {
inline constexpr std::string_view content_type = "content-type";
inline constexpr std::string_view schema = "schema";
inline constexpr std::string_view issue_id = "issue-id";
inline constexpr std::string_view language = "language";
inline constexpr std::string_view consumer_group = "consumer-group";
}  // namespace header_name

inline constexpr std::string_view protobuf_content_type = "application/x-protobuf";

/// Headers of a record that belongs to an issue (Article, IssueManifest, TranslationJob):
/// content-type, schema, issue-id, language. The views must outlive the array.
[[nodiscard]] constexpr std::array<header, 4> record_headers(std::string_view schema,
                                                             std::string_view issue_id,
                                                             std::string_view language) noexcept {
  return {{{header_name::content_type, protobuf_content_type},
           {header_name::schema, schema},
           {header_name::issue_id, issue_id},
           {header_name::language, language}}};
}

/// Headers of a record that belongs to no issue (DeadLetterResolution): content-type, schema.
[[nodiscard]] constexpr std::array<header, 2> plain_headers(std::string_view schema) noexcept {
  return {{{header_name::content_type, protobuf_content_type}, {header_name::schema, schema}}};
}

}  // namespace syn::contract
