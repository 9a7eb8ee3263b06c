#pragma once
/// What the archive requires of a record before it stores it. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "syndication/v1/article.pb.h"
#include "syndication/v1/issue.pb.h"

namespace syn::archive {

/// True for 64 lowercase hex digits (the form of every *_sha256 field).
[[nodiscard]] bool is_sha256_hex(std::string_view s) noexcept;

/// True for an ISO 8601 calendar date `YYYY-MM-DD` with a valid month and day.
[[nodiscard]] bool is_iso_date(std::string_view s) noexcept;

/// Why the archive cannot store `a`, or nullopt when it can. Checks: id present (no whitespace or
/// control characters, at most 256 bytes), headline present, content_sha256 well formed,
/// issue_date empty or an ISO date, translation_of and translation_of_sha256 both set (well
/// formed) or both empty, a translation not pointing at itself.
[[nodiscard]] std::optional<std::string> validate(const syndication::v1::Article& a);

/// Why the archive cannot store `m`, or nullopt when it can. Checks: issue_id present,
/// source_sha256 well formed, article_ids and article_hashes of equal length, every id present and
/// every hash well formed, issue_date empty or an ISO date.
[[nodiscard]] std::optional<std::string> validate(const syndication::v1::IssueManifest& m);

}  // namespace syn::archive
