#pragma once
/// Which feed accounts an article goes to, by each account's `route_rules` (config.hpp).
///
/// Rules: every non-empty list must match (AND across lists); within a list any entry may match
/// (OR). An empty `languages` list means "the account's own language", so a zh-Hant account
/// receives only zh-Hant articles unless its rules say otherwise. Comparisons:
/// - papers: exact paper code;
/// - kickers: equal after text::normalise_label() (spaces removed, middle dots unified);
/// - pages: the article's page;
/// - headline_keywords: the normalised keyword is a substring of the normalised headline;
/// - languages: BCP 47, case-insensitive, by whole subtags (`zh` matches `zh-Hans` and `zh-Hant`,
///   `zh-Hans` does not match `zh-Hant`). An article without a language counts as `zh-Hans`.
/// Pure functions; thread-safe.

#include "syn/core/config.hpp"
#include "syndication/v1/article.pb.h"

#include <cstddef>
#include <string_view>
#include <vector>

namespace syn::feed {

/// Whether `language_rule` (BCP 47 tag or prefix of subtags) matches `language`.
[[nodiscard]] bool language_matches(std::string_view language_rule, std::string_view language) noexcept;

/// Whether `article` passes `rules` for an account whose own language is `account_language`.
[[nodiscard]] bool matches(const syndication::v1::Article& article, const config::route_rules& rules,
                           std::string_view account_language);

/// Whether `article` goes to `account`.
[[nodiscard]] inline bool routes_to(const syndication::v1::Article& article, const config::feed_account& account) {
  return matches(article, account.rules, account.language);
}

/// Indexes into `accounts` of the accounts `article` goes to, in config order.
[[nodiscard]] std::vector<std::size_t> route(const syndication::v1::Article& article,
                                             const std::vector<config::feed_account>& accounts);

}  // namespace syn::feed
