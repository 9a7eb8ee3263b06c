#pragma once
/// Text the archive derives from articles: what search indexes, and search snippets.
/// Pure functions; thread-safe.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "syndication/v1/article.pb.h"

namespace syn::archive {

/// The searchable body of an article besides its headline: kicker, subheadline, dateline, every
/// block and every photo caption, one per line.
[[nodiscard]] std::string search_body(const syndication::v1::Article& a);

/// Splits a query on whitespace (ASCII and U+3000 ideographic space) into terms, dropping empty
/// ones and duplicates, in order.
[[nodiscard]] std::vector<std::string> query_terms(std::string_view query);

/// Length of `s` in Unicode code points (invalid bytes count one each).
[[nodiscard]] std::size_t utf8_length(std::string_view s) noexcept;

/// Marker pair put around every match in a snippet.
inline constexpr std::string_view mark_open = "【";
inline constexpr std::string_view mark_close = "】";

/// A window of about `width` code points of `text` starting a little before the first occurrence
/// of any term (ASCII case-insensitive), with every occurrence inside marked 【…】, line breaks
/// turned into spaces and `…` where text was cut. Empty when no term occurs in `text`.
[[nodiscard]] std::string make_snippet(std::string_view text, std::span<const std::string> terms,
                                       std::size_t width = 80);

}  // namespace syn::archive
