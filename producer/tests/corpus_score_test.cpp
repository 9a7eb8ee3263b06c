// The corpus scorer (issue 15): what it counts as found, right and wrong.
#include "corpus_score.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace syn::producer;

const char* const taiyuan_page =
    "太原晚报　2022年1月22日\n"
    "04版　关注降雪\n"
    "\n"
    "积雪行路难 社区忙清扫\n"
    "\n"
    "本报讯(记者 郭晓华 通讯员 张雪)1月21日,雪花飘然而至。当日上午,各社区开展扫雪活动。\n"
    "\n"
    "扫雪活动吸引了不少居民参与。虽然天气寒冷,但大家都觉得暖融融的。\n";

const char* const sample_truth = R"({
  "masthead": {"paper": "太原晚报", "date": "2022-01-22", "page": 4},
  "articles": [
    {"headline": "积雪行路难 社区忙清扫",
     "contributors": [{"name": "郭晓华", "role": "REPORTER"}, {"name": "张雪", "role": "CORRESPONDENT"}],
     "dateline": "本报讯", "datelineLead": true, "paragraphs": 2,
     "first": "1月21日,雪花飘然而至。", "last": "虽然天气寒冷,但大家都觉得暖融融的。"}
  ]
})";

TEST(CorpusScore, SentencesAndNormalisation) {
  EXPECT_EQ(corpus::first_sentence("他说:“好。”然后走了。"), "他说:“好。”");
  EXPECT_EQ(corpus::last_sentence("第一句。第二句!”"), "第二句!”");
  EXPECT_EQ(corpus::last_sentence("没有句号"), "没有句号");
  EXPECT_EQ(corpus::normalise(" 2008 年（一）\u3000A "), "2008年(一)A");
}

TEST(CorpusScore, ARightSplitScoresEveryField) {
  split_options o;
  o.paper_code = "tywb";
  const auto r = split_issue(taiyuan_page, o);
  const auto s = corpus::score_page(sample_truth, &r);
  EXPECT_EQ(s.truth_articles, 1U);
  EXPECT_EQ(s.predicted_articles, 1U);
  EXPECT_EQ(s.matched, 1U);
  EXPECT_EQ(s.all_fields().right, s.all_fields().total) << (s.notes.empty() ? "" : s.notes.front());
  EXPECT_EQ(s.all_fields().total, 11U + 3U);  // article fields + paper, date, page
}

TEST(CorpusScore, WrongFieldsAndSpuriousArticlesCount) {
  split_options o;
  o.paper_code = "tywb";
  auto r = split_issue(taiyuan_page, o);
  r.articles[0].set_kicker("多出来的引题");
  r.articles[0].mutable_contributors()->RemoveLast();
  r.articles.push_back(r.articles[0]);
  r.articles.back().set_headline("另一篇");
  r.articles.back().clear_blocks();
  const auto s = corpus::score_page(sample_truth, &r);
  EXPECT_EQ(s.matched, 1U);
  EXPECT_EQ(s.predicted_articles, 2U);
  EXPECT_DOUBLE_EQ(s.precision(), 0.5);
  EXPECT_EQ(s.fields.at("kicker").right, 0U);
  EXPECT_EQ(s.fields.at("contributors").right, 0U);
  EXPECT_EQ(s.fields.at("headline").right, 1U);
  EXPECT_EQ(s.all_fields().total - s.all_fields().right, 2U);
}

TEST(CorpusScore, ARefusedPageGetsNothingRight) {
  const auto s = corpus::score_page(sample_truth, nullptr, "no issue date");
  EXPECT_EQ(s.refused, 1U);
  EXPECT_EQ(s.matched, 0U);
  EXPECT_DOUBLE_EQ(s.recall(), 0.0);
  EXPECT_EQ(s.all_fields().right, 0U);
  EXPECT_EQ(s.all_fields().total, 11U + 3U);
}

}  // namespace
