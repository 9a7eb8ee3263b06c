// syn::config: the `translation` section (targets, engines, priorities).

#include <array>

#include "config_checks.hpp"
#include "config_sections.hpp"

namespace syn::config {
namespace detail {

template <>
std::span<const std::pair<translation_engine, std::string_view>> enum_names<translation_engine>() {
  static constexpr std::array<std::pair<translation_engine, std::string_view>, 2> k{
      {{translation_engine::opencc, "opencc"}, {translation_engine::http, "http"}}};
  return k;
}

template <>
std::span<const std::pair<opencc_variant, std::string_view>> enum_names<opencc_variant>() {
  static constexpr std::array<std::pair<opencc_variant, std::string_view>, 4> k{
      {{opencc_variant::s2t, "s2t"},
       {opencc_variant::s2tw, "s2tw"},
       {opencc_variant::s2twp, "s2twp"},
       {opencc_variant::s2hk, "s2hk"}}};
  return k;
}

template <>
const schema<translation_target>& schema_of<translation_target>() {
  static const schema<translation_target> s{
      {
          required(field("language", &translation_target::language, "Language of the translations.",
                         {language_tag()})),
          required(
              field("engine", &translation_target::engine, "opencc (offline, Chinese scripts) or http.")),
          field("opencc", &translation_target::opencc, "OpenCC conversion (engine: opencc)."),
          field("url", &translation_target::url, "LibreTranslate-compatible endpoint (engine: http).",
                {optional_http_url()}),
          field("api_key_env", &translation_target::api_key,
                "Environment variable holding the HTTP engine's API key, if it wants one."),
          field("engine_language", &translation_target::engine_language,
                "Language code the HTTP engine expects; empty = language."),
          field("request_timeout_ms", &translation_target::request_timeout, "Bound on one HTTP engine call.",
                {positive_ms()}),
          field("rules", &translation_target::rules, "Which articles are translated for this target."),
          field("engine_source_language", &translation_target::engine_source_language,
                "Code the HTTP engine expects for zh-Hans (e.g. zh for LibreTranslate before 1.6); empty = "
                "zh-Hans."),
          field("max_chars_per_request", &translation_target::max_chars_per_request,
                "HTTP: most code points in one request (the engine's char_limit).",
                {positive<std::size_t>()}),
          field("max_segments_per_request", &translation_target::max_segments_per_request,
                "HTTP: most texts in one request (the engine's batch_limit).", {positive<std::size_t>()}),
          field("keep_names_as_printed", &translation_target::keep_names_as_printed,
                "OpenCC: names, dateline and photo credits stay as printed instead of converted."),
      },
      {[](const translation_target& t, validator& v, const std::string& path) {
        if (t.engine == translation_engine::http && t.url.empty()) {
          v.error(join_path(path, "url"), "required when engine is http");
        }
        if (t.engine == translation_engine::opencc) {
          if (!t.url.empty()) v.error(join_path(path, "url"), "only used by engine: http");
          if (!t.language.empty() && !t.language.starts_with("zh")) {
            v.error(
                join_path(path, "engine"),
                "OpenCC converts between Chinese scripts only; use engine: http for " + quote(t.language));
          }
        }
      }}};
  return s;
}

template <>
const schema<translation_priorities>& schema_of<translation_priorities>() {
  static const schema<translation_priorities> s{{
      field("default", &translation_priorities::normal, "Priority of a job (0 lowest, 9 highest).",
            {in_range(0, 9)}),
      field("front_page", &translation_priorities::front_page, "Priority of a job for a page-1 article.",
            {in_range(0, 9)}),
  }};
  return s;
}

template <>
const schema<translation_config>& schema_of<translation_config>() {
  static const schema<translation_config> s{
      {
          field("targets", &translation_config::targets, "Languages articles are translated into."),
          field("job_deadline_ms", &translation_config::job_deadline,
                "A job not done by then is dead-lettered instead of retried.", {positive_ms()}),
          field("priorities", &translation_config::priorities, "Which jobs the translator takes first."),
      },
      {[](const translation_config& t, validator& v, const std::string& path) {
        const std::string targets = join_path(path, "targets");
        report_duplicates<translation_target>(
            t.targets, [](const translation_target& x) { return x.language; }, v, targets, "language",
            "target language");
        for (std::size_t i = 0; i < t.targets.size(); ++i) {
          if (t.targets[i].language == kSourceLanguage) {
            v.error(join_path(index_path(targets, i), "language"), "zh-Hans is the source language");
          }
        }
      }}};
  return s;
}

}  // namespace detail

}  // namespace syn::config
