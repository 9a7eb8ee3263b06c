#pragma once
/// Draft composer: turns one issue's articles for one account into WeChat drafts (draft/add
/// bodies). Pure functions of their inputs (no I/O), thread-safe, never throw on any article.
///
/// - Articles go in sequence order, the lead article first; at most `max_articles_per_draft`
///   (WeChat: 8) per draft, so a larger issue yields several drafts, split deterministically:
///   draft k holds the articles k*8 .. k*8+7 of the sorted list (with oversize_policy::split the
///   parts of one article are kept in one draft when they fit).
/// - Title, author and digest fit WeChat's documented limits, counted as text::wechat_length()
///   counts and cut at character boundaries (title and author end in "…" when cut; the digest
///   ends at a sentence boundary).
/// - Content is clean HTML: every text HTML-escaped, no script, no event handler, no external
///   image (only URLs given in `photo_urls`, which must come from media/uploadimg). An article
///   over the content limits is cut at a block boundary with a "continue reading" notice
///   (oversize_policy::truncate, the default) or split into several draft articles titled
///   "（1/2）", "（2/2）" (oversize_policy::split). docs/FEED.md describes the markup.

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "syndication/v1/article.pb.h"

namespace syn::feed {

/// WeChat's documented draft/add limits (docs/FEED.md cites the pages).
struct wechat_limits {
  std::size_t title = 32;               ///< 标题，总长度不超过32个字
  std::size_t author = 16;              ///< 作者，总长度不超过16个字
  std::size_t digest = 128;             ///< 摘要，总长度不超过128个字
  std::size_t content_chars = 20000;    ///< content 必须少于2万字符 (strictly less)
  std::size_t content_bytes = 1 << 20;  ///< content 小于1M (strictly less)
  std::size_t source_url_bytes = 1024;  ///< content_source_url 不可超过1 kb
  std::size_t articles_per_draft = 8;
};

enum class oversize_policy { truncate, split };

struct compose_options {
  /// Base of `content_source_url` (`<public_base_url>/articles/<id>`), without trailing slash.
  std::string public_base_url;
  /// Articles per draft; clamped to [1, limits.articles_per_draft].
  std::size_t max_articles_per_draft = 8;
  wechat_limits limits;
  oversize_policy oversize = oversize_policy::truncate;
  /// The account's cover as permanent material (`thumb_media_id` of every article).
  std::string thumb_media_id;
  bool need_open_comment = false;
  bool only_fans_can_comment = false;
  /// Body image URLs from media/uploadimg, keyed by photo_key(); photos without a URL are
  /// rendered as their caption only.
  std::map<std::string, std::string> photo_urls;
};

/// One article of a draft, as draft/add takes it, plus where it came from.
struct draft_article {
  std::string title;
  std::string author;
  std::string digest;
  std::string content;
  std::string content_source_url;
  std::string thumb_media_id;
  int need_open_comment = 0;
  int only_fans_can_comment = 0;

  std::string article_id;
  std::string content_sha256;
  /// 1-based part number and part count (parts > 1 only with oversize_policy::split).
  std::size_t part = 1;
  std::size_t parts = 1;
  /// Content was cut (oversize_policy::truncate) and ends with the "continue reading" notice.
  bool truncated = false;
};

struct draft {
  std::string issue_id;
  /// 0-based number of this draft among the drafts of its (issue, account) group.
  std::size_t index = 0;
  std::vector<draft_article> articles;
};

/// `<base>/articles/<id>` (id percent-encoded where needed).
[[nodiscard]] std::string article_url(std::string_view public_base_url, std::string_view article_id);

/// Key of `photo_urls`: `<article id>#<0-based photo index>`.
[[nodiscard]] std::string photo_key(std::string_view article_id, std::size_t photo_index);

/// The title: the headline (or kicker, or "（无标题）") cut to `max_len`.
[[nodiscard]] std::string make_title(const syndication::v1::Article& a, std::size_t max_len);
/// The author: contributor names (reporters and correspondents first, then the others), as many
/// whole names as fit in `max_len` separated by spaces; a single longer name is cut.
[[nodiscard]] std::string make_author(const syndication::v1::Article& a, std::size_t max_len);
/// The digest: the first paragraph if it fits, else its longest prefix within `max_len` ending at
/// a sentence boundary (。！？), else the paragraph cut with "…". Empty if there is no paragraph.
[[nodiscard]] std::string make_digest(const syndication::v1::Article& a, std::size_t max_len);
/// The printed byline, e.g. `记者 杨鹤 通讯员 宋华敏` (labels follow the article's language).
[[nodiscard]] std::string make_byline(const syndication::v1::Article& a);

/// The draft article(s) of one article: one, or several with oversize_policy::split.
[[nodiscard]] std::vector<draft_article> compose_article(const syndication::v1::Article& a,
                                                         const compose_options& options);

/// The drafts of one (issue, account) group. `articles` may come in any order and should belong
/// to one issue (drafts carry the issue id of their first article).
[[nodiscard]] std::vector<draft> compose_drafts(std::span<const syndication::v1::Article* const> articles,
                                                const compose_options& options);

}  // namespace syn::feed
