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

#include "syn/core/utf8.hpp"

namespace syn::feed::text {

/// UTF-8 walking is syn::utf8's (core/include/syn/core/utf8.hpp): overlong forms, surrogates and
/// truncated sequences decode as U+FFFD with a length of 1.
using utf8_char = utf8::decoded;
using utf8::decode_at;

/// Whether `s` is well-formed UTF-8.
[[nodiscard]] inline bool valid_utf8(std::string_view s) noexcept { return utf8::valid(s); }

/// `s` with every invalid byte replaced by U+FFFD.
[[nodiscard]] inline std::string sanitize_utf8(std::string_view s) { return utf8::sanitize(s); }

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

/// Appends the UTF-8 encoding of `cp` to `out`.
inline void append_utf8(std::string& out, char32_t cp) { utf8::append(out, cp); }

}  // namespace syn::feed::text
