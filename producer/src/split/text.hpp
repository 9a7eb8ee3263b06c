#pragma once
/// UTF-8 and character-class helpers shared by the splitter's stages. Every function here takes
/// text the decoder has already validated as UTF-8; none allocates unless it returns a string.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "syn/contract/text.hpp"
#include "syn/core/utf8.hpp"

namespace syn::producer::detail {

/// Decodes the code point at `s[i]` and advances `i` past it. `s` must be valid UTF-8; a stray
/// byte yields U+FFFD and advances by one, so callers can never loop forever. (Inline: this is
/// the splitter's innermost loop.)
inline char32_t next_cp(std::string_view s, std::size_t& i) noexcept { return utf8::next(s, i); }

/// The code point that ends at `end` (exclusive), moving `end` to its first byte; 0 at the start.
inline char32_t prev_cp(std::string_view s, std::size_t& end) noexcept { return utf8::prev(s, end); }

/// Appends `cp` as UTF-8.
inline void append_utf8(std::string& out, char32_t cp) { utf8::append(out, cp); }

/// First / last code point of `s`, 0 if empty.
char32_t first_cp(std::string_view s) noexcept;
char32_t last_cp(std::string_view s) noexcept;

/// Number of code points in `s`, not counting whitespace; counting stops past `cap` (the result
/// is then `cap + 1`), so length checks against a small limit cost nothing on long text.
std::size_t visible_length(std::string_view s, std::size_t cap = static_cast<std::size_t>(-1) - 1) noexcept;

/// The character classes of the content hash (syn::contract): is_han, is_cjk (the text around a
/// space next to one of these is Chinese, so the space is extraction damage) and is_space.
using contract::is_cjk;
using contract::is_han;
using contract::is_space;
bool is_ascii_digit(char32_t c) noexcept;
bool is_ascii_alpha(char32_t c) noexcept;
/// ASCII or full-width digit.
bool is_digit(char32_t c) noexcept;
/// Value of an ASCII or full-width digit.
int digit_value(char32_t c) noexcept;

/// Ends a sentence: 。！？!?…；; and closing quotes/brackets (a paragraph ending with one is whole).
bool ends_sentence(char32_t c) noexcept;
/// A paragraph ending with this character was cut mid-sentence: Han, digits, Latin letters,
/// ，,、 % and opening brackets/quotes.
bool continues_sentence(char32_t c) noexcept;

/// Strips whitespace (see `is_space`) at both ends.
std::string_view trim(std::string_view s) noexcept;

bool starts_with(std::string_view s, std::string_view prefix) noexcept;

/// If `word` is at `s[i]`, allowing whitespace in `s` between its characters (a column-wrap
/// space can fall inside `记者` too), the offset just past it; otherwise `npos`.
std::size_t match_loose(std::string_view s, std::size_t i, std::string_view word) noexcept;
bool ends_with(std::string_view s, std::string_view suffix) noexcept;

/// Column-wrap space repair for body text and for headings (syn::contract, as the content hash
/// normalises).
using contract::normalise_body;
using contract::normalise_heading;

/// Removes all whitespace (names: `杨 鹤` -> `杨鹤`).
std::string remove_spaces(std::string_view s);

/// `s` without what is markup rather than words, for the splitter's shape tests (length,
/// sentence punctuation, quotes) only; the article keeps its text as printed. Removed: HTML-ish
/// tags (`<` then a Latin letter, `/` or `!`, up to the next `>` on the line: `<b>`, `</p>`,
/// `<img src=x onerror="...">`, `<!-- -->`), the content of `<script>` and `<style>` elements,
/// and character references (`&amp;`, `&#39;`, `&#x4e2d;`). A `<` that opens no tag (`3<5`,
/// `<中国>`) stays. Returns `s` unchanged when it holds no `<` or `&`.
std::string without_markup(std::string_view s);

/// Whether `s` has a '<' or '&' (markup that without_markup would look at). Two vectorised memchr
/// passes: `find_first_of("<&")` calls memchr once per character of `s` (13% of `publish`).
[[nodiscard]] inline bool has_markup(std::string_view s) noexcept {
  return s.find('<') != std::string_view::npos || s.find('&') != std::string_view::npos;
}

/// Parses a non-negative decimal (ASCII or full-width digits) or a Chinese numeral up to 9999
/// (`八`, `十二`, `二十四`). Returns -1 if `s` is not exactly that.
long parse_number(std::string_view s) noexcept;

/// Joins two pieces of one paragraph cut apart by extraction: no space, except between a Latin
/// letter/digit and a Latin letter (`iPhone` + `15` keeps its space; `5` + `公斤` does not).
void append_joined(std::string& a, std::string_view b);

}  // namespace syn::producer::detail
