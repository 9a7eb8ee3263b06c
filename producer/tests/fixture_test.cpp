// Issue 3, points 2 and 3: the real page 1 of 昌吉日报, 2024-01-30, against an expected result
// written by hand from reading the page (tests/data/expected/*.articles.json) plus hand-written
// assertions on the manifest and on each repair.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace {

using namespace syn::producer;
using syn::producer::testing::fixture;
using syn::producer::testing::read_data;
using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

class Fixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    split_options o;
    o.source_name = "changji-daily-2024-01-30-p1.txt";
    o.papers = default_papers();
    result_ = new split_result(split_issue(fixture(), o));
  }
  static void TearDownTestSuite() {
    delete result_;
    result_ = nullptr;
  }
  static const Article& article(int i) { return result_->articles.at(static_cast<std::size_t>(i)); }
  static split_result* result_;
};

split_result* Fixture::result_ = nullptr;

bool ends_with_text(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

TEST_F(Fixture, FindsExactlyFiveArticlesInReadingOrder) {
  ASSERT_EQ(result_->articles.size(), 5U);
  EXPECT_EQ(article(0).headline(), "昌吉州:实施\"典范行动\"打造高质量发展先行区");
  EXPECT_EQ(article(1).headline(), "中国环境科学研究院 昌吉州生态环境科创中心揭牌");
  EXPECT_EQ(article(2).headline(), "我州评出2023年度安全管理标准化示范班组");
  EXPECT_EQ(article(3).headline(), "天山面粉:做好小麦精深加工转化 生产新疆绿色面粉");
  EXPECT_EQ(article(4).headline(), "嘉峪关市文旅宣传推介会在昌举办");
}

TEST_F(Fixture, EveryArticleMatchesTheHandWrittenExpectation) {
  const auto expected =
      nlohmann::json::parse(read_data("expected/changji-daily-2024-01-30-p1.articles.json"));
  ASSERT_EQ(expected.size(), result_->articles.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    Article want;
    const auto status = google::protobuf::util::JsonStringToMessage(expected[i].dump(), &want);
    ASSERT_TRUE(status.ok()) << status.ToString();
    Article got = result_->articles[i];
    got.clear_content_sha256();  // checked by the identity tests; not computable by hand
    got.clear_confidence();      // a model's output, checked in confidence_test.cpp
    std::string diff;
    google::protobuf::util::MessageDifferencer d;
    d.ReportDifferencesToString(&diff);
    EXPECT_TRUE(d.Compare(want, got)) << "article " << i + 1 << ":\n" << diff;
  }
}

TEST_F(Fixture, MastheadFillsTheManifest) {
  const auto& m = result_->manifest;
  EXPECT_EQ(m.issue_id(), "cjrb-20240130");
  EXPECT_EQ(m.paper().code(), "cjrb");
  EXPECT_EQ(m.paper().name(), "昌吉日报");
  EXPECT_EQ(m.paper().publisher(), "昌吉日报社");
  EXPECT_EQ(m.paper().cn_number(), "CN 65-0010");
  EXPECT_EQ(m.paper().postal_code(), "57-103");
  EXPECT_EQ(m.paper().website(), "http://www.cjxww.cn");
  EXPECT_EQ(m.paper().email(), "cjrbs@sina.com");
  EXPECT_EQ(m.paper().hotline(), "2881100");
  EXPECT_EQ(m.issue_date(), "2024-01-30");
  EXPECT_EQ(m.weekday(), "星期二");
  EXPECT_EQ(m.lunar_date(), "癸卯年十二月二十");
  EXPECT_EQ(m.issue_number(), 11936U);
  EXPECT_EQ(m.page_count(), 8U);
  ASSERT_EQ(m.pages_size(), 1);
  EXPECT_EQ(m.pages(0), 1U);
  EXPECT_EQ(m.source_name(), "changji-daily-2024-01-30-p1.txt");
  EXPECT_EQ(m.splitter_version(), splitter_version);
  EXPECT_FALSE(m.has_published_at());
}

TEST_F(Fixture, ManifestListsIdsAndHashesInOrder) {
  const auto& m = result_->manifest;
  ASSERT_EQ(m.article_ids_size(), 5);
  ASSERT_EQ(m.article_hashes_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(m.article_ids(i), "cjrb-20240130-01-0" + std::to_string(i + 1));
    EXPECT_EQ(m.article_ids(i), article(i).id());
    EXPECT_EQ(m.article_hashes(i), article(i).content_sha256());
    EXPECT_EQ(article(i).content_sha256().size(), 64U);
    EXPECT_FALSE(article(i).has_published_at());
  }
  // sha256sum of the fixture file.
  EXPECT_EQ(m.source_sha256(), "c97a95aaf1f7b28d475f2400e643057fb49c53b590339e4160d46d4376fac779");
}

TEST_F(Fixture, KickersComeFromMarkedLines) {
  EXPECT_EQ(article(0).kicker(), "典范地州·典范行动");  // `»)典范地州·典范行动`
  EXPECT_EQ(article(1).kicker(), "");
  EXPECT_EQ(article(2).kicker(), "落实安全责任 推动安全发展");  // `(>>) 落实安全责任 推动安全发展`
  EXPECT_EQ(article(3).kicker(), "新春走基层");
}

TEST_F(Fixture, BylinesAndDatelinesGiveContributorsWithRoles) {
  ASSERT_EQ(article(2).contributors_size(), 2);
  EXPECT_EQ(article(2).contributors(0).name(), "杨鹤");
  EXPECT_EQ(article(2).contributors(0).role(), Contributor::REPORTER);
  EXPECT_EQ(article(2).contributors(1).name(), "毛著魏");  // `毛著 魏`: a split name rejoined
  EXPECT_EQ(article(2).contributors(1).role(), Contributor::CORRESPONDENT);
  EXPECT_TRUE(article(1).dateline_lead());
  EXPECT_TRUE(article(2).dateline_lead());
  EXPECT_TRUE(article(4).dateline_lead());
  EXPECT_FALSE(article(0).dateline_lead());
  EXPECT_FALSE(article(3).dateline_lead());
  // The dateline is taken off the lead paragraph.
  EXPECT_EQ(article(4).blocks(0).text().rfind("1月25日,主题为", 0), 0U);
}

TEST_F(Fixture, SubheadsAndEditorNote) {
  std::vector<std::string> subheads;
  for (const auto& b : article(0).blocks()) {
    if (b.kind() == Block::SUBHEAD) subheads.push_back(b.text());
  }
  EXPECT_EQ(subheads, (std::vector<std::string>{"创新驱动", "产业成链", "全局谋势"}));
  ASSERT_GT(article(3).blocks_size(), 0);
  EXPECT_EQ(article(3).blocks(0).kind(), Block::EDITOR_NOTE);
  EXPECT_EQ(article(3).blocks(0).text().rfind("2024年新春佳节将至,为深入报道", 0), 0U);
}

TEST_F(Fixture, CaptionDroppedIntoAParagraphIsTakenOutAndTheParagraphRejoined) {
  const Article& a = article(3);
  ASSERT_EQ(a.photos_size(), 1);
  EXPECT_EQ(a.photos(0).caption(), "新疆天山面粉小麦食品加工产业园区内,工人正在包装面粉");
  EXPECT_EQ(a.photos(0).credit(), "本报记者 杨鹤");
  EXPECT_EQ(a.photos(0).after_block(), 5U);
  EXPECT_NE(a.blocks(4).text().find("企业引进一流全套配麦、配粉技术设备"), std::string::npos);
  for (const auto& b : a.blocks()) EXPECT_EQ(b.text().find("包装面粉"), std::string::npos) << b.text();
  bool photographer = false;
  for (const auto& c : a.contributors())
    photographer |= c.name() == "杨鹤" && c.role() == Contributor::PHOTOGRAPHER;
  EXPECT_TRUE(photographer);
}

TEST_F(Fixture, ParagraphsCutByABlankLineMidSentenceAreRejoined) {
  auto has = [](const Article& a, std::string_view text) {
    for (const auto& b : a.blocks()) {
      if (b.text().find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(article(0), "优质小麦品种推广率达75%以上。"));
  EXPECT_TRUE(has(article(2), "对标准化示范班组及班组长进行表彰奖励"));
  EXPECT_TRUE(has(article(3), "1公斤、2公斤、5公斤、10公斤"));
  EXPECT_TRUE(has(article(3), "在新疆小麦种植黄金区遴选种植基地"));
  EXPECT_TRUE(has(article(4), "开展研学交流活动,共谋发展,合作共赢。"));
  // A paragraph ending `…朱佰鑫说。` ends a sentence: not joined to the next.
  EXPECT_TRUE(ends_with_text(article(3).blocks(2).text(), "技术总工、生产车间负责人朱佰鑫说。"));
  EXPECT_EQ(article(3).blocks(3).text().rfind("据了解,天山面粉日处理1300吨小麦生产线", 0), 0U);
}

TEST_F(Fixture, ColumnWrapSpacesAreRemovedFromChineseText) {
  for (const auto& a : result_->articles) {
    for (const auto& b : a.blocks()) {
      EXPECT_EQ(b.text().find("现 代化"), std::string::npos);
      EXPECT_EQ(b.text().find(" "), std::string::npos) << b.text();  // the fixture has no Latin phrases
    }
  }
  EXPECT_NE(article(0).blocks(1).text().find("扎实推进中国式现代化新疆实践"), std::string::npos);
}

TEST_F(Fixture, GarbledDuplicateLineIsDroppedWithAWarning) {
  const auto& m = result_->manifest;
  ASSERT_EQ(m.warnings_size(), 1);
  EXPECT_EQ(m.warnings(0).line(), 127U);
  EXPECT_EQ(m.warnings(0).text(), "不思工、生产年间负责人朱佰鑫说。");
  EXPECT_NE(m.warnings(0).reason().find("garbled"), std::string::npos);
  for (const auto& a : result_->articles) {
    for (const auto& b : a.blocks()) EXPECT_EQ(b.text().find("不思工"), std::string::npos);
  }
}

TEST_F(Fixture, IssueFieldsOnEveryArticle) {
  for (const auto& a : result_->articles) {
    EXPECT_EQ(a.language(), "zh-Hans");
    EXPECT_EQ(a.paper(), "cjrb");
    EXPECT_EQ(a.issue_date(), "2024-01-30");
    EXPECT_EQ(a.issue_id(), "cjrb-20240130");
    EXPECT_EQ(a.page(), 1U);
    EXPECT_EQ(a.translation_of(), "");
  }
}

}  // namespace
