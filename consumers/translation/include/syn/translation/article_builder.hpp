#pragma once
/// The translated article: the source Article with its texts replaced by their translations. Pure
/// functions; thread-safe.
///
/// The result is a copy of the source with:
/// - `id` = `<source id>.<target language>` (deterministic: the same source revision and language
///   always give the same id, so sinks stay idempotent on (id, content hash));
/// - `language` = the job's target language; `translation_of` = source id;
///   `translation_of_sha256` = source content hash;
/// - each job segment's translation put back at its path (`kicker`, `headline`, `subheadline`,
///   `block/<i>`, `photo/<i>/caption`);
/// - `content_sha256` recomputed over the translated content with the contract's normalisation
///   (syn::contract::content_sha256), so it changes whenever the translated text does;
/// - `published_at` = the time of translation.
/// Everything else (issue_id, paper, issue_date, page, sequence, contributors, dateline and its
/// flag, block kinds, photo credits and positions, jump pages) is the source's.

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "syn/translation/error.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/translation.pb.h"

namespace syn::translation {

/// `<source id>.<language>`.
[[nodiscard]] std::string translated_article_id(std::string_view source_id, std::string_view language);

/// Builds the translation of `source` described by `job` from `translated` (one text per
/// job.segments(), in order, as translation_engine::translate() returns them). Fails, never
/// retriable, with:
/// - errc::stale_source when job.source_sha256 is not source.content_sha256 (the article changed
///   since the job was made; the newer revision has its own job);
/// - errc::invalid_job when job.source_id is not source.id, the counts differ, a path is unknown,
///   out of range or repeated, or a segment's text is not the source's text at its path.
[[nodiscard]] result<syndication::v1::Article> build_translated_article(
    const syndication::v1::Article& source, const syndication::v1::TranslationJob& job,
    std::span<const std::string> translated, std::chrono::system_clock::time_point translated_at);

class translation_engine;

/// Script conversion of what a translation keeps as printed (issue 19): contributors' names, the
/// dateline and photo credits of `article` go through `engine` (an OpenCC conversion, so
/// `刘茜` -> `劉茜`, `本报讯` -> `本報訊`), and the content hash is recomputed. For engines that
/// convert scripts only; names must not be machine-translated. Errors are the engine's.
[[nodiscard]] result<void> convert_printed_fields(syndication::v1::Article& article,
                                                  translation_engine& engine);

}  // namespace syn::translation
