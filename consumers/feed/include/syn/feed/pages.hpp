#pragma once
/// The pages of the feed server: an article as a reader sees it, an account's feed as HTML, RSS
/// 2.0, JSON Feed 1.1 and Atom. Pure functions; every text is escaped; no script.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "syn/feed/state.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::feed {

/// The widths of the down-scaled variants of a photo the feed server makes (`/photos/<sha256>?w=N`)
/// and the pages offer in `srcset`; a variant at least as wide as the photo is not offered.
inline constexpr std::uint32_t photo_widths[] = {480, 960};

/// A complete HTML document for `a`: kicker, headline, sub-headline, byline, dateline, blocks
/// (paragraphs, sub-heads, the editor's note set apart, quotes, lists), photos with captions and
/// credits, the jump line, and the issue it comes from.
[[nodiscard]] std::string render_article_page(const syndication::v1::Article& a, int revision = 1);

/// `<base>/photos/<sha256>`: where the feed server serves a photo.
[[nodiscard]] std::string photo_url(std::string_view public_base_url, const syndication::v1::Photo& p);
/// The HTML list of `account`'s feed; links are relative to `public_base_url`.
[[nodiscard]] std::string render_feed_page(std::string_view account, const std::vector<feed_entry>& entries,
                                           std::string_view public_base_url);

/// RSS 2.0 of `account`'s feed.
[[nodiscard]] std::string render_rss(std::string_view account, const std::vector<feed_entry>& entries,
                                     std::string_view public_base_url);

/// JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) of `account`'s feed: `version`,
/// `title`, `home_page_url`, `feed_url`, and per item `id` (`<id>#r<revision>`, so a correction
/// shows as new), `url`, `title`, `content_html` (the entry's `content_html`, else its summary as
/// one escaped paragraph), `summary`, `date_published`, `tags` (the kicker), `language`.
[[nodiscard]] std::string render_json_feed(std::string_view account, const std::vector<feed_entry>& entries,
                                           std::string_view public_base_url);

/// Atom (RFC 4287) of `account`'s feed: `feed/id,title,updated,author,link[rel=self]` and per
/// entry `id` (the article URL with `#r<revision>`), `title`, `updated`, `link`, `summary`,
/// `content type="html"` (escaped), `category` (the kicker).
[[nodiscard]] std::string render_atom(std::string_view account, const std::vector<feed_entry>& entries,
                                      std::string_view public_base_url);

/// The `<article>` element of a page from render_article_page() (empty if there is none): the
/// body of JSON Feed and Atom entries.
[[nodiscard]] std::string article_fragment(std::string_view page_html);

/// RFC 3339 date-time of unix seconds, in UTC (`2024-01-30T08:00:00Z`).
[[nodiscard]] std::string rfc3339(std::int64_t unix_seconds);

/// RFC 822 date (RSS pubDate) of unix seconds, in GMT.
[[nodiscard]] std::string rfc822(std::int64_t unix_seconds);

}  // namespace syn::feed
