#pragma once
/// Text helpers for the feed: UTF-8 walking, length as WeChat counts it, cutting at character
/// boundaries, HTML/XML escaping. Pure functions, thread-safe, never throw.
///
/// Counting. WeChat documents its draft limits in 字 ("characters": title ≤ 32, author ≤ 16,
/// digest ≤ 128, content < 20,000). Its editor and checks are JavaScript, where a string's length
/// is UTF-16 code units, so we count a character of the Basic Multilingual Plane (every CJK
/// character, Latin letter, full-width punctuation) as 1 and a supplementary-plane character
/// (emoji, CJK Extension B such as 𠮷) as 2. That is never less than the code-point count, so a
/// value we accept is accepted whichever of the two WeChat applies. Invalid UTF-8 bytes count as
/// one U+FFFD each and are replaced by U+FFFD in every output.

#include <cstddef>
#include <string>
#include <string_view>

namespace syn::feed::text {

/// One decoded character: its code point (U+FFFD for an invalid byte) and its length in bytes.
struct utf8_char {
  char32_t cp = 0;
  std::size_t bytes = 0;
};

/// Decodes the character starting at `s[pos]` (`pos < s.size()`). Overlong forms, surrogates and
/// truncated sequences decode as U+FFFD with a length of 1. Inline: every text helper and the
/// escapers call it per character (it was the sink's hottest function out of line).
[[nodiscard]] inline utf8_char decode_at(std::string_view s, std::size_t pos) noexcept {
  constexpr char32_t bad = 0xFFFD;
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80U) return {b0, 1};
  std::size_t need = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0U) == 0xC0U) {
    need = 1, cp = b0 & 0x1FU, min = 0x80;
  } else if ((b0 & 0xF0U) == 0xE0U) {
    need = 2, cp = b0 & 0x0FU, min = 0x800;
  } else if ((b0 & 0xF8U) == 0xF0U) {
    need = 3, cp = b0 & 0x07U, min = 0x10000;
  } else {
    return {bad, 1};
  }
  if (pos + need >= s.size()) return {bad, 1};
  for (std::size_t k = 1; k <= need; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + k]);
    if ((b & 0xC0U) != 0x80U) return {bad, 1};
    cp = (cp << 6U) | (b & 0x3FU);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {bad, 1};
  return {cp, need + 1};
}

/// Whether `s` is well-formed UTF-8.
[[nodiscard]] bool valid_utf8(std::string_view s) noexcept;

/// `s` with every invalid byte replaced by U+FFFD.
[[nodiscard]] std::string sanitize_utf8(std::string_view s);

/// Length as WeChat counts it (see the file comment).
[[nodiscard]] std::size_t wechat_length(std::string_view s) noexcept;
[[nodiscard]] std::size_t wechat_length(char32_t cp) noexcept;

/// The longest prefix of `s` whose wechat_length() is ≤ `max_len`, cut at a character boundary
/// (never inside a UTF-8 sequence, never between a surrogate pair's halves).
[[nodiscard]] std::string_view prefix_within(std::string_view s, std::size_t max_len) noexcept;

/// `s` if it fits in `max_len`, else its longest prefix that fits together with `ellipsis`,
/// followed by `ellipsis` (trailing spaces before the ellipsis are dropped). The result's
/// wechat_length() is ≤ `max_len` (if `ellipsis` alone is longer, it is left out).
[[nodiscard]] std::string cut(std::string_view s, std::size_t max_len, std::string_view ellipsis = "…");

/// Whether `cp` ends a sentence: 。！？!? and the full stop ．(not '.', which ends numbers too).
[[nodiscard]] bool is_sentence_end(char32_t cp) noexcept;

/// The longest prefix of `s` that fits in `max_len` and ends at a sentence boundary: after a
/// sentence-ending character and any closing quotes or brackets that follow it (”’」』）)》).
/// Empty if there is none.
[[nodiscard]] std::string_view sentence_prefix_within(std::string_view s, std::size_t max_len) noexcept;

/// `s` with leading and trailing white space (ASCII and U+3000 ideographic space) removed.
[[nodiscard]] std::string_view trim(std::string_view s) noexcept;

/// Escapes & < > " ' for HTML text and attribute values; invalid UTF-8 becomes U+FFFD and C0
/// control characters other than tab and newline are dropped.
[[nodiscard]] std::string html_escape(std::string_view s);
/// As html_escape(), for XML 1.0 (RSS/Atom): also drops characters XML 1.0 forbids.
[[nodiscard]] std::string xml_escape(std::string_view s);

/// A kicker or keyword in the form route rules compare: white space (ASCII, U+3000) removed,
/// the middle-dot variants (• ・ ‧ ･ · ∙) unified to `·`, ASCII letters lower-cased.
[[nodiscard]] std::string normalise_label(std::string_view s);

/// Appends the UTF-8 encoding of `cp` to `out`.
void append_utf8(std::string& out, char32_t cp);

}  // namespace syn::feed::text
