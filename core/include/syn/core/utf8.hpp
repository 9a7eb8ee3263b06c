#pragma once
/// UTF-8 walking shared by the splitter, the feed and the translation queue: decode one character,
/// step forwards and backwards over characters, encode, check and repair. Pure functions,
/// thread-safe, never throw.
///
/// Ill-formed input (a stray or missing continuation byte, a truncated sequence, an overlong form,
/// a UTF-16 surrogate, a value past U+10FFFF) decodes as U+FFFD over one byte, so a loop that
/// steps by `decoded::bytes` always moves on and never stops inside a well-formed sequence.

#include <cstddef>
#include <string>
#include <string_view>

namespace syn::utf8 {

inline constexpr char32_t replacement = 0xFFFD;

/// One decoded character: its code point (U+FFFD for an invalid byte) and its length in bytes.
struct decoded {
  char32_t cp = 0;
  std::size_t bytes = 0;
};

/// Decodes the character starting at `s[pos]` (`pos < s.size()`). Inline: the splitter's innermost
/// loop and the feed's escapers call it per character.
[[nodiscard]] inline decoded decode_at(std::string_view s, std::size_t pos) noexcept {
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
    return {replacement, 1};
  }
  if (pos + need >= s.size()) return {replacement, 1};
  for (std::size_t k = 1; k <= need; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + k]);
    if ((b & 0xC0U) != 0x80U) return {replacement, 1};
    cp = (cp << 6U) | (b & 0x3FU);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {replacement, 1};
  return {cp, need + 1};
}

/// Whether `d` is the U+FFFD that stands for an invalid byte (not a U+FFFD written in the text).
[[nodiscard]] inline bool is_invalid(decoded d) noexcept { return d.cp == replacement && d.bytes == 1; }

/// next() past its fast paths, out of line so that next() itself stays small enough to inline
/// (with decode_at inlined into it, next() was a call in the splitter's loops: 18% slower).
[[nodiscard]] char32_t next_slow(std::string_view s, std::size_t& i) noexcept;

/// Decodes the character at `s[i]` (`i < s.size()`) and moves `i` past it.
[[nodiscard]] inline char32_t next(std::string_view s, std::size_t& i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80U) {
    ++i;
    return b0;
  }
  // Three bytes (all of CJK and its punctuation) without the general loop: this is the splitter's
  // innermost loop. E1..EC and EE..EF can be neither overlong nor a surrogate.
  if (b0 >= 0xE1U && b0 <= 0xEFU && b0 != 0xEDU && i + 2 < s.size()) {
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    const auto b2 = static_cast<unsigned char>(s[i + 2]);
    if ((b1 & 0xC0U) == 0x80U && (b2 & 0xC0U) == 0x80U) {
      i += 3;
      return (static_cast<char32_t>(b0 & 0x0FU) << 12U) | (static_cast<char32_t>(b1 & 0x3FU) << 6U) |
             (b2 & 0x3FU);
    }
  }
  return next_slow(s, i);
}

/// The character that ends at `end` (exclusive), moving `end` to its first byte; 0 (and `end`
/// unchanged) at the start of `s`. A byte that ends no well-formed sequence is U+FFFD over one byte.
[[nodiscard]] char32_t prev(std::string_view s, std::size_t& end) noexcept;

/// The index of the first byte at or after `i` that is not ASCII (`s.size()` if none), eight bytes
/// at a time: most text here is ASCII markup around Chinese text.
[[nodiscard]] std::size_t skip_ascii(std::string_view s, std::size_t i) noexcept;

/// Appends the UTF-8 encoding of `cp` (≤ U+10FFFF) to `out`.
void append(std::string& out, char32_t cp);

/// Whether `s` is well-formed UTF-8.
[[nodiscard]] bool valid(std::string_view s) noexcept;

/// `s` with every invalid byte replaced by U+FFFD.
[[nodiscard]] std::string sanitize(std::string_view s);

/// Number of characters in `s` (an invalid byte counts as one).
[[nodiscard]] std::size_t count(std::string_view s) noexcept;

/// The longest prefix of `s` of at most `max_bytes` bytes that does not end inside a well-formed
/// sequence.
[[nodiscard]] std::string_view prefix_bytes(std::string_view s, std::size_t max_bytes) noexcept;

/// A kicker or keyword in the form route and translation rules compare: the characters for which
/// `is_space` holds removed, the middle-dot look-alikes (• ・ ‧ ･ ∙ ·) unified to U+00B7, ASCII
/// letters lower-cased; invalid bytes become U+FFFD.
[[nodiscard]] std::string normalise_label(std::string_view s, bool (*is_space)(char32_t) noexcept);

}  // namespace syn::utf8
