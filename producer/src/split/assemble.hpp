#pragma once
/// Stage 4, the article assembler: walks the classified chunks in reading order and builds
/// articles (kicker, headline, sub-headline, contributors, dateline, blocks, photos, jumps).
/// Ids, hashes and the issue fields are filled later by the splitter.

#include "split/classify.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/issue.pb.h"

#include <vector>

namespace syn::producer::detail {

/// An article under construction, with where it started.
struct draft {
  syndication::v1::Article article;
  std::uint32_t line = 0;
};

/// Builds the articles. Chunks of kind `masthead` and dropped chunks are skipped. Articles with
/// no headline are kept (with a warning) when they have body text, dropped otherwise.
std::vector<draft> assemble_articles(const std::vector<chunk>& chunks,
                                     std::vector<syndication::v1::SplitWarning>& warnings);

}  // namespace syn::producer::detail
