#pragma once
/// The splitter's word lists, as data: role words, outlet-name suffixes, item markers, page-label
/// and page-furniture words, source credits. One table each, in lexicon.cpp; the parsers in
/// classify.cpp and masthead.cpp read them and hold no word lists of their own.
///
/// Every entry names its origin: `base` (general newsroom usage, in the splitter before the
/// development corpus), `issue` (named in issue 15), or the corpus papers
/// (tests/data/corpus/<paper>/) whose pages showed the need, space-separated. Leave-one-paper-out
/// scoring (`corpus_score --lopo`) withholds, for each paper in turn, the entries whose only
/// origin is that paper, so a word a paper taught us is not credited on that same paper.

#include <span>
#include <string_view>

#include "syndication/v1/article.pb.h"

namespace syn::producer::detail {

struct role_word {
  std::string_view word;
  syndication::v1::Contributor::Role primary;
  bool also_photographer;  ///< `文/图`: the person wrote and photographed
  std::string_view origin;
};

/// A word with its origin.
struct lexicon_entry {
  std::string_view word;
  std::string_view origin;
};

/// Role words, longest first where one is a prefix of another at the same position.
std::span<const role_word> role_words() noexcept;

/// Suffixes of an outlet's name (`德州晚报`, `兰州日报社`, `长子县融媒体中心`): a Han run ending in
/// one of these, right before a role word, names the reporter's outlet (`德州晚报全媒体记者 张明凯`).
std::span<const lexicon_entry> outlet_suffixes() noexcept;

/// Suffixes of a paper's name, for a name printed in a page header (`太原晚报　2023年11月6日`).
std::span<const lexicon_entry> paper_suffixes() noexcept;

/// Whether a run of Han characters ends in an outlet's name (`outlet_suffixes()`, longer than the
/// suffix alone, not a word such as `预报` that ends in `报` but names no paper).
bool ends_in_outlet(std::string_view run) noexcept;

/// Whether a run of Han characters ends in a paper's name (`paper_suffixes()`, the same way).
bool ends_in_paper_name(std::string_view run) noexcept;

/// Item markers before headlines, bylines and brief items: ■ ● ◆ ▲ ◎ …
std::span<const char32_t> marker_chars() noexcept;

/// Page furniture: a line opening with one of these words (and a colon or slash) is a page
/// credit — editor, proofreader, designer — not part of any article (`责任编辑：X`, `审读:X`).
std::span<const lexicon_entry> furniture_words() noexcept;

/// Section names printed in page headers (`第06版 经济`, `A03　综合`); a header line may also carry
/// any short Han name after a page label, these are the ones recognised alone (`要闻`).
std::span<const lexicon_entry> section_names() noexcept;

/// Source credits on a line of their own or closing a paragraph: `据新华社`, `(据人民网)`.
std::span<const lexicon_entry> source_credit_prefixes() noexcept;

/// Labels of an editor's note (`编者按`, `编后`), longest first.
std::span<const std::string_view> editor_labels() noexcept;

/// Endings of a briefs column's heading (`简讯`, `快讯`, `新闻速览`).
std::span<const std::string_view> briefs_labels() noexcept;

/// Photo credits before the names (`图/`, `摄影：`); the first two (`摄影/`, `图/`) are also read
/// after a caption on the same line.
std::span<const std::string_view> photo_credit_prefixes() noexcept;

/// Photo credits after the names (`摄影报道`, `摄影`, `摄`), longest first; the first two mean
/// photographed and written by.
std::span<const std::string_view> photo_credit_suffixes() noexcept;

/// News agencies that open a dateline (`新华社…电`).
std::span<const std::string_view> news_agencies() noexcept;

/// Words only a masthead or page header prints (`出版`, `总第`, `邮发代号`, `星期`).
std::span<const std::string_view> masthead_words() noexcept;

/// Common Chinese surnames (single characters). A bracketed list of names without any role word
/// closing an article (`…猛料。(张小磊)`) is a credit only when every name starts with one.
std::u32string_view common_surnames() noexcept;

/// Whether an entry or rule of this origin is in use (not withheld). Rules that only one corpus
/// paper motivated are gated on it too (`lexicon_active("qilu-wanbao")`). Thread-local; for
/// evaluation only.
bool lexicon_active(std::string_view origin) noexcept;

/// Withholds the entries whose only origin is `paper` on this thread until the guard goes away
/// (leave-one-paper-out scoring). Nesting is not supported.
class withhold_origin {
 public:
  explicit withhold_origin(std::string_view paper) noexcept;
  ~withhold_origin();
  withhold_origin(const withhold_origin&) = delete;
  withhold_origin& operator=(const withhold_origin&) = delete;
};

}  // namespace syn::producer::detail
