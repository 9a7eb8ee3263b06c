#pragma once
/// The job builder: which articles are translated into which languages, and the TranslationJob
/// records `consume translation` publishes for them. Pure functions of their arguments (the
/// clock is a parameter); thread-safe.
///
/// Rules (docs/TRANSLATION.md):
/// - Only originals are translated: `translation_of` empty and language `zh-Hans` (an empty
///   language counts as zh-Hans). A translated article never yields a job, so translations of
///   translations (and loops through the translated topic) cannot happen.
/// - One job per configured target whose `rules` match the article (route_matches()).
/// - Segments, in article order: `kicker`, `headline`, `subheadline`, `block/<i>`,
///   `photo/<i>/caption` (i: index into blocks / photos); empty texts are left out. Contributor
///   names, credits and the dateline are kept as printed (see docs/TRANSLATION.md).
/// - `chars` counts Unicode code points; `total_chars` is their sum.
/// - Priority: `priorities.front_page` on page 1, else `priorities.normal`; the lead article
///   (sequence 1) gets one more, capped at 9.
/// - `job_id` = `<source id>.<target language>@<first 12 hex of the source hash>`, so the same
///   revision gives the same id however often it is consumed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/routing.hpp"
#include "syn/translation/error.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/translation.pb.h"

namespace syn::translation {

/// Language of source articles.
inline constexpr std::string_view source_language = "zh-Hans";
/// Highest job priority.
inline constexpr int max_priority = 9;

/// Unicode code points in `utf8` (bytes that start no UTF-8 sequence are not counted, so a
/// malformed string is not over-counted). Equal to Python's len(), which LibreTranslate's
/// character limit uses.
[[nodiscard]] std::uint32_t code_points(std::string_view utf8) noexcept;

/// Whether BCP 47 tag `rule` matches `language` (syn::routing, as the feed matches).
using routing::language_matches;

/// Whether `article` passes a target's `rules`, matched as the feed matches them (syn::routing);
/// an empty `languages` list matches every language.
[[nodiscard]] inline bool route_matches(const syndication::v1::Article& article,
                                        const config::route_rules& rules) {
  return routing::matches(article, rules);
}

/// Whether `article` is an original in the source language (the only kind that is translated).
[[nodiscard]] bool is_translatable(const syndication::v1::Article& article) noexcept;

/// The article's texts to translate, with their paths and code point counts (empty texts left out).
[[nodiscard]] std::vector<syndication::v1::Segment> segments_of(const syndication::v1::Article& article);

/// Priority of jobs for `article` (0-9).
[[nodiscard]] int job_priority(const syndication::v1::Article& article,
                               const config::translation_priorities& p) noexcept;

/// `<source id>.<target language>@<first 12 hex of source_sha256>`.
[[nodiscard]] std::string job_id(std::string_view source_id, std::string_view target_language,
                                 std::string_view source_sha256);

/// The job translating `article` for `target`, built at `now` (created_at; deadline = now +
/// cfg.job_deadline). Does not check routing or translatability: see build_jobs().
[[nodiscard]] syndication::v1::TranslationJob make_job(const syndication::v1::Article& article,
                                                       const config::translation_target& target,
                                                       const config::translation_config& cfg,
                                                       std::chrono::system_clock::time_point now);

/// Every job `article` needs under `cfg`, in target order. Empty for translations, for articles in
/// another language than zh-Hans, for articles without text, and when no target's rules match.
/// Fails with errc::invalid_article (not retriable: dead-letter the record) when an original
/// zh-Hans article has no id or its content_sha256 is not 64 lowercase hex digits.
[[nodiscard]] result<std::vector<syndication::v1::TranslationJob>> build_jobs(
    const syndication::v1::Article& article, const config::translation_config& cfg,
    std::chrono::system_clock::time_point now);

/// Whether `job` has a deadline and it is not after `now`.
[[nodiscard]] bool job_expired(const syndication::v1::TranslationJob& job,
                               std::chrono::system_clock::time_point now) noexcept;

/// The job's deadline, if it has one.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> job_deadline(
    const syndication::v1::TranslationJob& job) noexcept;

/// A parsed segment path.
struct segment_path {
  enum kind_t { kicker, headline, subheadline, block, photo_caption };
  kind_t kind = headline;
  /// Index into blocks or photos (block, photo_caption only).
  std::size_t index = 0;
};

/// Parses `kicker`, `headline`, `subheadline`, `block/<i>`, `photo/<i>/caption` (i: decimal, no
/// sign or leading zeros); nullopt for anything else.
[[nodiscard]] std::optional<segment_path> parse_segment_path(std::string_view path) noexcept;

/// The path's canonical spelling.
[[nodiscard]] std::string to_string(const segment_path& path);

}  // namespace syn::translation
