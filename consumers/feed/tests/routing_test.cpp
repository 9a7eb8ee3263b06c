#include "syn/feed/routing.hpp"

#include <gtest/gtest.h>

using syn::config::feed_account;
using syn::config::route_rules;
using syndication::v1::Article;

namespace {

Article article(std::string paper, int page, std::string kicker, std::string headline,
                std::string lang = "zh-Hans") {
  Article a;
  a.set_id(paper + "-20240130-0" + std::to_string(page) + "-01");
  a.set_paper(std::move(paper));
  a.set_page(static_cast<std::uint32_t>(page));
  a.set_kicker(std::move(kicker));
  a.set_headline(std::move(headline));
  a.set_language(std::move(lang));
  return a;
}

feed_account account(std::string name, route_rules r, std::string lang = "zh-Hans") {
  feed_account a;
  a.name = std::move(name);
  a.language = std::move(lang);
  a.rules = std::move(r);
  return a;
}

}  // namespace

TEST(FeedRouting, EmptyRulesTakeEverythingInTheAccountLanguage) {
  const auto a = article("cjrb", 1, "", "昌吉州");
  EXPECT_TRUE(syn::feed::matches(a, {}, "zh-Hans"));
  EXPECT_FALSE(syn::feed::matches(a, {}, "zh-Hant"));
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "", "x", "zh-Hant"), {}, "zh-Hant"));
}

TEST(FeedRouting, ArticleWithoutLanguageCountsAsSimplified) {
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "", "x", ""), {}, "zh-Hans"));
}

TEST(FeedRouting, ListsAreAndedEntriesAreOred) {
  route_rules r;
  r.papers = {"cjrb", "bjrb"};
  r.pages = {1, 2};
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "", "x"), r, "zh-Hans"));
  EXPECT_TRUE(syn::feed::matches(article("bjrb", 2, "", "x"), r, "zh-Hans"));
  EXPECT_FALSE(syn::feed::matches(article("cjrb", 3, "", "x"), r, "zh-Hans"));  // page fails
  EXPECT_FALSE(syn::feed::matches(article("hxsb", 1, "", "x"), r, "zh-Hans"));  // paper fails
}

TEST(FeedRouting, KickersCompareAfterNormalisation) {
  route_rules r;
  r.kickers = {"典范地州·典范行动"};
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "典范地州 • 典范行动", "x"), r, "zh-Hans"));
  EXPECT_FALSE(syn::feed::matches(article("cjrb", 1, "落实安全责任 推动安全发展", "x"), r, "zh-Hans"));
  EXPECT_FALSE(syn::feed::matches(article("cjrb", 1, "", "x"), r, "zh-Hans"));
}

TEST(FeedRouting, HeadlineKeywordsAreSubstrings) {
  route_rules r;
  r.headline_keywords = {"高质量", "安全"};
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "", "打造高质量发展先行区"), r, "zh-Hans"));
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "", "守牢安全底线"), r, "zh-Hans"));
  EXPECT_FALSE(syn::feed::matches(article("cjrb", 1, "", "春节文艺演出"), r, "zh-Hans"));
  r.headline_keywords = {"AI"};
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "", "The ai boom"), r, "zh-Hans"));
}

TEST(FeedRouting, ExplicitLanguagesOverrideTheAccountLanguage) {
  route_rules r;
  r.languages = {"zh"};  // both scripts
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "", "x", "zh-Hans"), r, "zh-Hant"));
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "", "x", "zh-Hant"), r, "zh-Hant"));
  EXPECT_FALSE(syn::feed::matches(article("cjrb", 1, "", "x", "en"), r, "zh-Hant"));
}

TEST(FeedRouting, LanguageMatchesWholeSubtagsCaseInsensitively) {
  EXPECT_TRUE(syn::feed::language_matches("zh-hans", "zh-Hans"));
  EXPECT_TRUE(syn::feed::language_matches("zh", "zh-Hant"));
  EXPECT_FALSE(syn::feed::language_matches("zh-Hans", "zh-Hant"));
  EXPECT_FALSE(syn::feed::language_matches("zh", "zho"));
  EXPECT_FALSE(syn::feed::language_matches("", "zh-Hans"));
}

TEST(FeedRouting, RouteListsAccountsInConfigOrder) {
  route_rules front;
  front.pages = {1};
  const std::vector<feed_account> accounts{account("all", {}), account("front", front),
                                           account("hant", {}, "zh-Hant")};
  EXPECT_EQ(syn::feed::route(article("cjrb", 1, "", "x"), accounts), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(syn::feed::route(article("cjrb", 2, "", "x"), accounts), (std::vector<std::size_t>{0}));
  EXPECT_EQ(syn::feed::route(article("cjrb", 1, "", "x", "zh-Hant"), accounts),
            (std::vector<std::size_t>{2}));
}

// A kicker rule written with a thin space (U+2009) or a zero-width space (U+200B), as pasted from
// a layout program, routes as the kicker without them; translation routes the same (its
// job_builder_test has the same case): before both used syn::routing the feed kept these spaces.
TEST(FeedRouting, KickerRuleWithThinOrZeroWidthSpaceMatchesLikeTranslation) {
  const Article a = article("cjrb", 1, "典范地州·典范行动", "x");
  route_rules r;
  r.kickers = {"典范地州\u2009·\u2009典范行动"};
  EXPECT_TRUE(syn::feed::matches(a, r, "zh-Hans"));
  r.kickers = {"典范\u200B地州·典范行动"};
  EXPECT_TRUE(syn::feed::matches(a, r, "zh-Hans"));
  EXPECT_TRUE(syn::feed::matches(article("cjrb", 1, "典范地州\u205F·典范行动\uFEFF", "x"), r, "zh-Hans"));
  r.kickers = {"典范\u2009地州"};  // still the whole kicker only
  EXPECT_FALSE(syn::feed::matches(a, r, "zh-Hans"));
}
