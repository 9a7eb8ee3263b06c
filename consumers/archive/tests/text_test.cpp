// Pure helpers: validation, query terms, snippets, error classification.
#include "syn/archive/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sql_store.hpp"
#include "syn/archive/error.hpp"
#include "syn/archive/validate.hpp"

namespace syn::archive {
namespace {

TEST(Validate, Sha256HexIsSixtyFourLowercaseHexDigits) {
  EXPECT_TRUE(is_sha256_hex(std::string(64, 'a')));
  EXPECT_TRUE(is_sha256_hex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(65, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a') + "g"));
  EXPECT_FALSE(is_sha256_hex(""));
}

TEST(Validate, IsoDates) {
  EXPECT_TRUE(is_iso_date("2024-01-30"));
  EXPECT_TRUE(is_iso_date("2024-02-29"));
  EXPECT_FALSE(is_iso_date("2023-02-29"));
  EXPECT_TRUE(is_iso_date("2000-02-29"));
  EXPECT_FALSE(is_iso_date("1900-02-29"));
  EXPECT_FALSE(is_iso_date("2024-13-01"));
  EXPECT_FALSE(is_iso_date("2024-04-31"));
  EXPECT_FALSE(is_iso_date("2024-1-30"));
  EXPECT_FALSE(is_iso_date("2024/01/30"));
  EXPECT_FALSE(is_iso_date("2024-01-00"));
}

syndication::v1::Article valid_article() {
  syndication::v1::Article a;
  a.set_id("cjrb-20240130-01-01");
  a.set_headline("标题");
  a.set_content_sha256(std::string(64, 'e'));
  a.set_issue_date("2024-01-30");
  return a;
}

TEST(Validate, ArticleRules) {
  auto a = valid_article();
  EXPECT_FALSE(validate(a).has_value());
  a.set_id("cjrb 20240130");
  EXPECT_NE(validate(a).value().find("whitespace"), std::string::npos);
  a.set_id(std::string(300, 'x'));
  EXPECT_NE(validate(a).value().find("longer than"), std::string::npos);
  a = valid_article();
  a.set_headline("\t\n");
  EXPECT_NE(validate(a).value().find("headline is missing"), std::string::npos);
  a = valid_article();
  a.set_content_sha256("");
  EXPECT_NE(validate(a).value().find("content_sha256 is empty"), std::string::npos);
  a = valid_article();
  a.set_translation_of_sha256(std::string(64, 'f'));
  EXPECT_NE(validate(a).value().find("set together"), std::string::npos);
  a.set_translation_of("cjrb-20240130-01-01");
  EXPECT_NE(validate(a).value().find("translation of itself"), std::string::npos);
  a.set_id("cjrb-20240130-01-01.zh-Hant");
  EXPECT_FALSE(validate(a).has_value());
  a.set_translation_of_sha256("F");
  EXPECT_NE(validate(a).value().find("translation_of_sha256"), std::string::npos);
}

TEST(Validate, ManifestRules) {
  syndication::v1::IssueManifest m;
  m.set_issue_id("cjrb-20240130");
  m.set_source_sha256(std::string(64, '1'));
  EXPECT_FALSE(validate(m).has_value());
  m.add_article_ids("cjrb-20240130-01-01");
  EXPECT_NE(validate(m).value().find("1 article_ids but 0 article_hashes"), std::string::npos);
  m.add_article_hashes("zz");
  EXPECT_NE(validate(m).value().find("article_hashes[0]"), std::string::npos);
  m.set_article_hashes(0, std::string(64, '2'));
  EXPECT_FALSE(validate(m).has_value());
  m.set_source_sha256("");
  EXPECT_NE(validate(m).value().find("source_sha256 is empty"), std::string::npos);
  m.set_issue_id("");
  EXPECT_NE(validate(m).value().find("issue id is empty"), std::string::npos);
}

TEST(Text, QueryTermsSplitOnAsciiAndIdeographicSpaceWithoutDuplicates) {
  EXPECT_EQ(query_terms("  中国式现代化\u3000新疆  中国式现代化\tABC "),
            (std::vector<std::string>{"中国式现代化", "新疆", "ABC"}));
  EXPECT_TRUE(query_terms(" \u3000 ").empty());
}

TEST(Text, Utf8Length) {
  EXPECT_EQ(utf8_length("新疆"), 2U);
  EXPECT_EQ(utf8_length("a新b"), 3U);
  EXPECT_EQ(utf8_length("\xff\xfe"), 2U);
  EXPECT_EQ(utf8_length("𠮷"), 1U);
}

TEST(Text, SearchBodyHasEverySearchableFieldButTheHeadline) {
  syndication::v1::Article a;
  a.set_headline("标题");
  a.set_kicker("典范地州·典范行动");
  a.set_subheadline("副题");
  a.add_blocks()->set_text("第一段");
  a.add_blocks()->set_text("第二段");
  a.add_photos()->set_caption("图片说明");
  EXPECT_EQ(search_body(a), "典范地州·典范行动\n副题\n第一段\n第二段\n图片说明");
}

TEST(Text, SnippetMarksEveryMatchAroundTheFirst) {
  const std::vector<std::string> terms{"风光"};
  EXPECT_EQ(make_snippet("天山北麓的独特风光吸引游客", terms), "天山北麓的独特【风光】吸引游客");
  const std::string long_text = std::string(60, 'x') + "风光" + std::string(200, 'y') + "风光";
  const auto s = make_snippet(long_text, terms, 40);
  EXPECT_EQ(s.rfind("…", 0), 0U) << s;          // cut at the start
  EXPECT_EQ(s.substr(s.size() - 3), "…") << s;  // and at the end
  EXPECT_NE(s.find("【风光】"), std::string::npos) << s;
  EXPECT_EQ(utf8_length(s), 40U + 2 + 2) << s;  // 40 characters, two marks, two ellipses
  EXPECT_EQ(make_snippet("没有匹配", terms), "");
}

TEST(Text, SnippetPrefersTheLongestTermAndNeverCutsAMatch) {
  const std::vector<std::string> terms{"中国", "中国式现代化"};
  EXPECT_EQ(make_snippet("推进中国式现代化，中国", terms), "推进【中国式现代化】，【中国】");
  const std::vector<std::string> one{"现代化"};
  EXPECT_EQ(make_snippet("一二三四五现代化六七", one, 2), "…【现代化】…");
}

TEST(Text, SnippetIsAsciiCaseInsensitiveAndOnOneLine) {
  const std::vector<std::string> terms{"expo"};
  EXPECT_EQ(make_snippet("China-Eurasia\nExpo opened", terms), "China-Eurasia 【Expo】 opened");
}

TEST(Sql, LikePatternEscapesWildcards) {
  EXPECT_EQ(like_pattern("16.8%"), "%16.8\\%%");
  EXPECT_EQ(like_pattern("a_b\\c"), "%a\\_b\\\\c%");
  EXPECT_EQ(like_pattern("风光"), "%风光%");
}

TEST(Errors, RetriableAreTheDatabaseNotTheRecord) {
  EXPECT_TRUE(is_retriable(errc::unavailable));
  EXPECT_TRUE(is_retriable(errc::busy));
  EXPECT_TRUE(is_retriable(errc::storage));
  EXPECT_FALSE(is_retriable(errc::invalid_record));
  EXPECT_FALSE(is_retriable(errc::schema));
  EXPECT_FALSE(is_retriable(errc::read_only));
  EXPECT_FALSE(is_retriable(std::make_error_code(std::errc::timed_out)));
  const error e(errc::busy, "");
  EXPECT_EQ(e.to_string(), "archive: database busy");
  EXPECT_EQ(make_error_code(errc::not_found).message(), "not found");
}

}  // namespace
}  // namespace syn::archive
