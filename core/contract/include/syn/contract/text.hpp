#pragma once
/// Text normalisation as the content hash defines it (and as the splitter writes article text):
/// which characters are spaces and which are Chinese, and how a whitespace run next to Chinese
/// text is repaired. Changing any of these changes every article's content_sha256.

#include <cstddef>
#include <string>
#include <string_view>

namespace syn::contract {

/// CJK ideographs (URO, Ext A, compatibility) and 〇.
[[nodiscard]] inline bool is_han(char32_t c) noexcept {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x3134F) || c == 0x3007;
}
/// Han, CJK symbols and punctuation, full-width forms, and the general punctuation used as
/// Chinese punctuation (“ ” ‘ ’ … — ·): text on either side of a space next to one of these is
/// Chinese text, so the space is extraction damage.
[[nodiscard]] bool is_cjk(char32_t c) noexcept;
/// ASCII space and tab, NBSP, U+2000..U+200B, narrow NBSP U+202F, ideographic space U+3000, BOM.
[[nodiscard]] inline bool is_space(char32_t c) noexcept {
  if (c < 0x80) return c == ' ' || c == '\t' || c == '\f' || c == '\v';
  return c == 0x00A0 || (c >= 0x2000 && c <= 0x200B) || c == 0x3000 || c == 0xFEFF || c == 0x202F;
}

/// Repairs column-wrap spaces in body text: a whitespace run next to a CJK character (either
/// side) is removed; between two non-CJK characters it becomes one ASCII space; leading and
/// trailing whitespace goes. `iPhone 15 Pro` stays, `中国式现 代化` -> `中国式现代化`,
/// `2023 年度` -> `2023年度`.
/// `length`, if given, receives the number of non-space code points written.
[[nodiscard]] std::string normalise_body(std::string_view s, std::size_t* length = nullptr);

/// As `normalise_body`, for kickers, headlines and sub-headlines, where a space between two
/// phrases is typography: a space between two Han characters is kept (as one ASCII space) when
/// the words on both sides are at least four characters long
/// (`天山面粉:做好小麦精深加工转化 生产新疆绿色面粉`), otherwise removed
/// (`我州评出 2023 年度 安全管理` -> `我州评出2023年度安全管理`).
[[nodiscard]] std::string normalise_heading(std::string_view s);

}  // namespace syn::contract
