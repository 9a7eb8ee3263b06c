#pragma once
/// Route rules (config::route_rules) matched one way for every component: the feed routes
/// articles to accounts with it, the translation consumer articles to targets.
///
/// Every non-empty list must match (AND across lists); within a list any entry may match (OR).
/// Comparisons:
/// - papers: exact paper code;
/// - kickers: equal after normalise_label() (spaces removed, middle dots unified);
/// - pages: the article's page;
/// - headline_keywords: the normalised keyword is a substring of the normalised headline;
/// - languages: BCP 47, case-insensitive, by whole subtags (`zh` matches `zh-Hans` and `zh-Hant`,
///   `zh-Hans` does not match `zh-Hant`). An article without a language counts as `zh-Hans`. An
///   empty list matches every language, unless the caller gives a default language (a feed
///   account's own language), which then filters instead.
/// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "syn/core/config.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::routing {

/// The characters a label comparison ignores: ASCII whitespace, NBSP, U+2000..U+200B (en quad to
/// zero-width space, thin space U+2009 included), narrow NBSP U+202F, medium mathematical space
/// U+205F, ideographic space U+3000, BOM / zero-width no-break space U+FEFF.
[[nodiscard]] bool is_label_space(char32_t c) noexcept;

/// A kicker, headline or keyword as rules compare it: is_label_space characters removed, the
/// middle-dot look-alikes unified to U+00B7, ASCII lower-cased (utf8::normalise_label).
[[nodiscard]] std::string normalise_label(std::string_view s);

/// Whether `language_rule` (BCP 47 tag or prefix of subtags) matches `language` (empty: zh-Hans).
[[nodiscard]] bool language_matches(std::string_view language_rule, std::string_view language) noexcept;

/// Whether `article` passes `rules`. `default_language`: what an empty `languages` list means
/// (empty: any language).
[[nodiscard]] bool matches(const syndication::v1::Article& article, const config::route_rules& rules,
                           std::string_view default_language = {});

}  // namespace syn::routing
