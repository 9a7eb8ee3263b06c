// Issue 3, point 6: deterministic identity. Same input, same ids and hashes; the hash is over
// normalised text, so re-extracting the issue with different line wrapping keeps it; changing
// one character changes it.
#include <gtest/gtest.h>

#include "split/text.hpp"
#include "syn/contract/content_hash.hpp"
#include "test_support.hpp"

namespace {

using namespace syn::producer;
using syn::producer::testing::fixture;
using syn::producer::testing::split;
namespace detail = syn::producer::detail;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += lines[i];
  }
  return out;
}

/// Rewraps body paragraphs (lines past the masthead longer than 40 characters): from character
/// `first` on, every `every`-th character that sits between two Han characters gets `separator`
/// (a newline: a wrapped line; a space: a column-wrap space; a blank line: a paragraph cut
/// mid-sentence).
std::string rewrap(const std::string& text, std::size_t every, const std::string& separator,
                   std::size_t first = 0) {
  auto lines = lines_of(text);
  for (std::size_t n = 14; n < lines.size(); ++n) {
    std::string& line = lines[n];
    if (detail::visible_length(line) <= 40) continue;
    std::string out;
    std::size_t count = 0;
    char32_t prev = 0;
    for (std::size_t i = 0; i < line.size();) {
      const std::size_t at = i;
      const char32_t c = detail::next_cp(line, i);
      ++count;
      const bool due = count >= first && (count - first) % every == 0;
      if (due && detail::is_han(prev) && detail::is_han(c) && i < line.size()) out += separator;
      out.append(line, at, i - at);
      prev = c;
    }
    line = out;
  }
  return join(lines);
}

using syn::producer::testing::hashes;

std::vector<std::string> ids(const split_result& r) {
  return {r.manifest.article_ids().begin(), r.manifest.article_ids().end()};
}

TEST(Identity, SameInputSameIdsAndHashes) {
  const auto a = split(fixture());
  const auto b = split(fixture());
  EXPECT_EQ(ids(a), ids(b));
  EXPECT_EQ(hashes(a), hashes(b));
  EXPECT_EQ(to_json(a), to_json(b));
}

TEST(Identity, RewrappedLinesKeepTheHashes) {
  const auto base = split(fixture());
  for (std::size_t every : {7, 13, 29}) {
    const std::string wrapped = rewrap(fixture(), every, "\n");
    ASSERT_NE(wrapped, fixture());
    const auto r = split(wrapped);
    EXPECT_EQ(ids(r), ids(base)) << every;
    EXPECT_EQ(hashes(r), hashes(base)) << "wrapped every " << every;
    EXPECT_NE(r.manifest.source_sha256(), base.manifest.source_sha256());
  }
}

TEST(Identity, ColumnWrapSpacesKeepTheHashes) {
  const auto base = split(fixture());
  for (std::size_t every : {5, 11, 23}) {
    const auto r = split(rewrap(fixture(), every, " "));
    EXPECT_EQ(hashes(r), hashes(base)) << "space every " << every;
  }
}

TEST(Identity, ParagraphsCutByBlankLinesKeepTheHashes) {
  const auto base = split(fixture());
  // A column or page break cuts a paragraph after its first line or more: the first piece is
  // longer than a headline (40); the pieces after it may be any length.
  for (std::size_t every : {9, 31, 57}) {
    const auto r = split(rewrap(fixture(), every, "\n\n", 45));
    EXPECT_EQ(ids(r), ids(base));
    EXPECT_EQ(hashes(r), hashes(base)) << "cut every " << every;
  }
}

TEST(Identity, OneCharacterChangesOnlyThatArticlesHash) {
  std::string changed = fixture();
  const std::string from = "年生产能力达6000吨";  // article 1
  const auto at = changed.find(from);
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, from.size(), "年生产能力达6001吨");
  const auto base = split(fixture());
  const auto r = split(changed);
  EXPECT_NE(r.manifest.article_hashes(0), base.manifest.article_hashes(0));
  for (int i = 1; i < 5; ++i) EXPECT_EQ(r.manifest.article_hashes(i), base.manifest.article_hashes(i));
  EXPECT_EQ(ids(r), ids(base));
}

TEST(Identity, HeadlineAndContributorChangesChangeTheHash) {
  const auto base = split(fixture());
  std::string changed = fixture();
  changed.replace(changed.find("□本报记者 刘茜"), std::string("□本报记者 刘茜").size(), "□本报记者 刘倩");
  EXPECT_NE(split(changed).manifest.article_hashes(0), base.manifest.article_hashes(0));
}

TEST(Identity, HashIgnoresIdsPaperAndDate) {
  auto r = split(fixture());
  auto a = r.articles[0];
  const std::string h = syn::contract::content_sha256(a);
  a.set_id("x");
  a.set_paper("y");
  a.set_issue_date("2000-01-01");
  EXPECT_EQ(syn::contract::content_sha256(a), h);
  a.mutable_blocks(0)->set_text(a.blocks(0).text() + "。");
  EXPECT_NE(syn::contract::content_sha256(a), h);
}

TEST(Identity, LineEndingsAndEncodingDoNotChangeIdsOrHashes) {
  const auto base = split(fixture());
  std::string crlf;
  std::string cr;
  for (const char c : fixture()) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    cr += c == '\n' ? '\r' : c;
  }
  EXPECT_EQ(hashes(split(crlf)), hashes(base));
  EXPECT_EQ(hashes(split(cr)), hashes(base));
  EXPECT_EQ(hashes(split("\xEF\xBB\xBF" + fixture())), hashes(base));
}

TEST(Identity, IdsFollowTheContract) {
  split_options o = syn::producer::testing::options();
  o.page = 12;
  const auto r = split_issue(fixture(), o);
  EXPECT_EQ(r.articles[2].id(), "cjrb-20240130-12-03");
  EXPECT_EQ(r.articles[2].sequence(), 3U);
  EXPECT_EQ(r.articles[2].page(), 12U);
}

}  // namespace
