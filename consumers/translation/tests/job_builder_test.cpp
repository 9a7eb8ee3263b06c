#include "syn/translation/job_builder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace syn::translation {
namespace {

using syndication::v1::Article;
using syndication::v1::TranslationJob;
using test::fixed_now;
using test::opencc_config;
using test::sample_article;
using ::testing::ElementsAre;

std::vector<TranslationJob> jobs_for(const Article& a, const config::translation_config& cfg) {
  auto r = build_jobs(a, cfg, fixed_now());
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? r.value() : std::vector<TranslationJob>{};
}

std::vector<std::string> paths(const TranslationJob& job) {
  std::vector<std::string> out;
  for (const auto& s : job.segments()) out.push_back(s.path());
  return out;
}

TEST(CodePoints, CountsCharactersNotBytes) {
  EXPECT_EQ(code_points(""), 0U);
  EXPECT_EQ(code_points("abc"), 3U);
  EXPECT_EQ(code_points("中国式现代化"), 6U);
  EXPECT_EQ(code_points("A·中"), 3U);
  EXPECT_EQ(code_points("😀x"), 2U);  // one code point outside the BMP (4 bytes)
}

TEST(JobBuilder, SegmentsFollowArticleOrderAndSkipEmptyTexts) {
  const auto jobs = jobs_for(sample_article(), opencc_config());
  ASSERT_EQ(jobs.size(), 1U);
  // No subheadline, block 2 is empty: both left out; indexes stay those of the article.
  EXPECT_THAT(paths(jobs[0]), ElementsAre("kicker", "headline", "block/0", "block/1", "photo/0/caption"));
  EXPECT_EQ(jobs[0].segments(0).text(), "典范地州·典范行动");
  EXPECT_EQ(jobs[0].segments(3).text(), "创新驱动");
  EXPECT_EQ(jobs[0].segments(4).text(), "工人在生产线上组装鼠标");
}

TEST(JobBuilder, CharsAreCodePointsAndTotalIsTheirSum) {
  const auto job = jobs_for(sample_article(), opencc_config()).at(0);
  EXPECT_EQ(job.segments(0).chars(), 9U);   // 典范地州·典范行动
  EXPECT_EQ(job.segments(1).chars(), 13U);  // 昌吉州软件企业推出国产鼠标
  EXPECT_EQ(job.segments(3).chars(), 4U);   // 创新驱动
  std::uint32_t sum = 0;
  for (const auto& s : job.segments()) sum += s.chars();
  EXPECT_EQ(job.total_chars(), sum);
  EXPECT_EQ(job.total_chars(), 9U + 13U + 26U + 4U + 11U);
}

TEST(JobBuilder, IdsLinksAndEngine) {
  const auto a = sample_article();
  const auto job = jobs_for(a, opencc_config()).at(0);
  EXPECT_EQ(job.job_id(), "cjrb-20240130-01-03.zh-Hant@" + a.content_sha256().substr(0, 12));
  EXPECT_EQ(job.source_id(), "cjrb-20240130-01-03");
  EXPECT_EQ(job.source_sha256(), a.content_sha256());
  EXPECT_EQ(job.source_language(), "zh-Hans");
  EXPECT_EQ(job.target_language(), "zh-Hant");
  EXPECT_EQ(job.issue_id(), "cjrb-20240130");
  EXPECT_EQ(job.engine(), "opencc");
}

TEST(JobBuilder, SameRevisionGivesSameJobIdAndNewRevisionAnother) {
  auto a = sample_article();
  const auto first = jobs_for(a, opencc_config()).at(0);
  EXPECT_EQ(jobs_for(a, opencc_config()).at(0).job_id(), first.job_id());
  a.set_headline("昌吉州软件企业推出国产键盘");
  a.set_content_sha256(contract::content_sha256(a));
  EXPECT_NE(jobs_for(a, opencc_config()).at(0).job_id(), first.job_id());
}

TEST(JobBuilder, DeadlineIsNowPlusJobDeadline) {
  auto cfg = opencc_config();
  cfg.job_deadline = std::chrono::minutes(10);
  const auto job = jobs_for(sample_article(), cfg).at(0);
  EXPECT_EQ(job.created_at().seconds(), 1706601600);
  EXPECT_EQ(job.deadline().seconds(), 1706601600 + 600);
  EXPECT_FALSE(job_expired(job, fixed_now() + std::chrono::seconds(599)));
  EXPECT_TRUE(job_expired(job, fixed_now() + std::chrono::seconds(600)));
  EXPECT_FALSE(job_expired(TranslationJob{}, fixed_now()));  // no deadline: never expires
}

struct priority_case {
  std::uint32_t page;
  std::uint32_t sequence;
  int normal;
  int front_page;
  int expected;
};

void PrintTo(const priority_case& c, std::ostream* os) {
  *os << "page " << c.page << " sequence " << c.sequence << " normal " << c.normal << " front "
      << c.front_page;
}

class JobPriority : public ::testing::TestWithParam<priority_case> {};

TEST_P(JobPriority, FrontPageAndLeadArticlesFirst) {
  const auto& c = GetParam();
  Article a = sample_article();
  a.set_page(c.page);
  a.set_sequence(c.sequence);
  EXPECT_EQ(job_priority(a, {c.normal, c.front_page}), c.expected);
  auto cfg = opencc_config();
  cfg.priorities = {c.normal, c.front_page};
  EXPECT_EQ(jobs_for(a, cfg).at(0).priority(), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Table, JobPriority,
                         ::testing::Values(priority_case{1, 3, 5, 8, 8},   // front page
                                           priority_case{1, 1, 5, 8, 9},   // front-page lead
                                           priority_case{1, 1, 5, 9, 9},   // capped at 9
                                           priority_case{2, 4, 5, 8, 5},   // inside pages: normal
                                           priority_case{2, 1, 5, 8, 6},   // lead of another page input
                                           priority_case{3, 2, 0, 8, 0}),  // lowest
                         [](const ::testing::TestParamInfo<priority_case>& p) {
                           const auto& c = p.param;
                           return "page" + std::to_string(c.page) + "_seq" + std::to_string(c.sequence) +
                                  "_normal" + std::to_string(c.normal) + "_front" +
                                  std::to_string(c.front_page);
                         });

TEST(JobBuilder, TranslationsNeverProduceJobs) {
  Article a = sample_article();
  a.set_id("cjrb-20240130-01-03.zh-Hant");
  a.set_language("zh-Hant");
  a.set_translation_of("cjrb-20240130-01-03");
  EXPECT_TRUE(jobs_for(a, opencc_config()).empty());

  // Even one claiming zh-Hans: the translation link alone rules it out (no loops).
  a.set_language("zh-Hans");
  EXPECT_TRUE(jobs_for(a, opencc_config()).empty());
  a.clear_translation_of();
  a.set_translation_of_sha256(sample_article().content_sha256());
  EXPECT_TRUE(jobs_for(a, opencc_config()).empty());
}

TEST(JobBuilder, OnlySimplifiedChineseOriginalsAreTranslated) {
  Article a = sample_article();
  a.set_language("en");
  EXPECT_TRUE(jobs_for(a, opencc_config()).empty());
  a.set_language("");  // no language: a source article
  EXPECT_EQ(jobs_for(a, opencc_config()).size(), 1U);
  EXPECT_EQ(jobs_for(a, opencc_config()).at(0).source_language(), "zh-Hans");
  a.set_language("zh-hans");  // BCP 47 is case-insensitive
  EXPECT_EQ(jobs_for(a, opencc_config()).size(), 1U);
}

TEST(JobBuilder, OneJobPerMatchingTargetInConfigOrder) {
  auto cfg = opencc_config();
  config::translation_target en;
  en.language = "en";
  en.engine = config::translation_engine::http;
  en.url = "http://127.0.0.1:5000/translate";
  cfg.targets.push_back(en);
  config::translation_target ja = en;
  ja.language = "ja";
  ja.rules.pages = {2};  // not this article
  cfg.targets.push_back(ja);

  const auto jobs = jobs_for(sample_article(), cfg);
  ASSERT_EQ(jobs.size(), 2U);
  EXPECT_EQ(jobs[0].target_language(), "zh-Hant");
  EXPECT_EQ(jobs[0].engine(), "opencc");
  EXPECT_EQ(jobs[1].target_language(), "en");
  EXPECT_EQ(jobs[1].engine(), "http");
  EXPECT_EQ(jobs[1].job_id().substr(0, 23), "cjrb-20240130-01-03.en@");
}

TEST(RouteRules, EmptyRulesMatchEverything) { EXPECT_TRUE(route_matches(sample_article(), {})); }

TEST(RouteRules, PapersPagesOrWithinList) {
  const Article a = sample_article();
  config::route_rules r;
  r.papers = {"xjrb", "cjrb"};
  EXPECT_TRUE(route_matches(a, r));
  r.papers = {"xjrb"};
  EXPECT_FALSE(route_matches(a, r));
  r = {};
  r.pages = {2, 1};
  EXPECT_TRUE(route_matches(a, r));
  r.pages = {2, 3};
  EXPECT_FALSE(route_matches(a, r));
}

TEST(RouteRules, KickersCompareNormalised) {
  const Article a = sample_article();
  config::route_rules r;
  r.kickers = {"典范地州 • 典范行动"};  // other middle dot, spaces
  EXPECT_TRUE(route_matches(a, r));
  r.kickers = {"典范地州"};  // whole kicker only
  EXPECT_FALSE(route_matches(a, r));
}

TEST(RouteRules, HeadlineKeywordsAreSubstrings) {
  const Article a = sample_article();
  config::route_rules r;
  r.headline_keywords = {"农业", "鼠标"};
  EXPECT_TRUE(route_matches(a, r));
  r.headline_keywords = {"农业"};
  EXPECT_FALSE(route_matches(a, r));
  r.headline_keywords = {""};  // an empty keyword matches nothing
  EXPECT_FALSE(route_matches(a, r));
}

TEST(RouteRules, LanguagesBySubtag) {
  const Article a = sample_article();
  config::route_rules r;
  r.languages = {"zh"};
  EXPECT_TRUE(route_matches(a, r));
  r.languages = {"zh-Hant", "en"};
  EXPECT_FALSE(route_matches(a, r));
  EXPECT_TRUE(language_matches("ZH-hans", "zh-Hans"));
  EXPECT_FALSE(language_matches("zh", "zho"));
  EXPECT_TRUE(language_matches("zh-Hans", ""));
}

TEST(RouteRules, AndAcrossLists) {
  const Article a = sample_article();
  config::route_rules r;
  r.papers = {"cjrb"};
  r.pages = {1};
  r.headline_keywords = {"软件"};
  EXPECT_TRUE(route_matches(a, r));
  r.pages = {4};
  EXPECT_FALSE(route_matches(a, r));

  auto cfg = opencc_config();
  cfg.targets[0].rules = r;
  EXPECT_TRUE(jobs_for(a, cfg).empty());
}

TEST(JobBuilder, OriginalWithoutIdOrWithBadHashIsInvalid) {
  Article a = sample_article();
  a.clear_id();
  auto r = build_jobs(a, opencc_config(), fixed_now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_article);
  EXPECT_FALSE(r.error().retriable());

  a = sample_article();
  a.set_content_sha256("ABC");
  r = build_jobs(a, opencc_config(), fixed_now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_article);
  EXPECT_NE(r.error().message().find("cjrb-20240130-01-03"), std::string::npos);
}

// Regression (reliability scenario 4): an article without text was skipped silently by
// `consume translation` while the archive and feed dead-lettered it.
TEST(JobBuilder, ArticleWithoutTextIsInvalidNotSkipped) {
  Article a = sample_article();
  a.clear_kicker();
  a.clear_headline();
  a.clear_blocks();
  a.clear_photos();
  auto r = build_jobs(a, opencc_config(), fixed_now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_article);
  EXPECT_FALSE(r.error().retriable());
  EXPECT_NE(r.error().message().find("has no text"), std::string::npos) << r.error().message();
}

TEST(SegmentPath, ParsesWhatTheBuilderWrites) {
  for (const std::string p :
       {"kicker", "headline", "subheadline", "block/0", "block/12", "photo/3/caption"}) {
    const auto parsed = parse_segment_path(p);
    ASSERT_TRUE(parsed) << p;
    EXPECT_EQ(to_string(*parsed), p);
  }
  for (const std::string p : {"", "block", "block/", "block/01", "block/-1", "block/1x", "photo/1/credit",
                              "photo//caption", "photo/1", "Headline", "contributors/0"}) {
    EXPECT_FALSE(parse_segment_path(p)) << p;
  }
}

// The feed's routing_test has the same case: a kicker rule with a thin space (U+2009) or a
// zero-width space (U+200B) routes the same in the feed and in translation (syn::routing).
TEST(RouteRules, KickerRuleWithThinOrZeroWidthSpaceMatchesLikeTheFeed) {
  Article a = sample_article();
  a.set_kicker("典范地州·典范行动");
  config::route_rules r;
  r.kickers = {"典范地州\u2009·\u2009典范行动"};
  EXPECT_TRUE(route_matches(a, r));
  r.kickers = {"典范\u200B地州·典范行动"};
  EXPECT_TRUE(route_matches(a, r));
  r.kickers = {"典范\u2009地州"};
  EXPECT_FALSE(route_matches(a, r));
}

}  // namespace
}  // namespace syn::translation
