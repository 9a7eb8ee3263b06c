#include "syn/feed/pages.hpp"

#include "article_fixtures.hpp"

#include <gtest/gtest.h>

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
  EXPECT_NE(h.find("<aside class=\"editor-note\"><strong>编者按</strong>　编者按正文&lt;i&gt;</aside>"), std::string::npos);
  EXPECT_NE(h.find("<figure><figcaption>车间一景 <span class=\"credit\">本报记者 杨鹤 摄</span></figcaption></figure>"),
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
  EXPECT_NE(x.find("<title>A &amp; B &lt;c&gt;</title>"), std::string::npos);
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
