#include "syn/feed/text.hpp"

#include <gtest/gtest.h>

namespace t = syn::feed::text;

TEST(FeedText, CountsBmpAsOneAndSupplementaryAsTwo) {
  EXPECT_EQ(t::wechat_length(""), 0U);
  EXPECT_EQ(t::wechat_length("abc"), 3U);
  EXPECT_EQ(t::wechat_length("昌吉日报"), 4U);
  EXPECT_EQ(t::wechat_length("，。！"), 3U);
  EXPECT_EQ(t::wechat_length("𠮷"), 2U);  // CJK Extension B, U+20BB7
  EXPECT_EQ(t::wechat_length("😀a"), 3U);  // emoji + ASCII
}

TEST(FeedText, InvalidBytesCountAsOneReplacementEach) {
  EXPECT_EQ(t::wechat_length("a\xFF"
                             "b"),
            3U);
  EXPECT_EQ(t::wechat_length("\xE6\x98"), 2U);  // truncated 3-byte sequence: 2 invalid bytes
  EXPECT_FALSE(t::valid_utf8("\xE6\x98"));
  EXPECT_FALSE(t::valid_utf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(t::valid_utf8("\xED\xA0\x80"));  // UTF-16 surrogate
  EXPECT_TRUE(t::valid_utf8("昌吉𠮷"));
  EXPECT_EQ(t::sanitize_utf8("a\xFFz"), "a\xEF\xBF\xBDz");
}

TEST(FeedText, PrefixNeverCutsInsideASequence) {
  const std::string s = "昌吉日报";  // 4 chars, 12 bytes
  for (std::size_t n = 0; n <= 5; ++n) {
    const auto p = t::prefix_within(s, n);
    EXPECT_EQ(p.size(), std::min<std::size_t>(n, 4) * 3) << n;
    EXPECT_TRUE(t::valid_utf8(p));
  }
}

TEST(FeedText, PrefixNeverSplitsASurrogatePairCharacter) {
  // "a𠮷": 'a' then a character counting 2; with room for 2 only 'a' fits.
  EXPECT_EQ(t::prefix_within("a𠮷", 2), "a");
  EXPECT_EQ(t::prefix_within("a𠮷", 3), "a𠮷");
  EXPECT_EQ(t::prefix_within("𠮷", 1), "");
}

TEST(FeedText, CutAddsEllipsisWithinTheLimit) {
  EXPECT_EQ(t::cut("短标题", 32), "短标题");
  const std::string long_title =
      "昌吉州:实施“典范行动”打造高质量发展先行区，推动新疆经济社会高质量发展再上新台阶";
  const auto c = t::cut(long_title, 32);
  EXPECT_EQ(t::wechat_length(c), 32U);
  EXPECT_EQ(c.substr(c.size() - 3), "…");
  EXPECT_TRUE(t::valid_utf8(c));
  EXPECT_EQ(c.substr(0, c.size() - 3), std::string(t::prefix_within(long_title, 31)));
}

TEST(FeedText, CutDropsSpaceBeforeEllipsisAndHandlesTinyLimits) {
  EXPECT_EQ(t::cut("abc def", 5), "abc…");
  EXPECT_EQ(t::cut("abcdef", 0), "");
  EXPECT_EQ(t::cut("abcdef", 1), "…");
  // A supplementary character right at the cut is dropped whole.
  EXPECT_EQ(t::cut("ab𠮷cd", 4), "ab…");
}

TEST(FeedText, SentencePrefixEndsAfterClosingQuotes) {
  const std::string s = "他说：“我们要干。”然后走了！还有一句";
  EXPECT_EQ(t::sentence_prefix_within(s, 100), "他说：“我们要干。”然后走了！");
  EXPECT_EQ(t::sentence_prefix_within(s, 10), "他说：“我们要干。”");
  EXPECT_EQ(t::sentence_prefix_within(s, 8), "");
  EXPECT_EQ(t::sentence_prefix_within("没有句号", 100), "");
}

TEST(FeedText, TrimRemovesIdeographicSpace) {
  EXPECT_EQ(t::trim("\u3000 标题 \n"), "标题");
  EXPECT_EQ(t::trim("   "), "");
}

TEST(FeedText, EscapesHtmlAndDropsControls) {
  EXPECT_EQ(t::html_escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(t::html_escape("a\x01"
                           "b\tc"),
            "ab\tc");
  EXPECT_EQ(t::html_escape("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(t::xml_escape("a\xEF\xBF\xBE"
                          "b"),
            "ab");  // U+FFFE is not an XML character
}
