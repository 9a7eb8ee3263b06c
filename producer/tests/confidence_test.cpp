// Confidence (issue 15, item 4): per article and per issue, with the reasons in the warnings.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.hpp"

namespace {

using namespace syn::producer;
using namespace syn::producer::testing;

TEST(Confidence, TheFixtureIsReadWithConfidence) {
  const auto r = split(fixture());
  float lowest = 1.0F;
  for (const auto& a : r.articles) {
    EXPECT_GE(a.confidence(), 0.8F) << a.headline();
    EXPECT_LE(a.confidence(), 1.0F);
    lowest = std::min(lowest, a.confidence());
  }
  EXPECT_FLOAT_EQ(r.manifest.confidence(), lowest);
  // Only the garbled OCR line is a warning: no article is doubtful enough to name.
  ASSERT_EQ(r.manifest.warnings_size(), 1);
}

TEST(Confidence, GuessesLowerItAndAreNamed) {
  // No byline, no dateline; the second headline is only recognised by its length, and the last
  // paragraph ends mid-sentence.
  const std::string page =
      "测试日报\n2024年3月1日\n\n"
      "第一篇的标题\n\n"
      "本报讯(记者 王磊)3月1日,全区春播物资储备充足,能够满足春耕生产需要。\n\n"
      "全区农机具检修工作已于2月底全面完成,共检修各类农机具3.2万台。\n\n"
      "城区春季义务植树活动今日在城北生态公园启动\n\n"
      "来自机关、企业、学校的1200余名志愿者挥锹培土,栽下榆树、白蜡等苗木8000余株,进一步\n";
  split_options o;
  o.paper_code = "csrb";
  const auto r = split_issue(page, o);
  ASSERT_EQ(r.articles.size(), 2U);
  EXPECT_FLOAT_EQ(r.articles[0].confidence(), 1.0F);
  // 0.8 (length) x 0.85 (no byline or dateline) x 0.8 (mid-sentence) = 0.544
  EXPECT_FLOAT_EQ(r.articles[1].confidence(), 0.54F);
  EXPECT_FLOAT_EQ(r.manifest.confidence(), 0.54F);
  bool named = false;
  for (const auto& w : r.manifest.warnings()) {
    if (w.text() != r.articles[1].headline()) continue;
    named = true;
    EXPECT_NE(w.reason().find("low confidence 0.54"), std::string::npos) << w.reason();
    EXPECT_NE(w.reason().find("length only"), std::string::npos);
    EXPECT_NE(w.reason().find("mid-sentence"), std::string::npos);
    EXPECT_NE(w.reason().find("no byline"), std::string::npos);
  }
  EXPECT_TRUE(named);
}

TEST(Confidence, AnIssueWithoutItsOwnDateIsLessSure) {
  const std::string page =
      "标题在这里\n\n本报讯(记者 "
      "王磊)3月1日,记者从地区农业农村局获悉,全区春播物资储备充足,能够满足春耕生产需要。\n";
  split_options o;
  o.paper_code = "csrb";
  o.issue_date = "2024-03-01";
  const auto r = split_issue(page, o);
  ASSERT_EQ(r.articles.size(), 1U);
  EXPECT_FLOAT_EQ(r.articles[0].confidence(), 1.0F);
  EXPECT_LT(r.manifest.confidence(), 0.85F);  // no paper name and no date in the masthead
  EXPECT_GE(r.manifest.warnings_size(), 2);
}

}  // namespace
