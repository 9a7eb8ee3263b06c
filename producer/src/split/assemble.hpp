#pragma once
/// Stage 4, the article assembler: walks the classified chunks in reading order and builds
/// articles (kicker, headline, sub-headline, contributors, dateline, blocks, photos, jumps).
/// Ids, hashes and the issue fields are filled later by the splitter.

#include <string>
#include <vector>

#include "split/classify.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/issue.pb.h"

namespace syn::producer::detail {

/// An article under construction, with where it started and what the assembler had to guess
/// about it (see `doubt`).
struct draft {
  syndication::v1::Article article;
  std::uint32_t line = 0;
  std::vector<std::string> doubts;
};

/// The guesses the assembler records on a draft; the splitter turns them into confidence.
namespace doubt {
inline constexpr const char* length_headline = "headline recognised by its length only";
inline constexpr const char* stacked_overline = "overline and headline told apart by their order only";
inline constexpr const char* ends_mid_sentence = "text ends mid-sentence";
}  // namespace doubt

/// Builds the articles. Chunks of kind `masthead` and dropped chunks are skipped. Articles with
/// no headline are kept (with a warning) when they have body text, dropped otherwise.
std::vector<draft> assemble_articles(const std::vector<chunk>& chunks,
                                     std::vector<syndication::v1::SplitWarning>& warnings);

}  // namespace syn::producer::detail
