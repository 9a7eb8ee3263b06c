// The splitter's pipeline: decode -> chunk -> masthead -> classify -> repair -> assemble ->
// identity. Each stage lives in src/split/; this file wires them and fills ids and the manifest.
#include "syn/producer/splitter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "split/assemble.hpp"
#include "split/classify.hpp"
#include "split/decode.hpp"
#include "split/masthead.hpp"
#include "split/repair.hpp"
#include "split/text.hpp"
#include "syn/contract/content_hash.hpp"
#include "syn/core/sha256.hpp"

namespace syn::producer {

namespace {

std::string format_what(const std::string& source, std::uint32_t line, const std::string& message) {
  const std::string name = source.empty() ? std::string("<input>") : source;
  if (line == 0) return name + ": " + message;
  return name + ":" + std::to_string(line) + ": " + message;
}

/// Paper codes are lowercase ASCII letters, digits and `-`.
bool valid_code(std::string_view code) noexcept {
  if (code.empty() || code.size() > 32) return false;
  for (const char c : code) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

/// `CN 65-0010` -> `cn65-0010`.
std::string code_from_cn(std::string_view cn) {
  std::string out;
  for (const char c : cn) {
    if ((c >= '0' && c <= '9') || c == '-' || (c >= 'a' && c <= 'z'))
      out.push_back(c);
    else if (c >= 'A' && c <= 'Z')
      out.push_back(static_cast<char>(c - 'A' + 'a'));
  }
  if (!detail::starts_with(out, "cn")) out.insert(0, "cn");
  return out;
}

/// Articles below this confidence get a warning naming the reasons.
constexpr float warn_below = 0.8F;

/// One factor of the confidence model (docs/SPLITTING.md, "Confidence").
struct factor {
  const char* reason;
  float weight;
};

/// How sure the splitter is of one article, and why not more: the product of the factors that
/// apply, rounded to two decimals (so the JSON shows 0.68, not 0.68000001).
float assess(const detail::draft& d, std::vector<std::string>& reasons) {
  const auto& a = d.article;
  std::vector<factor> hit;
  if (a.headline().empty()) hit.push_back({"no headline", 0.3F});
  for (const auto& doubt : d.doubts) {
    if (doubt == detail::doubt::length_headline) hit.push_back({detail::doubt::length_headline, 0.8F});
    if (doubt == detail::doubt::stacked_overline) hit.push_back({detail::doubt::stacked_overline, 0.95F});
    if (doubt == detail::doubt::ends_mid_sentence) hit.push_back({detail::doubt::ends_mid_sentence, 0.8F});
  }
  if (a.contributors_size() == 0 && a.dateline().empty()) {
    hit.push_back({"no byline or dateline: where the article starts is a guess", 0.85F});
  }
  std::size_t text = 0;
  for (const auto& b : a.blocks()) text += detail::visible_length(b.text(), 64);
  const bool photo_news = a.photos_size() > 0 && !a.photos(0).caption().empty();
  if (text < 30 && !photo_news) hit.push_back({"very little text", 0.7F});
  float c = 1.0F;
  for (const auto& f : hit) {
    c *= f.weight;
    reasons.emplace_back(f.reason);
  }
  return static_cast<float>(std::lround(c * 100.0F)) / 100.0F;
}

/// The paper's code: given, read from the masthead (a known paper or the CN number), or made from
/// the printed name. Throws when there is none.
std::string paper_code_for(const split_options& options, const detail::masthead& mh) {
  std::string code = options.paper_code;
  if (code.empty()) code = mh.paper_code;
  if (code.empty() && !mh.cn_number.empty()) code = code_from_cn(mh.cn_number);
  if (code.empty() && !mh.paper_name.empty()) {
    // (push_back and append rather than `"p" + string` or `code = "p"`: g++ 12 -O3 warns falsely
    // on both, -Wrestrict, GCC bug 105329.)
    code.push_back('p');
    code.append(std::string_view(sha256_hex(mh.paper_name)).substr(0, 8));
  }
  if (code.empty()) {
    throw split_error(options.source_name, 0,
                      "cannot tell which paper this is (no known paper name, no CN number in the "
                      "masthead); give the paper code");
  }
  return code;
}

/// Confidence: per article from what the assembler had to guess, for the issue the lowest of
/// them and what the masthead left open. Doubtful articles are named in the warnings. Returns the
/// issue's confidence, rounded to two decimals.
float assess_issue(std::vector<detail::draft>& drafts, const detail::masthead& mh,
                   const std::string& paper_name, std::vector<syndication::v1::SplitWarning>& warnings) {
  float issue_confidence = 1.0F;
  for (auto& d : drafts) {
    std::vector<std::string> reasons;
    const float c = assess(d, reasons);
    d.article.set_confidence(c);
    issue_confidence = std::min(issue_confidence, c);
    if (c < warn_below) {
      std::string reason = "low confidence " + std::to_string(c).substr(0, 4) + ":";
      for (std::size_t i = 0; i < reasons.size(); ++i) reason += (i == 0 ? " " : "; ") + reasons[i];
      syndication::v1::SplitWarning w;
      w.set_line(d.line);
      w.set_reason(reason);
      w.set_text(d.article.headline());
      warnings.push_back(std::move(w));
    }
  }
  if (mh.paper_name.empty() && paper_name.empty()) {
    issue_confidence *= 0.9F;
    syndication::v1::SplitWarning w;
    w.set_reason("low confidence: the masthead names no paper");
    warnings.push_back(std::move(w));
  }
  if (mh.date.empty()) {
    issue_confidence *= 0.9F;
    syndication::v1::SplitWarning w;
    w.set_reason("low confidence: no date in the masthead (given by the caller)");
    warnings.push_back(std::move(w));
  }
  return static_cast<float>(std::lround(issue_confidence * 100.0F)) / 100.0F;
}

std::string two_digits(std::uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02u", n);
  return buf;
}

}  // namespace

split_error::split_error(std::string source, std::uint32_t line, const std::string& message)
    : std::runtime_error(format_what(source, line, message)),
      source_(std::move(source)),
      line_(line),
      message_(message) {}

std::vector<known_paper> default_papers() { return {{"cjrb", "昌吉日报", {"昌吉日报社"}}}; }

split_result split_issue(std::string_view raw_bytes, const split_options& options) {
  using namespace detail;
  const std::string& source = options.source_name;
  if (!options.paper_code.empty() && !valid_code(options.paper_code)) {
    throw split_error(source, 0,
                      "paper code '" + options.paper_code + "' must be lowercase letters, digits and '-'");
  }
  if (!options.issue_date.empty() && !valid_iso_date(options.issue_date)) {
    throw split_error(source, 0, "issue date '" + options.issue_date + "' is not a YYYY-MM-DD calendar date");
  }

  const decoded_input input = decode_input(raw_bytes, source);
  std::vector<chunk> chunks = make_chunks(input.lines);
  const masthead mh = read_masthead(chunks, input.lines, options.papers, source);
  classify_chunks(chunks);

  split_result result;
  auto& manifest = result.manifest;
  std::vector<syndication::v1::SplitWarning> warnings;
  split_bare_credits(chunks);
  pair_captions(chunks);
  drop_garbled(chunks, warnings);
  std::vector<draft> drafts = assemble_articles(chunks, warnings);

  bool recognised = false;
  for (const auto& d : drafts) recognised = recognised || !d.article.headline().empty();
  if (!recognised) {
    throw split_error(source, 0,
                      "no recognisable article (" + std::to_string(input.lines.size()) +
                          " lines read; expected a headline followed by text)");
  }

  std::string date = options.issue_date.empty() ? mh.date : options.issue_date;
  if (date.empty()) {
    throw split_error(source, 0, "no issue date (the masthead prints no YYYY年M月D日); give the date");
  }
  // Identity: paper, date, page.
  const std::string code = paper_code_for(options, mh);
  const std::uint32_t page = options.page != 0 ? options.page : (mh.page != 0 ? mh.page : 1);
  std::string compact_date = date;
  compact_date.erase(7, 1).erase(4, 1);
  const std::string issue_id = code + "-" + compact_date;

  auto* paper = manifest.mutable_paper();
  paper->set_code(code);
  std::string paper_name = mh.paper_name;
  if (!options.paper_code.empty()) {
    for (const auto& p : options.papers) {
      if (p.code == options.paper_code) paper_name = p.name;
    }
  }
  paper->set_name(paper_name);
  paper->set_publisher(mh.publisher);
  paper->set_cn_number(mh.cn_number);
  paper->set_postal_code(mh.postal_code);
  paper->set_website(mh.website);
  paper->set_email(mh.email);
  paper->set_hotline(mh.hotline);
  manifest.set_issue_id(issue_id);
  manifest.set_issue_date(date);
  manifest.set_weekday(mh.weekday);
  manifest.set_lunar_date(mh.lunar_date);
  manifest.set_issue_number(mh.issue_number);
  manifest.set_page_count(mh.page_count);
  manifest.set_source_sha256(sha256_hex(raw_bytes));
  manifest.add_pages(page);
  manifest.set_source_name(source);
  manifest.set_splitter_version(std::string(splitter_version));

  manifest.set_confidence(assess_issue(drafts, mh, paper_name, warnings));

  result.articles.reserve(drafts.size());
  std::uint32_t sequence = 0;
  for (auto& d : drafts) {
    auto& a = result.articles.emplace_back(std::move(d.article));
    ++sequence;
    a.set_id(issue_id + "-" + two_digits(page) + "-" + two_digits(sequence));
    a.set_issue_id(issue_id);
    a.set_sequence(sequence);
    a.set_page(page);
    a.set_language("zh-Hans");
    a.set_paper(code);
    a.set_issue_date(date);
    a.set_content_sha256(contract::content_sha256(a));
    manifest.add_article_ids(a.id());
    manifest.add_article_hashes(a.content_sha256());
  }
  for (auto& w : warnings) *manifest.add_warnings() = std::move(w);
  return result;
}

}  // namespace syn::producer
