#include "syn/translation/job_builder.hpp"

#include <algorithm>
#include <charconv>

#include "syn/core/utf8.hpp"
#include "text.hpp"

namespace syn::translation {
namespace {

using syndication::v1::Article;
using syndication::v1::Segment;
using syndication::v1::TranslationJob;

bool is_lower_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void add_segment(std::vector<Segment>& out, std::string path, const std::string& text) {
  if (text.empty()) return;
  Segment& s = out.emplace_back();
  s.set_path(std::move(path));
  s.set_text(text);
  s.set_chars(code_points(text));
}

}  // namespace

std::uint32_t code_points(std::string_view utf8) noexcept {
  return static_cast<std::uint32_t>(syn::utf8::count(utf8));
}

bool is_translatable(const Article& a) noexcept {
  if (!a.translation_of().empty() || !a.translation_of_sha256().empty()) return false;
  const std::string_view lang = a.language().empty() ? source_language : std::string_view(a.language());
  return detail::ascii_iequals(lang, source_language);
}

std::vector<Segment> segments_of(const Article& a) {
  std::vector<Segment> out;
  out.reserve(3 + static_cast<std::size_t>(a.blocks_size()) + static_cast<std::size_t>(a.photos_size()));
  add_segment(out, "kicker", a.kicker());
  add_segment(out, "headline", a.headline());
  add_segment(out, "subheadline", a.subheadline());
  for (int i = 0; i < a.blocks_size(); ++i)
    add_segment(out, "block/" + std::to_string(i), a.blocks(i).text());
  for (int i = 0; i < a.photos_size(); ++i) {
    add_segment(out, "photo/" + std::to_string(i) + "/caption", a.photos(i).caption());
  }
  return out;
}

int job_priority(const Article& a, const config::translation_priorities& p) noexcept {
  int priority = a.page() == 1 ? p.front_page : p.normal;
  if (a.sequence() == 1) priority = std::min(priority + 1, max_priority);
  return std::clamp(priority, 0, max_priority);
}

std::string job_id(std::string_view source_id, std::string_view target_language,
                   std::string_view source_sha256) {
  std::string id;
  id.reserve(source_id.size() + target_language.size() + 14);
  id.append(source_id).append(".").append(target_language).append("@").append(source_sha256.substr(0, 12));
  return id;
}

TranslationJob make_job(const Article& a, const config::translation_target& target,
                        const config::translation_config& cfg, std::chrono::system_clock::time_point now) {
  TranslationJob job;
  job.set_job_id(job_id(a.id(), target.language, a.content_sha256()));
  job.set_source_id(a.id());
  job.set_source_sha256(a.content_sha256());
  job.set_source_language(a.language().empty() ? std::string(source_language) : a.language());
  job.set_target_language(target.language);
  std::uint32_t total = 0;
  for (auto& s : segments_of(a)) {
    total += s.chars();
    *job.add_segments() = std::move(s);
  }
  job.set_total_chars(total);
  job.set_priority(job_priority(a, cfg.priorities));
  detail::set_timestamp(*job.mutable_created_at(), now);
  detail::set_timestamp(
      *job.mutable_deadline(),
      now + std::chrono::duration_cast<std::chrono::system_clock::duration>(cfg.job_deadline));
  job.set_issue_id(a.issue_id());
  job.set_engine(std::string(config::to_string(target.engine)));
  return job;
}

result<std::vector<TranslationJob>> build_jobs(const Article& a, const config::translation_config& cfg,
                                               std::chrono::system_clock::time_point now) {
  std::vector<TranslationJob> jobs;
  if (!is_translatable(a)) return jobs;
  if (a.id().empty()) return error(errc::invalid_article, "article without id");
  if (a.content_sha256().size() != 64 || !is_lower_hex(a.content_sha256())) {
    return error(errc::invalid_article,
                 "article " + a.id() + ": content_sha256 is not 64 lowercase hex digits");
  }
  // An article without any text cannot come from the splitter: it is invalid (dead-lettered, as
  // the archive and feed consumers do), not silently skipped.
  if (a.kicker().empty() && a.headline().empty() && a.subheadline().empty() &&
      std::all_of(a.blocks().begin(), a.blocks().end(), [](const auto& b) { return b.text().empty(); }) &&
      std::all_of(a.photos().begin(), a.photos().end(), [](const auto& p) { return p.caption().empty(); })) {
    return error(errc::invalid_article,
                 "article " + a.id() + " has no text (kicker, headline, blocks, captions)");
  }
  for (const auto& target : cfg.targets) {
    if (detail::ascii_iequals(target.language, source_language)) continue;  // config validation forbids it
    if (!route_matches(a, target.rules)) continue;
    jobs.push_back(make_job(a, target, cfg, now));
  }
  return jobs;
}

std::optional<std::chrono::system_clock::time_point> job_deadline(const TranslationJob& job) noexcept {
  if (!job.has_deadline() || (job.deadline().seconds() == 0 && job.deadline().nanos() == 0))
    return std::nullopt;
  return detail::from_timestamp(job.deadline());
}

bool job_expired(const TranslationJob& job, std::chrono::system_clock::time_point now) noexcept {
  const auto d = job_deadline(job);
  return d && *d <= now;
}

std::optional<segment_path> parse_segment_path(std::string_view p) noexcept {
  if (p == "kicker") return segment_path{segment_path::kicker, 0};
  if (p == "headline") return segment_path{segment_path::headline, 0};
  if (p == "subheadline") return segment_path{segment_path::subheadline, 0};
  auto parse_index = [](std::string_view digits) -> std::optional<std::size_t> {
    if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
    std::size_t v = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
    return v;
  };
  if (p.starts_with("block/")) {
    if (auto i = parse_index(p.substr(6))) return segment_path{segment_path::block, *i};
    return std::nullopt;
  }
  if (p.starts_with("photo/") && p.ends_with("/caption") && p.size() > 14) {
    if (auto i = parse_index(p.substr(6, p.size() - 14)))
      return segment_path{segment_path::photo_caption, *i};
  }
  return std::nullopt;
}

std::string to_string(const segment_path& p) {
  switch (p.kind) {
    case segment_path::kicker:
      return "kicker";
    case segment_path::headline:
      return "headline";
    case segment_path::subheadline:
      return "subheadline";
    case segment_path::block:
      return "block/" + std::to_string(p.index);
    case segment_path::photo_caption:
      return "photo/" + std::to_string(p.index) + "/caption";
  }
  return {};
}

}  // namespace syn::translation
