// Issue 3, point 5: input handling. UTF-8 with or without BOM, GB18030/GBK, CRLF and CR;
// empty, binary, invalid or truncated UTF-8 and text without articles are one clear error
// naming the file (and the line where one applies).
#include <gtest/gtest.h>
#include <iconv.h>

#include <cstdint>

#include "split/decode.hpp"
#include "test_support.hpp"

using namespace std::string_literals;

namespace {

using namespace syn::producer;

using syn::producer::testing::hashes;

using syn::producer::testing::fixture;
using syn::producer::testing::split;

/// The error `split_issue` throws for `bytes`, named `name`.
split_error error_of(const std::string& bytes, const std::string& name = "bad.txt") {
  try {
    split(bytes, name);
  } catch (const split_error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return split_error(name, 0, "none");
}

std::string to_gb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1)));
  std::string out(utf8.size() * 2, '\0');
  char* in = const_cast<char*>(utf8.data());
  std::size_t in_left = utf8.size();
  char* dst = out.data();
  std::size_t out_left = out.size();
  EXPECT_NE(iconv(cd, &in, &in_left, &dst, &out_left), static_cast<std::size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

TEST(Input, Utf8WithAndWithoutBom) {
  const auto plain = split(fixture());
  const auto bom = split("\xEF\xBB\xBF" + fixture());
  EXPECT_EQ(plain.articles.size(), 5U);
  EXPECT_EQ(hashes(bom), hashes(plain));
}

TEST(Input, Gb18030IsDetectedAndConverted) {
  const std::string gb = to_gb18030(fixture());
  ASSERT_EQ(gb.find("昌吉"), std::string::npos);
  const auto r = split(gb);
  const auto base = split(fixture());
  ASSERT_EQ(r.articles.size(), 5U);
  EXPECT_EQ(r.articles[3].headline(), "天山面粉:做好小麦精深加工转化 生产新疆绿色面粉");
  EXPECT_EQ(hashes(r), hashes(base));
  EXPECT_EQ(r.manifest.warnings(0).line(), 127U);  // line numbers survive conversion
  EXPECT_NE(r.manifest.source_sha256(), base.manifest.source_sha256());
}

TEST(Input, CrlfAndCrLineEnds) {
  std::string crlf;
  std::string cr;
  for (const char c : fixture()) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    cr += c == '\n' ? '\r' : c;
  }
  for (const auto* text : {&crlf, &cr}) {
    const auto r = split(*text);
    ASSERT_EQ(r.articles.size(), 5U);
    EXPECT_EQ(r.manifest.warnings(0).line(), 127U);
    EXPECT_EQ(r.articles[2].contributors(1).name(), "毛著魏");
  }
}

TEST(Input, DecoderSplitsMixedLineEnds) {
  const auto d = detail::decode_input("a\r\nb\rc\nd", "x");
  ASSERT_EQ(d.lines.size(), 4U);
  EXPECT_EQ(d.lines[1].text, "b");
  EXPECT_EQ(d.lines[3].number, 4U);
  EXPECT_EQ(d.encoding, "UTF-8");
}

TEST(Input, EmptyInputIsAnErrorNamingTheFile) {
  for (const std::string& bytes : {std::string(), std::string("\n\n  \r\n"), std::string("\xEF\xBB\xBF"),
                                   std::string("\xEF\xBB\xBF \n")}) {
    const auto e = error_of(bytes, "empty.txt");
    EXPECT_STREQ(e.what(), "empty.txt: empty input: no issue text");
    EXPECT_EQ(e.line(), 0U);
    EXPECT_EQ(e.source(), "empty.txt");
  }
}

TEST(Input, BinaryInputIsAnErrorWithTheLine) {
  std::string bytes = "line one\nline two\nab\0cd"s;
  const auto e = error_of(bytes, "blob.bin");
  EXPECT_STREQ(e.what(), "blob.bin:3: binary input (NUL byte), not issue text");
  EXPECT_EQ(e.line(), 3U);
  std::string controls(200, '\x01');
  EXPECT_NE(std::string(error_of(controls).what()).find("binary input"), std::string::npos);
}

TEST(Input, InvalidUtf8IsAnErrorWithTheLine) {
  std::string bytes = fixture();
  std::size_t at = 0;
  for (int line = 1; line < 49; ++line) at = bytes.find('\n', at) + 1;
  bytes.insert(at + 3, "\xFF");  // after the first character of line 49
  const auto e = error_of(bytes, "issue.txt");
  EXPECT_EQ(e.line(), 49U);
  EXPECT_STREQ(e.what(), "issue.txt:49: invalid UTF-8 (byte 0xFF)");
}

TEST(Input, TruncatedUtf8IsAnError) {
  std::string bytes = fixture();
  while (!bytes.empty() && bytes.back() == '\n') bytes.pop_back();
  bytes.pop_back();  // cut the last character (3 bytes) after its first two bytes
  const auto e = error_of(bytes, "cut.txt");
  EXPECT_EQ(e.line(), 169U);
  EXPECT_STREQ(e.what(), "cut.txt:169: truncated UTF-8 sequence at end of input");
}

TEST(Input, OverlongAndSurrogateSequencesAreInvalid) {
  EXPECT_EQ(detail::find_invalid_utf8("ok\xC0\xAF"), 2U);
  EXPECT_EQ(detail::find_invalid_utf8("\xED\xA0\x80"), 0U);
  EXPECT_EQ(detail::find_invalid_utf8("\xF4\x90\x80\x80"), 0U);
  EXPECT_EQ(detail::find_invalid_utf8("中文"), std::string::npos);
}

TEST(Input, NotUtf8NorGb18030) {
  const auto e = error_of("caf\xE9 au lait\n", "latin1.txt");
  EXPECT_EQ(e.line(), 1U);
  EXPECT_NE(std::string(e.what()).find("latin1.txt:1: "), std::string::npos);
}

TEST(Input, TextWithoutArticlesIsAnError) {
  for (const std::string& bytes :
       {std::string("hello world\n"), std::string("2024年1月30日 星期二\n"), std::string("只有一个标题\n")}) {
    const auto e = error_of(bytes, "none.txt");
    EXPECT_NE(std::string(e.what()).find("none.txt: no recognisable article"), std::string::npos) << e.what();
  }
}

TEST(Input, TooLargeIsAnError) {
  const std::string big(max_input_bytes + 1, 'a');
  EXPECT_NE(std::string(error_of(big).what()).find("input too large"), std::string::npos);
}

TEST(Input, Utf16WithBomIsConverted) {
  // "标题\n\n正文内容。\n" in UTF-16LE with BOM, then a date override (no masthead).
  const std::string text = "\xFF\xFE\x07\x68\x98\x98\n\0\n\0\x63\x6B\x87\x65\x85\x51\xB9\x5B\x02\x30\n\0"s;
  split_options o = syn::producer::testing::options();
  o.issue_date = "2024-02-01";
  o.paper_code = "test";
  const auto r = split_issue(text, o);
  ASSERT_EQ(r.articles.size(), 1U);
  EXPECT_EQ(r.articles[0].headline(), "标题");
  EXPECT_EQ(r.articles[0].blocks(0).text(), "正文内容。");
}

}  // namespace
