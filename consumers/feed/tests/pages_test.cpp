#include "syn/feed/pages.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "article_fixtures.hpp"

using namespace syn::feed;
using syndication::v1::Block;

TEST(FeedPages, ArticlePageShowsWhatAReaderSees) {
  auto a = feedtest::make_article(3);
  a.set_kicker("典范地州·典范行动");
  a.set_subheadline("副题");
  a.set_dateline("本报讯");
  auto* note = a.add_blocks();
  note->set_kind(Block::EDITOR_NOTE);
  note->set_text("编者按正文<i>");
  auto* p = a.add_photos();
  p->set_caption("车间一景");
  p->set_credit("本报记者 杨鹤");
  p->set_after_block(1);
  a.set_continued_on_page(2);
  const auto h = render_article_page(a, 2);
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_NE(h.find("<html lang=\"zh-Hans\">"), std::string::npos);
  EXPECT_NE(h.find("<p class=\"kicker\">典范地州·典范行动</p>"), std::string::npos);
  EXPECT_NE(h.find("<h1>第3篇：昌吉州推进高质量发展</h1>"), std::string::npos);
  EXPECT_NE(h.find("<p class=\"subheadline\">副题</p>"), std::string::npos);
  EXPECT_NE(h.find("<p class=\"byline\">记者 刘茜</p>"), std::string::npos);
  EXPECT_NE(h.find("<p><strong>本报讯</strong>　智能化工厂"), std::string::npos);
  EXPECT_NE(h.find("<aside class=\"editor-note\"><strong>编者按</strong>　编者按正文&lt;i&gt;</aside>"),
            std::string::npos);
  EXPECT_NE(h.find("<figure><figcaption>车间一景 <span class=\"credit\">本报记者 杨鹤 "
                   "摄</span></figcaption></figure>"),
            std::string::npos);
  EXPECT_NE(h.find("（下转第2版）"), std::string::npos);
  EXPECT_NE(h.find("修订2"), std::string::npos);
  EXPECT_EQ(h.find("<script"), std::string::npos);
}

TEST(FeedPages, RssListsEntriesWithEscapedText) {
  std::vector<feed_entry> entries(2);
  entries[0].article_id = "cjrb-20240130-01-01";
  entries[0].headline = "A & B <c>";
  entries[0].summary = "摘要";
  entries[0].language = "zh-Hans";
  entries[0].updated_at = 1706572800;  // 2024-01-30 00:00:00 UTC
  entries[0].revision = 2;
  entries[1].article_id = "cjrb-20240130-01-02";
  entries[1].headline = "第二篇";
  entries[1].updated_at = 1706572800;
  const auto x = render_rss("cjrb", entries, "https://feeds.example.cn");
  EXPECT_EQ(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0U);
  EXPECT_NE(x.find("<rss version=\"2.0\""), std::string::npos);
  EXPECT_NE(x.find("<title>A &amp; B ＜c＞</title>"), std::string::npos);
  EXPECT_NE(x.find("<description>&lt;p&gt;摘要&lt;/p&gt;</description>"), std::string::npos);
  EXPECT_NE(x.find("<link>https://feeds.example.cn/articles/cjrb-20240130-01-01</link>"), std::string::npos);
  EXPECT_NE(x.find("<guid isPermaLink=\"false\">cjrb-20240130-01-01#r2</guid>"), std::string::npos);
  EXPECT_NE(x.find("<pubDate>Tue, 30 Jan 2024 00:00:00 GMT</pubDate>"), std::string::npos);
  EXPECT_EQ(x.find("<item>"), x.find("<item>"));
  EXPECT_EQ(std::count(x.begin(), x.end(), '\n') > 10, true);
  EXPECT_NE(x.find("https://feeds.example.cn/feeds/cjrb.xml"), std::string::npos);
}

TEST(FeedPages, FeedPageLinksArticles) {
  std::vector<feed_entry> entries(1);
  entries[0].article_id = "cjrb-20240130-01-01";
  entries[0].headline = "标题";
  entries[0].paper = "cjrb";
  entries[0].issue_date = "2024-01-30";
  const auto h = render_feed_page("cjrb", entries, "http://x");
  EXPECT_NE(h.find("<a href=\"http://x/articles/cjrb-20240130-01-01\">标题</a>"), std::string::npos);
  EXPECT_NE(h.find("http://x/feeds/cjrb.xml"), std::string::npos);
}

namespace {

/// A strict, small XML 1.0 well-formedness check for what the renderers produce (no DTD, no
/// CDATA): one root, balanced and properly nested tags, quoted attributes, only the five
/// predefined entities and character references, no raw `<` or `&` in text. Returns the paths of
/// the elements ("feed/entry/id") and the text of each, or an error.
struct xml_doc {
  std::string error;
  std::vector<std::pair<std::string, std::string>> elements;  ///< path, text (entities kept)
  [[nodiscard]] std::size_t count(std::string_view path) const {
    return static_cast<std::size_t>(
        std::count_if(elements.begin(), elements.end(), [&](const auto& e) { return e.first == path; }));
  }
};

bool valid_entity(std::string_view s, std::size_t at, std::size_t& len) {
  const auto semi = s.find(';', at);
  if (semi == std::string_view::npos) return false;
  const auto name = s.substr(at + 1, semi - at - 1);
  len = semi - at + 1;
  if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") return true;
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x';
    const auto digits = name.substr(hex ? 2 : 1);
    return !digits.empty() && std::all_of(digits.begin(), digits.end(), [&](char c) {
      return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                 : std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
  }
  return false;
}

xml_doc parse_xml(std::string_view s) {
  xml_doc d;
  std::size_t i = 0;
  if (s.rfind("<?xml", 0) == 0) i = s.find("?>") + 2;
  std::vector<std::string> stack;
  std::vector<std::size_t> open_index;
  bool root_done = false;
  auto path = [&] {
    std::string p;
    for (const auto& n : stack) p += (p.empty() ? "" : "/") + n;
    return p;
  };
  while (i < s.size()) {
    if (s[i] == '<') {
      const auto end = s.find('>', i);
      if (end == std::string_view::npos) return {"unterminated tag", {}};
      std::string_view tag = s.substr(i + 1, end - i - 1);
      i = end + 1;
      if (tag.starts_with("/")) {
        if (stack.empty() || stack.back() != tag.substr(1))
          return {"mismatched </" + std::string(tag.substr(1)) + ">", {}};
        stack.pop_back();
        open_index.pop_back();
        if (stack.empty()) root_done = true;
        continue;
      }
      if (root_done) return {"content after the root element", {}};
      const bool self_closing = tag.ends_with("/");
      if (self_closing) tag.remove_suffix(1);
      const auto sp = tag.find_first_of(" \n\t");
      const std::string name(tag.substr(0, sp));
      if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) != 0))
        return {"bad tag name", {}};
      // Attributes: name="value" with escaped values.
      std::string_view rest = sp == std::string_view::npos ? std::string_view() : tag.substr(sp);
      while (true) {
        const auto a = rest.find_first_not_of(" \n\t");
        if (a == std::string_view::npos) break;
        const auto eq = rest.find('=', a);
        if (eq == std::string_view::npos || eq + 1 >= rest.size() || rest[eq + 1] != '"')
          return {"unquoted attribute in <" + name + ">", {}};
        const auto close = rest.find('"', eq + 2);
        if (close == std::string_view::npos) return {"unterminated attribute in <" + name + ">", {}};
        const auto v = rest.substr(eq + 2, close - eq - 2);
        for (std::size_t k = 0; k < v.size(); ++k) {
          std::size_t len = 0;
          if (v[k] == '<' || (v[k] == '&' && !valid_entity(v, k, len)))
            return {"raw markup in an attribute of <" + name + ">", {}};
        }
        rest = rest.substr(close + 1);
      }
      stack.push_back(name);
      d.elements.emplace_back(path(), "");
      open_index.push_back(d.elements.size() - 1);
      if (self_closing) {
        stack.pop_back();
        open_index.pop_back();
        if (stack.empty()) root_done = true;
      }
      continue;
    }
    if (s[i] == '&') {
      std::size_t len = 0;
      if (!valid_entity(s, i, len)) return {"bad entity reference", {}};
      if (!open_index.empty()) d.elements[open_index.back()].second += s.substr(i, len);
      i += len;
      continue;
    }
    if (stack.empty() && std::isspace(static_cast<unsigned char>(s[i])) == 0)
      return {"text outside the root", {}};
    if (!open_index.empty()) d.elements[open_index.back()].second += s[i];
    ++i;
  }
  if (!stack.empty() || !root_done) return {"unclosed element or no root", {}};
  return d;
}

std::vector<feed_entry> hostile_entries() {
  std::vector<feed_entry> entries(2);
  entries[0].article_id = "cjrb-20240130-01-01";
  entries[0].headline = "A & B <script>alert(1)</script> \"引\"";
  entries[0].kicker = "典范地州·典范行动";
  entries[0].summary = "摘要 <b>粗</b> & 更多";
  entries[0].language = "zh-Hans";
  entries[0].updated_at = 1706572800;  // 2024-01-30 00:00:00 UTC
  entries[0].revision = 2;
  entries[0].content_html = "<article><p>正文 &lt;script&gt;</p></article>";
  entries[1].article_id = "cjrb-20240130-01-02";
  entries[1].headline = "第二篇";
  entries[1].summary = "第二篇摘要";
  entries[1].updated_at = 1706576400;
  return entries;
}

}  // namespace

TEST(FeedPages, AtomIsWellFormedWithRequiredElementsAndEscapedText) {
  const auto x = render_atom("cjrb", hostile_entries(), "https://feeds.example.cn");
  const auto d = parse_xml(x);
  ASSERT_TRUE(d.error.empty()) << d.error << "\n" << x;
  EXPECT_NE(x.find("<feed xmlns=\"http://www.w3.org/2005/Atom\""), std::string::npos);
  for (const auto* p : {"feed/id", "feed/title", "feed/updated", "feed/author/name"})
    EXPECT_EQ(d.count(p), 1U) << p;
  for (const auto* p : {"feed/entry/id", "feed/entry/title", "feed/entry/updated", "feed/entry/link"}) {
    EXPECT_EQ(d.count(p), 2U) << p;
  }
  EXPECT_EQ(d.count("feed/entry/content"), 2U);  // the first from content_html, the second from the summary
  // feed/updated is the newest entry's; entry ids carry the revision.
  EXPECT_NE(x.find("<updated>2024-01-30T01:00:00Z</updated>\n<author>"), std::string::npos);
  EXPECT_NE(x.find("<id>https://feeds.example.cn/articles/cjrb-20240130-01-01#r2</id>"), std::string::npos);
  EXPECT_NE(
      x.find("<title type=\"text\">A &amp; B &lt;script&gt;alert(1)&lt;/script&gt; &quot;引&quot;</title>"),
      std::string::npos);
  EXPECT_NE(x.find("<content type=\"html\">&lt;article&gt;&lt;p&gt;正文 "
                   "&amp;lt;script&amp;gt;&lt;/p&gt;&lt;/article&gt;</content>"),
            std::string::npos);
  EXPECT_NE(x.find("<category term=\"典范地州·典范行动\"/>"), std::string::npos);
  EXPECT_EQ(x.find("<script"), std::string::npos);
  EXPECT_NE(x.find("href=\"https://feeds.example.cn/feeds/cjrb.atom\""), std::string::npos);
}

TEST(FeedPages, AtomOfAnEmptyFeedIsStillValid) {
  const auto d = parse_xml(render_atom("a&b", {}, "http://x"));
  ASSERT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.count("feed/id"), 1U);
  EXPECT_EQ(d.count("feed/updated"), 1U);
  EXPECT_EQ(d.count("feed/entry"), 0U);
}

TEST(FeedPages, XmlCheckerRefusesMalformedXml) {  // the checker above must be able to fail
  EXPECT_FALSE(parse_xml("<a><b></a></b>").error.empty());
  EXPECT_FALSE(parse_xml("<a>x & y</a>").error.empty());
  EXPECT_FALSE(parse_xml("<a>x < y</a>").error.empty());
  EXPECT_FALSE(parse_xml("<a href=x/>").error.empty());
  EXPECT_FALSE(parse_xml("<a></a><b></b>").error.empty());
  EXPECT_TRUE(parse_xml("<a x=\"1\"><b>&amp;&#x4e2d;</b><c/></a>").error.empty());
}

TEST(FeedPages, JsonFeedHasRequiredMembersAndRawText) {
  const auto s = render_json_feed("cjrb", hostile_entries(), "https://feeds.example.cn");
  const auto j = nlohmann::json::parse(s);  // throws (fails the test) if not well-formed
  EXPECT_EQ(j.at("version"), "https://jsonfeed.org/version/1.1");
  EXPECT_EQ(j.at("title"), "cjrb");
  EXPECT_EQ(j.at("home_page_url"), "https://feeds.example.cn/feeds/cjrb");
  EXPECT_EQ(j.at("feed_url"), "https://feeds.example.cn/feeds/cjrb.json");
  ASSERT_EQ(j.at("items").size(), 2U);
  const auto& it = j["items"][0];
  EXPECT_EQ(it.at("id"), "cjrb-20240130-01-01#r2");
  EXPECT_EQ(it.at("url"), "https://feeds.example.cn/articles/cjrb-20240130-01-01");
  EXPECT_EQ(it.at("title"), "A & B <script>alert(1)</script> \"引\"");  // JSON strings carry text, not HTML
  EXPECT_EQ(it.at("content_html"), "<article><p>正文 &lt;script&gt;</p></article>");
  EXPECT_EQ(it.at("date_published"), "2024-01-30T00:00:00Z");
  EXPECT_EQ(it.at("tags"), nlohmann::json::array({"典范地州·典范行动"}));
  // Without a stored page, content_html is the summary, escaped.
  EXPECT_EQ(j["items"][1].at("content_html"), "<p>第二篇摘要</p>");
  for (const auto& item : j["items"]) {
    for (const auto* k : {"id", "url", "title", "content_html"}) EXPECT_TRUE(item.contains(k)) << k;
  }
  EXPECT_NE(s.find("典范地州"), std::string::npos);  // raw UTF-8, not \u escapes
  const auto empty = nlohmann::json::parse(render_json_feed("x", {}, "http://x"));
  EXPECT_TRUE(empty.at("items").is_array());
  EXPECT_EQ(empty.at("items").size(), 0U);
}

TEST(FeedPages, ArticleFragmentIsTheArticleElement) {
  const auto a = feedtest::make_article(1);
  const auto f = article_fragment(render_article_page(a));
  EXPECT_EQ(f.rfind("<article>", 0), 0U);
  EXPECT_TRUE(f.ends_with("</article>"));
  EXPECT_EQ(f.find("<html"), std::string::npos);
  EXPECT_NE(f.find("<h1>"), std::string::npos);
  EXPECT_EQ(article_fragment("<p>no article</p>"), "");
}

// Issue 16: after XML decoding, RSS <title> and <description> held <script> and <img onerror> as
// markup, which feed readers render.
TEST(FeedPages, RssHoldsNoLiveMarkupFromArticleText) {
  auto entries = hostile_entries();
  entries[0].summary = "摘要 <img src=x onerror=\"alert(1)\"> <script>alert(2)</script> ]]> & 更多";
  entries[0].kicker = "<b onmouseover=alert(3)>栏目</b>";
  const auto x = render_rss("cjrb", entries, "https://feeds.example.cn");
  const auto d = parse_xml(x);
  ASSERT_TRUE(d.error.empty()) << d.error << "\n" << x;
  // Title and category: text that opens no tag in either reading (text or HTML).
  EXPECT_NE(x.find("<title>A &amp; B ＜script＞alert(1)＜/script＞ &quot;引&quot;</title>"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<category>＜b onmouseover=alert(3)＞栏目＜/b＞</category>"), std::string::npos) << x;
  // Description: escaped HTML whose only element is <p>; the article's markup is text in it
  // (&lt;img ... after XML decoding).
  EXPECT_NE(
      x.find("<description>&lt;p&gt;摘要 &amp;lt;img src=x onerror=&amp;quot;alert(1)&amp;quot;&amp;gt; "
             "&amp;lt;script&amp;gt;alert(2)&amp;lt;/script&amp;gt; ]]&amp;gt; &amp;amp; "
             "更多&lt;/p&gt;</description>"),
      std::string::npos)
      << x;
  for (const char* live : {"<script", "<img", "&lt;script", "&lt;img", "&lt;b "}) {
    EXPECT_EQ(x.find(live), std::string::npos) << live << " in\n" << x;
  }
}
