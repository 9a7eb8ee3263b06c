#include "syn/feed/pages.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "syn/feed/composer.hpp"
#include "syn/feed/text.hpp"

namespace syn::feed {
namespace {

using syndication::v1::Article;
using syndication::v1::Block;
using text::html_escape;

constexpr std::string_view style = R"css(
body{margin:0;background:#fafafa;color:#222;font:17px/1.8 -apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif}
main{max-width:680px;margin:0 auto;padding:24px 20px 48px;background:#fff}
.kicker{color:#b22;font-size:14px;margin:0}
h1{font-size:26px;line-height:1.4;margin:8px 0}
.subheadline{color:#555;font-size:18px;margin:0 0 8px}
.byline,.issue{color:#888;font-size:14px;margin:0}
h3{font-size:18px;margin:1.5em 0 .5em}
.editor-note{margin:1em 0 1.5em;padding:12px 16px;background:#f6f6f6;border-left:4px solid #b22;color:#444;font-size:16px}
blockquote{margin:1em 0;padding:4px 16px;border-left:3px solid #ccc;color:#555}
figure{margin:1.25em 0}
figure img{display:block;max-width:100%;height:auto;margin:0 auto;background:#eee}
figcaption{color:#777;font-size:14px;text-align:center}
.credit{white-space:nowrap}
.jump{color:#888;font-size:14px}
ul.feed{list-style:none;padding:0}
ul.feed li{padding:12px 0;border-bottom:1px solid #eee}
ul.feed a{color:#222;text-decoration:none;font-weight:bold}
ul.feed p{margin:4px 0 0;color:#666;font-size:15px}
)css";

bool is_hant(std::string_view lang) {
  return lang.size() >= 2 && lang.substr(0, 2) == "zh" && lang.find("Hans") == std::string_view::npos &&
         lang.find("CN") == std::string_view::npos && lang.size() > 2;
}

std::string doc_open(std::string_view lang, std::string_view title) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"";
  h += html_escape(lang.empty() ? "zh-Hans" : lang);
  h += "\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
       "content=\"width=device-width,initial-scale=1\">\n";
  h += "<title>" + html_escape(title) + "</title>\n<style>" + std::string(style) +
       "</style>\n</head>\n<body>\n<main>\n";
  return h;
}

constexpr std::string_view doc_close = "</main>\n</body>\n</html>\n";

std::string trim_s(std::string_view s) { return std::string(text::trim(s)); }

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

/// The `<img>` of a photo that has an image: served by the feed server from the blob store
/// (`../photos/<sha256>`, relative to `/articles/<id>`, so a base URL with a path works), the
/// intrinsic size set (no layout shift), lazy, `alt` from the caption, and the down-scaled
/// variants (photo_widths) for narrow screens.
std::string photo_img(const syndication::v1::Photo& p) {
  if (!is_hex64(p.sha256())) return {};
  const std::string src = "../photos/" + p.sha256();
  std::string h = "<img src=\"" + src + "\"";
  if (p.width() > 0 && p.height() > 0) {
    std::string set;
    for (const auto w : photo_widths) {
      if (w >= p.width()) break;
      set += src + "?w=" + std::to_string(w) + " " + std::to_string(w) + "w, ";
    }
    if (!set.empty()) {
      h += " srcset=\"" + set + src + " " + std::to_string(p.width()) +
           "w\" sizes=\"(max-width: 680px) 100vw, 640px\"";
    }
    h += " width=\"" + std::to_string(p.width()) + "\" height=\"" + std::to_string(p.height()) + "\"";
  }
  h += " loading=\"lazy\" decoding=\"async\" alt=\"" + html_escape(trim_s(p.caption())) + "\">";
  return h;
}

}  // namespace

std::string render_article_page(const Article& a, int revision) {
  const bool hant = is_hant(a.language());
  std::string h = doc_open(a.language(), a.headline().empty() ? a.id() : a.headline());
  h += "<article>\n<header>\n";
  if (!trim_s(a.kicker()).empty()) h += "<p class=\"kicker\">" + html_escape(trim_s(a.kicker())) + "</p>\n";
  h += "<h1>" + html_escape(trim_s(a.headline())) + "</h1>\n";
  if (!trim_s(a.subheadline()).empty()) {
    h += "<p class=\"subheadline\">" + html_escape(trim_s(a.subheadline())) + "</p>\n";
  }
  if (const auto by = make_byline(a); !by.empty()) h += "<p class=\"byline\">" + html_escape(by) + "</p>\n";
  std::string issue = a.paper();
  if (!a.issue_date().empty()) issue += (issue.empty() ? "" : " · ") + a.issue_date();
  if (a.page() > 0) issue += " · 第" + std::to_string(a.page()) + "版";
  if (revision > 1) issue += std::string(hant ? " · 修訂" : " · 修订") + std::to_string(revision);
  if (!issue.empty()) h += "<p class=\"issue\">" + html_escape(issue) + "</p>\n";
  h += "</header>\n";

  std::vector<std::vector<int>> photos_after(static_cast<std::size_t>(a.blocks_size()) + 1);
  for (int i = 0; i < a.photos_size(); ++i) {
    photos_after[std::min<std::size_t>(a.photos(i).after_block(), static_cast<std::size_t>(a.blocks_size()))]
        .push_back(i);
  }
  bool in_list = false;
  auto close_list = [&] {
    if (in_list) h += "</ul>\n";
    in_list = false;
  };
  auto photos = [&](std::size_t at) {
    if (photos_after[at].empty()) return;
    close_list();
    for (const int i : photos_after[at]) {
      const auto& p = a.photos(i);
      h += "<figure>";
      h += photo_img(p);
      h += "<figcaption>" + html_escape(trim_s(p.caption()));
      if (!trim_s(p.credit()).empty()) {
        h +=
            " <span class=\"credit\">" + html_escape(trim_s(p.credit())) + (hant ? " 攝" : " 摄") + "</span>";
      }
      h += "</figcaption></figure>\n";
    }
  };
  photos(0);
  bool first_paragraph = true;
  for (int b = 0; b < a.blocks_size(); ++b) {
    const auto& block = a.blocks(b);
    const auto t = html_escape(trim_s(block.text()));
    if (block.kind() != Block::LIST_ITEM) close_list();
    switch (block.kind()) {
      case Block::SUBHEAD:
        h += "<h3>" + t + "</h3>\n";
        break;
      case Block::EDITOR_NOTE:
        h += std::string("<aside class=\"editor-note\"><strong>") + (hant ? "編者按" : "编者按") +
             "</strong>　" + t + "</aside>\n";
        break;
      case Block::QUOTE:
        h += "<blockquote><p>" + t + "</p></blockquote>\n";
        break;
      case Block::LIST_ITEM:
        if (!in_list) h += "<ul>\n";
        in_list = true;
        h += "<li>" + t + "</li>\n";
        break;
      case Block::PARAGRAPH:
      case Block::KIND_UNSPECIFIED:
      default:
        h += "<p>";
        if (first_paragraph && !trim_s(a.dateline()).empty())
          h += "<strong>" + html_escape(trim_s(a.dateline())) + "</strong>　";
        h += t + "</p>\n";
        first_paragraph = false;
        break;
    }
    photos(static_cast<std::size_t>(b) + 1);
  }
  close_list();
  if (a.continued_on_page() > 0) {
    h += std::string("<p class=\"jump\">") + (hant ? "（下轉第" : "（下转第") +
         std::to_string(a.continued_on_page()) + "版）</p>\n";
  }
  h += "</article>\n";
  h += doc_close;
  return h;
}

std::string photo_url(std::string_view base, const syndication::v1::Photo& p) {
  return std::string(base) + "/photos/" + p.sha256();
}

std::string render_feed_page(std::string_view account, const std::vector<feed_entry>& entries,
                             std::string_view base) {
  std::string h = doc_open("zh-Hans", account);
  h += "<h1>" + html_escape(account) + "</h1>\n<p class=\"issue\"><a href=\"" +
       html_escape(std::string(base) + "/feeds/" + std::string(account) + ".xml") +
       "\">RSS</a> · <a href=\"" +
       html_escape(std::string(base) + "/feeds/" + std::string(account) + ".json") +
       "\">JSON Feed</a> · <a href=\"" +
       html_escape(std::string(base) + "/feeds/" + std::string(account) + ".atom") +
       "\">Atom</a></p>\n<ul class=\"feed\">\n";
  for (const auto& e : entries) {
    h += "<li><a href=\"" + html_escape(article_url(base, e.article_id)) + "\">" + html_escape(e.headline) +
         "</a>";
    std::string meta = e.paper + " · " + e.issue_date;
    if (!e.kicker.empty()) meta += " · " + e.kicker;
    h += "<p class=\"issue\">" + html_escape(meta) + "</p>";
    if (!e.summary.empty()) h += "<p>" + html_escape(text::cut(e.summary, 120)) + "</p>";
    h += "</li>\n";
  }
  h += "</ul>\n";
  h += doc_close;
  return h;
}

std::string rfc822(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
                months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

namespace {

/// RSS 2.0 does not say whether <title> and <category> hold text or HTML, and readers differ: many
/// render a title as HTML. So a title is made inert in both readings: '<' and '>' become the
/// full-width ＜ ＞ (no tag can open: an entity decoded by an HTML reader yields a character,
/// never a tag), and the result is XML-escaped.
std::string rss_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '<') {
      out += "\xEF\xBC\x9C";  // U+FF1C
    } else if (c == '>') {
      out += "\xEF\xBC\x9E";  // U+FF1E
    } else {
      out += c;
    }
  }
  return text::xml_escape(out);
}

}  // namespace

std::string render_rss(std::string_view account, const std::vector<feed_entry>& entries,
                       std::string_view base) {
  using text::xml_escape;
  const std::string link = std::string(base) + "/feeds/" + std::string(account);
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
      "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n";
  x += "<title>" + rss_text(account) + "</title>\n<link>" + xml_escape(link) + "</link>\n";
  x += "<description>" + xml_escape(text::html_escape(std::string(account) + " — syndicate feed")) +
       "</description>\n";
  x += "<atom:link href=\"" + xml_escape(link + ".xml") + "\" rel=\"self\" type=\"application/rss+xml\"/>\n";
  if (!entries.empty()) x += "<language>" + xml_escape(entries.front().language) + "</language>\n";
  std::int64_t newest = 0;
  for (const auto& e : entries) newest = std::max(newest, e.updated_at);
  if (newest > 0) x += "<lastBuildDate>" + rfc822(newest) + "</lastBuildDate>\n";
  for (const auto& e : entries) {
    const auto url = article_url(base, e.article_id);
    x += "<item>\n<title>" + rss_text(e.headline) + "</title>\n<link>" + xml_escape(url) + "</link>\n";
    x += "<guid isPermaLink=\"false\">" + xml_escape(e.article_id + "#r" + std::to_string(e.revision)) +
         "</guid>\n";
    if (!e.kicker.empty()) x += "<category>" + rss_text(e.kicker) + "</category>\n";
    x += "<pubDate>" + rfc822(e.updated_at) + "</pubDate>\n";
    // RSS 2.0 allows one enclosure per item: the lead photo.
    if (!e.photos.empty()) {
      const auto& p = e.photos.front();
      x += "<enclosure url=\"" + xml_escape(photo_url(base, p)) + "\" length=\"" + std::to_string(p.bytes()) +
           "\" type=\"" + xml_escape(p.media_type()) + "\"/>\n";
    }
    // <description> is HTML (RSS 2.0: "entity-encoded HTML is allowed"): the summary as one
    // escaped paragraph, then XML-escaped; after XML decoding the reader finds <p> and the
    // article's markup as text (&lt;script&gt;), never as elements.
    if (!e.summary.empty()) {
      x += "<description>" + xml_escape("<p>" + text::html_escape(e.summary) + "</p>") + "</description>\n";
    }
    x += "</item>\n";
  }
  x += "</channel>\n</rss>\n";
  return x;
}

namespace {

std::string entry_content(const feed_entry& e) {
  if (!e.content_html.empty()) return e.content_html;
  return e.summary.empty() ? std::string() : "<p>" + html_escape(e.summary) + "</p>";
}

std::string entry_id(const feed_entry& e) { return e.article_id + "#r" + std::to_string(e.revision); }

}  // namespace

std::string rfc3339(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string article_fragment(std::string_view page) {
  const auto open = page.find("<article>");
  const auto close = page.rfind("</article>");
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  return std::string(page.substr(open, close + 10 - open));
}

std::string render_json_feed(std::string_view account, const std::vector<feed_entry>& entries,
                             std::string_view base) {
  using json = nlohmann::ordered_json;
  const std::string home = std::string(base) + "/feeds/" + std::string(account);
  json f{{"version", "https://jsonfeed.org/version/1.1"},
         {"title", account},
         {"home_page_url", home},
         {"feed_url", home + ".json"},
         {"description", std::string(account) + " — syndicate feed"}};
  if (!entries.empty() && !entries.front().language.empty()) f["language"] = entries.front().language;
  json items = json::array();
  for (const auto& e : entries) {
    json it{{"id", entry_id(e)},
            {"url", article_url(base, e.article_id)},
            {"title", e.headline},
            {"content_html", entry_content(e)}};
    if (!e.summary.empty()) it["summary"] = e.summary;
    if (e.updated_at > 0) it["date_published"] = rfc3339(e.updated_at);
    if (!e.kicker.empty()) it["tags"] = json::array({e.kicker});
    if (!e.language.empty()) it["language"] = e.language;
    if (!e.photos.empty()) {
      it["image"] = photo_url(base, e.photos.front());
      json att = json::array();
      for (const auto& p : e.photos) {
        json one{{"url", photo_url(base, p)}, {"mime_type", p.media_type()}};
        if (p.bytes() > 0) one["size_in_bytes"] = p.bytes();
        if (!p.caption().empty()) one["title"] = p.caption();
        att.push_back(std::move(one));
      }
      it["attachments"] = std::move(att);
    }
    items.push_back(std::move(it));
  }
  f["items"] = std::move(items);
  // Raw UTF-8 out; an invalid sequence (never from the producer) becomes U+FFFD instead of throwing.
  return f.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string render_atom(std::string_view account, const std::vector<feed_entry>& entries,
                        std::string_view base) {
  using text::xml_escape;
  const std::string home = std::string(base) + "/feeds/" + std::string(account);
  std::int64_t newest = 0;
  for (const auto& e : entries) newest = std::max(newest, e.updated_at);
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"";
  if (!entries.empty() && !entries.front().language.empty())
    x += " xml:lang=\"" + xml_escape(entries.front().language) + "\"";
  x += ">\n<id>" + xml_escape(home) + "</id>\n<title>" + xml_escape(account) + "</title>\n";
  x += "<updated>" + rfc3339(newest) + "</updated>\n";
  x += "<author><name>" + xml_escape(account) + "</name></author>\n";
  x += "<link rel=\"self\" type=\"application/atom+xml\" href=\"" + xml_escape(home + ".atom") + "\"/>\n";
  x += "<link rel=\"alternate\" type=\"text/html\" href=\"" + xml_escape(home) + "\"/>\n";
  for (const auto& e : entries) {
    const auto url = article_url(base, e.article_id);
    x += "<entry>\n<id>" + xml_escape(url + "#r" + std::to_string(e.revision)) + "</id>\n";
    x += "<title type=\"text\">" + xml_escape(e.headline) + "</title>\n";
    x += "<updated>" + rfc3339(e.updated_at) + "</updated>\n";
    x += "<link rel=\"alternate\" type=\"text/html\" href=\"" + xml_escape(url) + "\"/>\n";
    if (!e.kicker.empty()) x += "<category term=\"" + xml_escape(e.kicker) + "\"/>\n";
    for (const auto& p : e.photos) {
      x += "<link rel=\"enclosure\" type=\"" + xml_escape(p.media_type()) + "\" length=\"" +
           std::to_string(p.bytes()) + "\" href=\"" + xml_escape(photo_url(base, p)) + "\"";
      if (!p.caption().empty()) x += " title=\"" + xml_escape(p.caption()) + "\"";
      x += "/>\n";
    }
    if (!e.summary.empty()) x += "<summary type=\"text\">" + xml_escape(e.summary) + "</summary>\n";
    if (const auto c = entry_content(e); !c.empty())
      x += "<content type=\"html\">" + xml_escape(c) + "</content>\n";
    x += "</entry>\n";
  }
  x += "</feed>\n";
  return x;
}

}  // namespace syn::feed
