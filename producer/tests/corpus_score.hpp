#pragma once
/// The corpus scorer: how well the splitter reads the pages of tests/data/corpus/, measured
/// against hand-written truth files. Used by `corpus_score` (a report per paper and overall, a
/// floor check for CTest, leave-one-paper-out) and by unit tests of the scorer itself.
///
/// A truth file (`<page>.truth.json`, beside `<page>.txt`):
///
///   {"masthead": {"paper": "太原晚报", "date": "2023-11-06", "page": 4, "issueNumber": 3640},
///    "articles": [{"kicker": "", "headline": "", "subheadline": "",
///                  "contributors": [{"name": "李涛", "role": "REPORTER"}],
///                  "dateline": "本报讯", "datelineLead": true,
///                  "paragraphs": 5, "first": "<first sentence>", "last": "<last sentence>",
///                  "photos": [{"caption": "", "credit": ""}], "subheads": [],
///                  "continuedFromPage": 0, "continuedOnPage": 0}]}
///
/// Absent keys mean empty / zero / false; masthead `page` and `issueNumber` are scored only when
/// given. Texts are compared after `normalise`: whitespace removed, full-width ASCII folded.
/// Sentences end after 。！？!? and any closing quotes or brackets that follow.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "labeller.hpp"
#include "syn/producer/splitter.hpp"

namespace syn::producer::corpus {

/// The fields scored per article, in report order.
inline constexpr std::string_view article_fields[] = {"kicker",   "headline",   "subheadline", "contributors",
                                                      "dateline", "paragraphs", "first",       "last",
                                                      "photos",   "subheads",   "jumps"};
/// The masthead fields scored per page.
inline constexpr std::string_view masthead_fields[] = {"paper", "date", "page", "issue_number"};

/// Right / scored counts.
struct tally {
  std::size_t right = 0;
  std::size_t total = 0;
  void add(bool ok) {
    ++total;
    if (ok) ++right;
  }
  [[nodiscard]] double rate() const { return total == 0 ? 1.0 : static_cast<double>(right) / total; }
  tally& operator+=(const tally& o) {
    right += o.right;
    total += o.total;
    return *this;
  }
};

/// The score of one page or a sum of pages.
struct score {
  std::size_t truth_articles = 0;
  std::size_t predicted_articles = 0;
  std::size_t matched = 0;
  std::map<std::string, tally, std::less<>> fields;  ///< article and masthead fields
  std::vector<std::string> notes;                    ///< what went wrong, one line each
  std::size_t refused = 0;                           ///< pages the splitter refused

  [[nodiscard]] double precision() const {
    return predicted_articles == 0 ? (truth_articles == 0 ? 1.0 : 0.0)
                                   : static_cast<double>(matched) / predicted_articles;
  }
  [[nodiscard]] double recall() const {
    return truth_articles == 0 ? 1.0 : static_cast<double>(matched) / truth_articles;
  }
  /// All article and masthead fields together (unmatched truth articles count as wrong).
  [[nodiscard]] tally all_fields() const;
  score& operator+=(const score& o);
};

/// Whitespace removed, full-width ASCII forms (and the ideographic space) folded to ASCII.
std::string normalise(std::string_view s);

/// The first / last sentence of a text (see the header comment).
std::string first_sentence(std::string_view text);
std::string last_sentence(std::string_view text);

/// Scores one split page against its truth (the JSON text of a truth file). `result` is null
/// when the splitter refused the page; `error` then says why.
score score_page(const std::string& truth_json, const split_result* result, const std::string& error = {});

/// One corpus page: its paper (directory), truth file and input file.
struct page {
  std::string paper;
  std::string name;
  std::string truth_path;
  std::string input_path;
};

/// The pages under `dir` (`<paper>/<name>.truth.json` with a `<name>.txt` beside it), sorted.
std::vector<page> find_pages(const std::string& dir);

/// The sequence labeller's gold labels for a page's chunks, from its truth: a text chunk that is
/// (part of) a truth kicker, headline or sub-headline is a title line, one that is a truth
/// sub-head a sub-head, any other text body; chunks that are not text are `other`.
std::vector<detail::chunk_label> gold_labels(const std::vector<detail::chunk>& chunks,
                                             const std::string& truth_json);

/// The labeller's counts learnt from `pages`, leaving out the pages of paper `withheld` (none if
/// empty). Pages are chunked as the splitter chunks them (lexicon entries of `withheld` withheld
/// too, so nothing of that paper is learnt).
detail::label_counts train_labeller(const std::vector<page>& pages, const std::string& withheld = {});

/// How often the labeller gives a text chunk its gold label: with each paper's weights learnt
/// without it (`lopo`) or with every page. Returns right and total, counted over text chunks.
tally labeller_accuracy(const std::vector<page>& pages, bool lopo, std::vector<std::string>* notes = nullptr);

/// Splits and scores one page as a user would run it: the paper code is the directory name (the
/// code an operator chooses); date, page and paper name must come from the page itself.
score run_page(const page& p);

}  // namespace syn::producer::corpus
