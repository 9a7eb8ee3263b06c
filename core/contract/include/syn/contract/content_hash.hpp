#pragma once
/// An article's content hash (`Article.content_sha256`): same content => same hash, whoever
/// computes it (the splitter for originals, the translator for translations), so that every
/// sink can be idempotent on (article id, content hash).

#include <string>

#include "syndication/v1/article.pb.h"

namespace syn::contract {

/// Lowercase hex SHA-256 of the article's content in canonical form: kicker, headline,
/// sub-headline, contributors, dateline, blocks, photos and jump pages, each normalised
/// (normalise_body's spacing rules, full-width ASCII folded to ASCII), so that a re-extraction
/// that only moves column-wrap spaces does not change it. Ids, issue, language and
/// translation_of are not content (format in docs/SPLITTING.md). Thread-safe.
[[nodiscard]] std::string content_sha256(const syndication::v1::Article& article);

}  // namespace syn::contract
