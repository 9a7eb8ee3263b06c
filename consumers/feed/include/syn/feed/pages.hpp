#pragma once
/// The pages of the feed server: an article as a reader sees it, an account's feed as HTML and
/// as RSS 2.0. Pure functions; every text is escaped; no script.

#include "syn/feed/state.hpp"
#include "syndication/v1/article.pb.h"

#include <string>
#include <string_view>
#include <vector>

namespace syn::feed {

/// A complete HTML document for `a`: kicker, headline, sub-headline, byline, dateline, blocks
/// (paragraphs, sub-heads, the editor's note set apart, quotes, lists), photos with captions and
/// credits, the jump line, and the issue it comes from.
[[nodiscard]] std::string render_article_page(const syndication::v1::Article& a, int revision = 1);

/// The HTML list of `account`'s feed; links are relative to `public_base_url`.
[[nodiscard]] std::string render_feed_page(std::string_view account, const std::vector<feed_entry>& entries,
                                           std::string_view public_base_url);

/// RSS 2.0 of `account`'s feed.
[[nodiscard]] std::string render_rss(std::string_view account, const std::vector<feed_entry>& entries,
                                     std::string_view public_base_url);

/// RFC 822 date (RSS pubDate) of unix seconds, in GMT.
[[nodiscard]] std::string rfc822(std::int64_t unix_seconds);

}  // namespace syn::feed
