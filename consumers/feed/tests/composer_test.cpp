#include "syn/feed/composer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>

#include "article_fixtures.hpp"
#include "syn/feed/text.hpp"

using namespace syn::feed;
using feedtest::make_article;
using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

namespace {

compose_options opts() {
  compose_options o;
  o.public_base_url = "https://feeds.example.cn/";
  o.thumb_media_id = "THUMB1";
  return o;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

/// Every <p ...> ... </p>, <section>, <ul> and <blockquote> is closed: the cut never lands in a block.
void expect_balanced(const std::string& html) {
  EXPECT_EQ(count(html, "<p"), count(html, "</p>")) << html.substr(0, 300);
  EXPECT_EQ(count(html, "<section"), count(html, "</section>"));
  EXPECT_EQ(count(html, "<ul"), count(html, "</ul>"));
  EXPECT_EQ(count(html, "<blockquote"), count(html, "</blockquote>"));
}

void expect_within_limits(const draft_article& d, const wechat_limits& l = {}) {
  EXPECT_LE(text::wechat_length(d.title), l.title) << d.title;
  EXPECT_LE(text::wechat_length(d.author), l.author) << d.author;
  EXPECT_LE(text::wechat_length(d.digest), l.digest) << d.digest;
  EXPECT_LT(text::wechat_length(d.content), l.content_chars);
  EXPECT_LT(d.content.size(), l.content_bytes);
  EXPECT_TRUE(text::valid_utf8(d.title) && text::valid_utf8(d.author) && text::valid_utf8(d.digest) &&
              text::valid_utf8(d.content));
  EXPECT_EQ(d.content.find("<script"), std::string::npos);
  EXPECT_FALSE(std::regex_search(d.content, std::regex(R"(<[^>]*\son[a-z]+\s*=)", std::regex::icase)));
}

}  // namespace

TEST(FeedComposer, SourceUrlPointsAtOurFeedServer) {
  EXPECT_EQ(article_url("https://feeds.example.cn/", "cjrb-20240130-01-03"),
            "https://feeds.example.cn/articles/cjrb-20240130-01-03");
  EXPECT_EQ(article_url("http://h", "cjrb-20240130-01-03.zh-Hant"),
            "http://h/articles/cjrb-20240130-01-03.zh-Hant");
  EXPECT_EQ(article_url("http://h", "a/b c"), "http://h/articles/a%2Fb%20c");
  const auto d = compose_article(make_article(3), opts());
  ASSERT_EQ(d.size(), 1U);
  EXPECT_EQ(d[0].content_source_url, "https://feeds.example.cn/articles/cjrb-20240130-01-03");
  EXPECT_EQ(d[0].thumb_media_id, "THUMB1");
  EXPECT_EQ(d[0].article_id, "cjrb-20240130-01-03");
  EXPECT_EQ(d[0].content_sha256, "sha-cjrb-20240130-01-03-v1");
}

TEST(FeedComposer, TitleIsCutAtACharacterBoundaryWithEllipsis) {
  auto a = make_article(1);
  a.set_headline("昌吉州:实施“典范行动”打造高质量发展先行区，推动新疆经济社会高质量发展再上新台阶");
  const auto t = make_title(a, 32);
  EXPECT_EQ(text::wechat_length(t), 32U);
  EXPECT_EQ(t.rfind("…"), t.size() - 3);
  EXPECT_TRUE(text::valid_utf8(t));
  // The full headline is kept at the top of the content when the title had to be cut.
  const auto d = compose_article(a, opts());
  EXPECT_NE(d[0].content.find("推动新疆经济社会高质量发展再上新台阶"), std::string::npos);
}

TEST(FeedComposer, TitleWithSupplementaryCharactersAtTheLimit) {
  auto a = make_article(1);
  // 30 BMP characters then 𠮷 (counts 2) then more: 𠮷 would end at 32 exactly but the ellipsis needs room.
  a.set_headline(std::string(30, 'x') + "𠮷尾巴");
  auto t = make_title(a, 32);
  EXPECT_LE(text::wechat_length(t), 32U);
  EXPECT_TRUE(text::valid_utf8(t));
  EXPECT_EQ(t, std::string(30, 'x') + "…");
  a.set_headline(std::string(30, 'x') + "𠮷");  // exactly 32: kept whole
  EXPECT_EQ(make_title(a, 32), std::string(30, 'x') + "𠮷");
  a.set_headline(std::string(31, 'x') + "𠮷");  // 33
  t = make_title(a, 32);
  EXPECT_EQ(t, std::string(31, 'x') + "…");
}

TEST(FeedComposer, UntitledArticleFallsBackToKicker) {
  auto a = make_article(1);
  a.set_headline("  ");
  a.set_kicker("简讯");
  EXPECT_EQ(make_title(a, 32), "简讯");
  a.set_kicker("");
  EXPECT_EQ(make_title(a, 32), "（无标题）");
}

TEST(FeedComposer, AuthorTakesWholeNamesWithinTheLimit) {
  auto a = make_article(1);
  a.clear_contributors();
  auto add = [&](std::string n, Contributor::Role r) {
    auto* c = a.add_contributors();
    c->set_name(std::move(n));
    c->set_role(r);
  };
  add("杨 鹤", Contributor::PHOTOGRAPHER);
  add("杨鹤", Contributor::REPORTER);
  add("宋华敏", Contributor::CORRESPONDENT);
  EXPECT_EQ(make_author(a, 16), "杨鹤 宋华敏 杨 鹤");  // writers first; the photographer last
  EXPECT_EQ(make_author(a, 6), "杨鹤 宋华敏");
  EXPECT_EQ(make_author(a, 5), "杨鹤");
  a.clear_contributors();
  add("阿卜杜热合曼·阿卜杜克热木·艾合买提江", Contributor::REPORTER);  // 19 characters
  const auto au = make_author(a, 16);
  EXPECT_EQ(text::wechat_length(au), 16U);
  EXPECT_TRUE(text::valid_utf8(au));
  a.clear_contributors();
  EXPECT_EQ(make_author(a, 16), "");
}

TEST(FeedComposer, BylineGroupsRoles) {
  auto a = make_article(1);
  a.clear_contributors();
  for (auto [n, r] : {std::pair{"杨鹤", Contributor::REPORTER},
                      {"刘茜", Contributor::REPORTER},
                      {"宋华敏", Contributor::CORRESPONDENT}}) {
    auto* c = a.add_contributors();
    c->set_name(n);
    c->set_role(r);
  }
  EXPECT_EQ(make_byline(a), "记者 杨鹤 刘茜 通讯员 宋华敏");
  a.set_language("zh-Hant");
  EXPECT_EQ(make_byline(a), "記者 杨鹤 刘茜 通訊員 宋华敏");
}

TEST(FeedComposer, DigestIsTheFirstParagraphOrASentencePrefix) {
  auto a = make_article(1);
  EXPECT_EQ(make_digest(a, 128), a.blocks(0).text());
  // Long first paragraph: ends at the last sentence end within 128.
  std::string para;
  for (int i = 0; i < 20; ++i) para += "第" + std::to_string(i) + "句话写得很长很长。";  // ~11 chars each
  a.mutable_blocks(0)->set_text(para);
  const auto d = make_digest(a, 128);
  EXPECT_LE(text::wechat_length(d), 128U);
  EXPECT_GT(text::wechat_length(d), 100U);
  EXPECT_EQ(d.substr(d.size() - 3), "。");
  EXPECT_EQ(para.rfind(d, 0), 0U);
  // No sentence end at all: cut with an ellipsis.
  a.mutable_blocks(0)->set_text(std::string(300, 'a'));
  EXPECT_EQ(make_digest(a, 128), std::string(127, 'a') + "…");
}

TEST(FeedComposer, DigestSkipsTheEditorsNote) {
  auto a = make_article(1);
  auto* note = a.mutable_blocks(0);
  note->set_kind(Block::EDITOR_NOTE);
  note->set_text("编者按正文。");
  EXPECT_EQ(make_digest(a, 128), a.blocks(1).text());
}

TEST(FeedComposer, ContentIsCleanEscapedHtml) {
  auto a = make_article(2);
  a.set_headline("标题<script>alert(1)</script>");
  a.set_kicker("典范地州·典范行动");
  a.set_subheadline("副题 & 说明");
  a.set_dateline("本报讯");
  a.clear_blocks();
  auto add = [&](Block::Kind k, std::string t) {
    auto* b = a.add_blocks();
    b->set_kind(k);
    b->set_text(std::move(t));
  };
  add(Block::EDITOR_NOTE, "今年以来，我们推出系列报道。");
  add(Block::PARAGRAPH, "第一段<b>不是标签</b>，\"引号\"。");
  add(Block::SUBHEAD, "创新驱动");
  add(Block::PARAGRAPH, "第二段 onload=alert(1) 文本。");
  add(Block::QUOTE, "引文。");
  add(Block::LIST_ITEM, "第一项");
  add(Block::LIST_ITEM, "第二项");
  auto* p = a.add_photos();
  p->set_caption("工人在车间作业");
  p->set_credit("本报记者 杨鹤");
  p->set_after_block(2);
  const auto d = compose_article(a, opts());
  ASSERT_EQ(d.size(), 1U);
  const auto& c = d[0].content;
  expect_within_limits(d[0]);
  EXPECT_NE(c.find("&lt;b&gt;不是标签&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(c.find("&quot;引号&quot;"), std::string::npos);
  EXPECT_NE(c.find("副题 &amp; 说明"), std::string::npos);
  EXPECT_NE(c.find("<strong>本报讯</strong>　第一段"),
            std::string::npos);  // dateline leads the first paragraph
  EXPECT_NE(c.find("<strong>创新驱动</strong></p>"), std::string::npos);  // sub-head
  // The editor's note is set apart in a styled section with its label, before the body.
  const auto note = c.find("<section style=");
  ASSERT_NE(note, std::string::npos);
  EXPECT_LT(note, c.find("第一段"));
  EXPECT_NE(c.find("编者按</strong>　今年以来", note), std::string::npos);
  EXPECT_NE(c.find("<blockquote"), std::string::npos);
  EXPECT_NE(c.find("<li>第一项</li><li>第二项</li></ul>"), std::string::npos);
  // The photo caption with its credit, after block 2 (the first paragraph), before the sub-head.
  const auto cap = c.find("工人在车间作业　本报记者 杨鹤 摄");
  ASSERT_NE(cap, std::string::npos);
  EXPECT_GT(cap, c.find("第一段"));
  EXPECT_LT(cap, c.find("创新驱动"));
  EXPECT_EQ(c.find("<img"), std::string::npos);  // no uploaded image for it
  EXPECT_NE(c.find("记者 刘茜"), std::string::npos);
  expect_balanced(c);
}

TEST(FeedComposer, PhotoWithUploadedImageGetsAnImgTag) {
  auto a = make_article(2);
  auto* p = a.add_photos();
  p->set_caption("图");
  p->set_after_block(1);
  auto o = opts();
  o.photo_urls[photo_key(a.id(), 0)] = "http://mmbiz.qpic.cn/x/0";
  auto d = compose_article(a, o);
  EXPECT_NE(d[0].content.find("<img src=\"http://mmbiz.qpic.cn/x/0\""), std::string::npos);
  o.photo_urls[photo_key(a.id(), 0)] = "javascript:alert(1)";  // not http(s): dropped
  d = compose_article(a, o);
  EXPECT_EQ(d[0].content.find("<img"), std::string::npos);
}

TEST(FeedComposer, TraditionalArticleUsesTraditionalLabels) {
  auto a = make_article(1);
  a.set_language("zh-Hant");
  a.mutable_blocks(0)->set_kind(Block::EDITOR_NOTE);
  const auto d = compose_article(a, opts());
  EXPECT_NE(d[0].content.find("編者按"), std::string::npos);
  EXPECT_NE(d[0].content.find("記者 刘茜"), std::string::npos);
}

TEST(FeedComposer, NineteenArticlesMakeThreeDraftsLeadFirst) {
  std::vector<Article> arts;
  for (unsigned s = 1; s <= 19; ++s) arts.push_back(make_article(s, s <= 5 ? 1 : 2));
  std::vector<const Article*> ptrs;
  for (const auto& a : arts) ptrs.push_back(&a);
  std::mt19937 rng(42);
  std::shuffle(ptrs.begin(), ptrs.end(), rng);  // arrival order must not matter
  const auto drafts = compose_drafts(ptrs, opts());
  ASSERT_EQ(drafts.size(), 3U);
  EXPECT_EQ(drafts[0].articles.size(), 8U);
  EXPECT_EQ(drafts[1].articles.size(), 8U);
  EXPECT_EQ(drafts[2].articles.size(), 3U);
  unsigned expect_seq = 1;
  for (std::size_t k = 0; k < drafts.size(); ++k) {
    EXPECT_EQ(drafts[k].index, k);
    EXPECT_EQ(drafts[k].issue_id, "cjrb-20240130");
    for (const auto& d : drafts[k].articles) {
      EXPECT_EQ(d.article_id, arts[expect_seq - 1].id());
      expect_within_limits(d);
      ++expect_seq;
    }
  }
  // Deterministic: another arrival order gives the same drafts.
  std::shuffle(ptrs.begin(), ptrs.end(), rng);
  const auto again = compose_drafts(ptrs, opts());
  ASSERT_EQ(again.size(), 3U);
  for (std::size_t k = 0; k < 3; ++k) {
    ASSERT_EQ(again[k].articles.size(), drafts[k].articles.size());
    for (std::size_t i = 0; i < again[k].articles.size(); ++i) {
      EXPECT_EQ(again[k].articles[i].content, drafts[k].articles[i].content);
    }
  }
}

TEST(FeedComposer, MaxArticlesPerDraftIsClampedToWechatsEight) {
  std::vector<Article> arts;
  for (unsigned s = 1; s <= 10; ++s) arts.push_back(make_article(s));
  std::vector<const Article*> ptrs;
  for (const auto& a : arts) ptrs.push_back(&a);
  auto o = opts();
  o.max_articles_per_draft = 3;
  EXPECT_EQ(compose_drafts(ptrs, o).size(), 4U);
  o.max_articles_per_draft = 50;
  EXPECT_EQ(compose_drafts(ptrs, o).size(), 2U);
  o.max_articles_per_draft = 0;
  EXPECT_EQ(compose_drafts(ptrs, o).size(), 10U);
}

namespace {

Article huge_article() {
  auto a = make_article(1);
  a.clear_blocks();
  for (int i = 0; i < 120; ++i) {
    auto* b = a.add_blocks();
    b->set_kind(i % 10 == 5 ? Block::SUBHEAD : Block::PARAGRAPH);
    std::string t;
    for (int k = 0; k < 10; ++k)
      t += "第" + std::to_string(i) + "段第" + std::to_string(k) + "句，讲述昌吉州的发展。";
    b->set_text(t);
  }
  return a;  // ~30,000 characters
}

}  // namespace

TEST(FeedComposer, OversizeArticleIsTruncatedAtABlockBoundaryWithContinueReading) {
  const auto a = huge_article();
  const auto d = compose_article(a, opts());
  ASSERT_EQ(d.size(), 1U);
  EXPECT_TRUE(d[0].truncated);
  expect_within_limits(d[0]);
  EXPECT_GT(text::wechat_length(d[0].content), 15000U);  // little is lost
  expect_balanced(d[0].content);
  const auto& c = d[0].content;
  // The notice points to WeChat's "阅读原文" link (content_source_url), is last, and links
  // nothing: the platform keeps no link outside WeChat in content.
  const auto notice = c.rfind("阅读原文");
  ASSERT_NE(notice, std::string::npos);
  EXPECT_EQ(c.find("</p>", notice) + 4, c.size());
  EXPECT_EQ(c.find("<a "), std::string::npos);
  EXPECT_EQ(c.find("feeds.example.cn"), std::string::npos);
  EXPECT_EQ(d[0].content_source_url, "https://feeds.example.cn/articles/cjrb-20240130-01-01");
}

TEST(FeedComposer, OversizeArticleCanBeSplitIntoNumberedParts) {
  auto o = opts();
  o.oversize = oversize_policy::split;
  const auto a = huge_article();
  const auto d = compose_article(a, o);
  ASSERT_EQ(d.size(), 2U);
  for (std::size_t i = 0; i < d.size(); ++i) {
    expect_within_limits(d[i]);
    expect_balanced(d[i].content);
    EXPECT_EQ(d[i].part, i + 1);
    EXPECT_EQ(d[i].parts, 2U);
    EXPECT_NE(d[i].title.find("（" + std::to_string(i + 1) + "/2）"), std::string::npos);
    EXPECT_FALSE(d[i].truncated);
  }
  // Nothing is lost: every paragraph is in one of the parts.
  for (int i = 0; i < a.blocks_size(); ++i) {
    const auto needle = "第" + std::to_string(i) + "段第9句";
    EXPECT_TRUE(d[0].content.find(needle) != std::string::npos ||
                d[1].content.find(needle) != std::string::npos)
        << i;
  }
  EXPECT_NE(d[0].content.find("（未完，接下篇）"), std::string::npos);
  EXPECT_NE(d[1].content.find("（接上篇）"), std::string::npos);
}

TEST(FeedComposer, OneGiantParagraphWithoutSentenceEndsStillFits) {
  auto a = make_article(1);
  a.clear_blocks();
  auto* b = a.add_blocks();
  b->set_kind(Block::PARAGRAPH);
  std::string t;
  for (int i = 0; i < 25000; ++i) t += (i % 7 == 0) ? "𠮷" : "字";
  b->set_text(t);
  const auto d = compose_article(a, opts());
  ASSERT_EQ(d.size(), 1U);
  expect_within_limits(d[0]);
  expect_balanced(d[0].content);
  EXPECT_TRUE(d[0].truncated);
}

TEST(FeedComposer, TheRealChangjiPageFitsEveryLimit) {
  const auto arts = feedtest::changji_articles();
  ASSERT_GE(arts.size(), 5U);
  std::vector<const Article*> ptrs;
  for (const auto& a : arts) ptrs.push_back(&a);
  const auto drafts = compose_drafts(ptrs, opts());
  ASSERT_EQ(drafts.size(), 1U);
  EXPECT_EQ(drafts[0].articles.front().article_id, "cjrb-20240130-01-01");
  for (const auto& d : drafts[0].articles) {
    expect_within_limits(d);
    expect_balanced(d.content);
    // A multi-article draft carries no digest: the platform takes one only for single-article
    // messages (draft/add).
    EXPECT_TRUE(d.digest.empty()) << d.article_id;
    EXPECT_FALSE(d.truncated) << d.article_id;
  }
}

TEST(FeedComposer, OnlyASingleArticleDraftCarriesADigest) {
  const auto arts = feedtest::changji_articles();
  ASSERT_GE(arts.size(), 2U);
  const Article* one[] = {&arts[0]};
  const auto single = compose_drafts(one, opts());
  ASSERT_EQ(single.size(), 1U);
  ASSERT_EQ(single[0].articles.size(), 1U);
  EXPECT_FALSE(single[0].articles[0].digest.empty());
  const Article* two[] = {&arts[0], &arts[1]};
  const auto pair = compose_drafts(two, opts());
  ASSERT_EQ(pair.size(), 1U);
  ASSERT_EQ(pair[0].articles.size(), 2U);
  for (const auto& d : pair[0].articles) EXPECT_EQ(d.digest, "") << d.article_id;
}
