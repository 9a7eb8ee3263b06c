#include "syn/translation/article_builder.hpp"

#include <set>
#include <utility>

#include "syn/contract/content_hash.hpp"
#include "syn/translation/engine.hpp"
#include "syn/translation/job_builder.hpp"
#include "text.hpp"

namespace syn::translation {

using syndication::v1::Article;
using syndication::v1::TranslationJob;

std::string translated_article_id(std::string_view source_id, std::string_view language) {
  std::string id;
  id.reserve(source_id.size() + 1 + language.size());
  id.append(source_id).append(".").append(language);
  return id;
}

result<Article> build_translated_article(const Article& source, const TranslationJob& job,
                                         std::span<const std::string> translated,
                                         std::chrono::system_clock::time_point translated_at) {
  const std::string where = "job " + job.job_id() + ": ";
  if (job.source_id() != source.id()) {
    return error(errc::invalid_job, where + "made for article " + job.source_id() + ", not " + source.id());
  }
  if (job.source_sha256() != source.content_sha256()) {
    return error(errc::stale_source, where + "made for revision " + job.source_sha256().substr(0, 12) +
                                         " of " + source.id() + ", which is now " +
                                         source.content_sha256().substr(0, 12));
  }
  if (job.target_language().empty()) return error(errc::invalid_job, where + "no target language");
  if (translated.size() != static_cast<std::size_t>(job.segments_size())) {
    return error(errc::invalid_job, where + std::to_string(job.segments_size()) + " segments but " +
                                        std::to_string(translated.size()) + " translations");
  }

  Article out = source;
  std::set<std::string> seen;
  for (int i = 0; i < job.segments_size(); ++i) {
    const auto& seg = job.segments(i);
    const auto path = parse_segment_path(seg.path());
    if (!path) return error(errc::invalid_job, where + "unknown segment path \"" + seg.path() + "\"");
    if (!seen.insert(seg.path()).second)
      return error(errc::invalid_job, where + "segment " + seg.path() + " repeated");
    std::string* slot = nullptr;
    const std::string* original = nullptr;
    switch (path->kind) {
      case segment_path::kicker:
        slot = out.mutable_kicker();
        original = &source.kicker();
        break;
      case segment_path::headline:
        slot = out.mutable_headline();
        original = &source.headline();
        break;
      case segment_path::subheadline:
        slot = out.mutable_subheadline();
        original = &source.subheadline();
        break;
      case segment_path::block:
        if (path->index < static_cast<std::size_t>(source.blocks_size())) {
          slot = out.mutable_blocks(static_cast<int>(path->index))->mutable_text();
          original = &source.blocks(static_cast<int>(path->index)).text();
        }
        break;
      case segment_path::photo_caption:
        if (path->index < static_cast<std::size_t>(source.photos_size())) {
          slot = out.mutable_photos(static_cast<int>(path->index))->mutable_caption();
          original = &source.photos(static_cast<int>(path->index)).caption();
        }
        break;
    }
    if (slot == nullptr)
      return error(errc::invalid_job, where + "segment " + seg.path() + " is out of range");
    if (*original != seg.text()) {
      return error(errc::invalid_job, where + "segment " + seg.path() + " differs from the article's text");
    }
    *slot = translated[static_cast<std::size_t>(i)];
  }

  out.set_id(translated_article_id(source.id(), job.target_language()));
  out.set_language(job.target_language());
  out.set_translation_of(source.id());
  out.set_translation_of_sha256(source.content_sha256());
  out.clear_published_at();
  detail::set_timestamp(*out.mutable_published_at(), translated_at);
  out.set_content_sha256(contract::content_sha256(out));
  return out;
}

result<void> convert_printed_fields(syndication::v1::Article& article, translation_engine& engine) {
  std::vector<std::string*> fields;
  for (auto& c : *article.mutable_contributors()) fields.push_back(c.mutable_name());
  fields.push_back(article.mutable_dateline());
  for (auto& p : *article.mutable_photos()) fields.push_back(p.mutable_credit());
  syndication::v1::TranslationJob job;
  job.set_job_id(article.id() + " (printed fields)");
  job.set_source_language(std::string(source_language));
  job.set_target_language(article.language());
  for (const auto* f : fields) {
    auto* seg = job.add_segments();
    seg->set_text(*f);
    seg->set_chars(static_cast<std::uint32_t>(code_points(*f)));
  }
  auto converted = engine.translate(job);
  if (!converted) return converted.error();
  if (converted.value().size() != fields.size()) {
    return error(errc::invalid_job, article.id() + ": the engine returned " +
                                        std::to_string(converted.value().size()) + " texts for " +
                                        std::to_string(fields.size()) + " printed fields");
  }
  for (std::size_t i = 0; i < fields.size(); ++i) *fields[i] = std::move(converted.value()[i]);
  article.set_content_sha256(contract::content_sha256(article));
  return success();
}

}  // namespace syn::translation
