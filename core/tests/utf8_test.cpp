#include "syn/core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace u = syn::utf8;

namespace {

/// Every character of `s` as (code point, bytes), walking forwards.
std::vector<u::decoded> walk(std::string_view s) {
  std::vector<u::decoded> out;
  for (std::size_t i = 0; i < s.size();) {
    out.push_back(u::decode_at(s, i));
    i += out.back().bytes;
  }
  return out;
}

}  // namespace

TEST(Utf8, DecodesAsciiAndTwoThreeFourByteSequences) {
  const auto d = walk("a\xC3\xA9\xE4\xB8\xAD\xF0\xA0\xAE\xB7");  // a é 中 𠮷
  ASSERT_EQ(d.size(), 4U);
  EXPECT_EQ(d[0].cp, U'a');
  EXPECT_EQ(d[0].bytes, 1U);
  EXPECT_EQ(d[1].cp, 0xE9U);
  EXPECT_EQ(d[1].bytes, 2U);
  EXPECT_EQ(d[2].cp, 0x4E2DU);
  EXPECT_EQ(d[2].bytes, 3U);
  EXPECT_EQ(d[3].cp, 0x20BB7U);
  EXPECT_EQ(d[3].bytes, 4U);
  // The limits of each length.
  EXPECT_EQ(u::decode_at("\x7F", 0).cp, 0x7FU);
  EXPECT_EQ(u::decode_at("\xC2\x80", 0).cp, 0x80U);
  EXPECT_EQ(u::decode_at("\xDF\xBF", 0).cp, 0x7FFU);
  EXPECT_EQ(u::decode_at("\xE0\xA0\x80", 0).cp, 0x800U);
  EXPECT_EQ(u::decode_at("\xEF\xBF\xBF", 0).cp, 0xFFFFU);
  EXPECT_EQ(u::decode_at("\xF0\x90\x80\x80", 0).cp, 0x10000U);
  EXPECT_EQ(u::decode_at("\xF4\x8F\xBF\xBF", 0).cp, 0x10FFFFU);
}

TEST(Utf8, InvalidBytesDecodeAsReplacementOverOneByte) {
  for (std::string_view bad : {std::string_view("\x80"), std::string_view("\xBF"), std::string_view("\xFF"),
                               std::string_view("\xF8\x88\x80\x80\x80"),  // 5-byte lead
                               std::string_view("\xC0\xAF"),              // overlong '/'
                               std::string_view("\xE0\x80\xAF"),          // overlong '/'
                               std::string_view("\xF0\x80\x80\xAF"),      // overlong '/'
                               std::string_view("\xED\xA0\x80"),          // UTF-16 surrogate
                               std::string_view("\xF4\x90\x80\x80"),      // past U+10FFFF
                               std::string_view("\xC3\x41")}) {           // lead without continuation
    const auto d = u::decode_at(bad, 0);
    EXPECT_EQ(d.cp, u::replacement) << testing::PrintToString(std::string(bad));
    EXPECT_EQ(d.bytes, 1U) << testing::PrintToString(std::string(bad));
    EXPECT_TRUE(u::is_invalid(d));
    EXPECT_FALSE(u::valid(bad));
  }
  // A U+FFFD written in the text is a character, not an invalid byte.
  EXPECT_FALSE(u::is_invalid(u::decode_at("\xEF\xBF\xBD", 0)));
  EXPECT_TRUE(u::valid("\xEF\xBF\xBD"));
}

TEST(Utf8, TruncatedSequencesAreInvalidAndTheWalkGoesOn) {
  for (std::string_view cut :
       {std::string_view("\xC3"), std::string_view("\xE4\xB8"), std::string_view("\xF0\xA0\xAE")}) {
    EXPECT_FALSE(u::valid(cut));
    const auto d = walk(cut);
    ASSERT_EQ(d.size(), cut.size());  // the lead and each orphan continuation: one U+FFFD each
    for (const auto& c : d) EXPECT_TRUE(u::is_invalid(c));
  }
  // Truncated in the middle of the text: the next character still decodes.
  const auto d = walk("\xE4\xB8z");
  ASSERT_EQ(d.size(), 3U);
  EXPECT_EQ(d[2].cp, U'z');
}

TEST(Utf8, ValidAndSanitize) {
  EXPECT_TRUE(u::valid(""));
  EXPECT_TRUE(u::valid("plain ASCII, longer than eight bytes"));
  EXPECT_TRUE(u::valid("昌吉𠮷 é"));
  EXPECT_FALSE(u::valid("eight+ ASCII bytes then \xE6\x98"));
  EXPECT_EQ(u::sanitize("a\xFFz"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(u::sanitize("\xE4\xB8"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(u::sanitize("中文"), "中文");
  EXPECT_TRUE(u::valid(u::sanitize("\xC0\xAF\xED\xA0\x80x\xF0")));
}

TEST(Utf8, AppendEncodesEachLength) {
  std::string out;
  for (char32_t cp :
       {char32_t{'a'}, char32_t{0x7F}, char32_t{0x80}, char32_t{0xE9}, char32_t{0x7FF}, char32_t{0x800},
        char32_t{0x4E2D}, char32_t{0xFFFD}, char32_t{0x10000}, char32_t{0x20BB7}, char32_t{0x10FFFF}}) {
    out.clear();
    u::append(out, cp);
    const auto d = u::decode_at(out, 0);
    EXPECT_EQ(d.cp, cp);
    EXPECT_EQ(d.bytes, out.size());
  }
  out.clear();
  u::append(out, 0x4E2D);
  EXPECT_EQ(out, "中");
}

TEST(Utf8, CountCountsCharacters) {
  EXPECT_EQ(u::count(""), 0U);
  EXPECT_EQ(u::count("abcdefghij"), 10U);
  EXPECT_EQ(u::count("a\xC3\xA9中𠮷"), 4U);
  EXPECT_EQ(u::count("ASCII run of many bytes 中文"), 26U);
  EXPECT_EQ(u::count("\xE4\xB8"), 2U);  // truncated: one per byte
  EXPECT_EQ(u::count("a\xFF"), 2U);
}

TEST(Utf8, NextAndPrevWalkTheSameCharacters) {
  const std::string_view s = "a\xC3\xA9中\xFF𠮷";
  std::vector<char32_t> fwd;
  for (std::size_t i = 0; i < s.size();) fwd.push_back(u::next(s, i));
  std::vector<char32_t> back;
  for (std::size_t end = s.size(); end > 0;) back.insert(back.begin(), u::prev(s, end));
  EXPECT_EQ(fwd, (std::vector<char32_t>{U'a', 0xE9, 0x4E2D, u::replacement, 0x20BB7}));
  EXPECT_EQ(back, fwd);
  std::size_t start = 0;
  EXPECT_EQ(u::prev(s, start), 0U);
  EXPECT_EQ(start, 0U);
  // A continuation byte that ends no sequence steps back one byte.
  std::size_t end = 2;
  EXPECT_EQ(u::prev("a\x80", end), u::replacement);
  EXPECT_EQ(end, 1U);
}

TEST(Utf8, NextStepsAsDecodeAtDoes) {
  // next() has a fast path for three-byte sequences; it must agree with decode_at on every input.
  for (std::string_view s :
       {std::string_view("中文，ok"), std::string_view("\xE0\x80\xAF"),      // overlong
        std::string_view("\xE0\xA0\x80"), std::string_view("\xED\xA0\x80"),  // surrogate
        std::string_view("\xED\x9F\xBF"), std::string_view("\xEF\xBF\xBF"), std::string_view("\xE4\xB8"),
        std::string_view("\xE4\x41\x41"), std::string_view("\xF0\xA0\xAE\xB7\xC3\xA9")}) {
    const auto d = walk(s);
    std::size_t i = 0;
    for (const auto& c : d) {
      ASSERT_LT(i, s.size());
      const std::size_t at = i;
      EXPECT_EQ(u::next(s, i), c.cp) << testing::PrintToString(std::string(s)) << " at " << at;
      EXPECT_EQ(i - at, c.bytes) << testing::PrintToString(std::string(s)) << " at " << at;
    }
    EXPECT_EQ(i, s.size());
  }
}

TEST(Utf8, PrefixBytesNeverCutsInsideASequence) {
  const std::string s = "a\xC3\xA9中𠮷z";  // boundaries at 0 1 3 6 10 11
  const std::vector<std::size_t> boundary_at_or_below = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11};
  for (std::size_t max = 0; max <= s.size(); ++max) {
    const auto p = u::prefix_bytes(s, max);
    EXPECT_EQ(p.size(), boundary_at_or_below[max]) << "max " << max;
    EXPECT_TRUE(u::valid(p)) << "max " << max;
  }
  EXPECT_EQ(u::prefix_bytes(s, 100), s);
  // Invalid bytes are single characters: a cut may fall right after any of them.
  EXPECT_EQ(u::prefix_bytes("\x80\x80\x80\x80\x80", 3), "\x80\x80\x80");
  EXPECT_EQ(u::prefix_bytes("\xE4\xB8z", 1), "\xE4");
}

TEST(Utf8, NormaliseLabelDropsSpacesUnifiesMiddleDotsAndLowerCases) {
  constexpr auto ascii_space = [](char32_t c) noexcept { return c == ' '; };
  constexpr auto ideographic_too = [](char32_t c) noexcept { return c == ' ' || c == 0x3000; };
  EXPECT_EQ(u::normalise_label("New York • 时报", ascii_space), "newyork·时报");
  EXPECT_EQ(u::normalise_label("A・B‧C･D∙E·F", ascii_space), "a·b·c·d·e·f");
  // What counts as a space is the caller's.
  EXPECT_EQ(u::normalise_label("两会\xE3\x80\x80快讯", ascii_space), "两会\xE3\x80\x80快讯");
  EXPECT_EQ(u::normalise_label("两会\xE3\x80\x80快讯", ideographic_too), "两会快讯");
  EXPECT_EQ(u::normalise_label("Ä\xFFZ", ascii_space), "Ä\xEF\xBF\xBDz");  // only ASCII is lower-cased
}
