#include "split/text.hpp"

namespace syn::producer::detail {

char32_t first_cp(std::string_view s) noexcept {
  if (s.empty()) return 0;
  std::size_t i = 0;
  return next_cp(s, i);
}

char32_t last_cp(std::string_view s) noexcept {
  std::size_t end = s.size();
  return prev_cp(s, end);
}

std::size_t visible_length(std::string_view s, std::size_t cap) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size() && n <= cap;) {
    if (!is_space(next_cp(s, i))) ++n;
  }
  return n;
}

bool is_ascii_digit(char32_t c) noexcept { return c >= '0' && c <= '9'; }

bool is_ascii_alpha(char32_t c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_digit(char32_t c) noexcept { return is_ascii_digit(c) || (c >= 0xFF10 && c <= 0xFF19); }

int digit_value(char32_t c) noexcept {
  if (is_ascii_digit(c)) return static_cast<int>(c - '0');
  if (c >= 0xFF10 && c <= 0xFF19) return static_cast<int>(c - 0xFF10);
  return -1;
}

bool ends_sentence(char32_t c) noexcept {
  switch (c) {
    case U'。':
    case U'！':
    case U'？':
    case U'!':
    case U'?':
    case U'…':
    case U'；':
    case U';':
    case U'：':
    case U':':
    case U'”':
    case U'’':
    case U'」':
    case U'』':
    case U'）':
    case U')':
    case U'】':
    case U'》':
    case U'〉':
    case U'"':
    case U'.':
    case U'．':
      return true;
    default:
      return false;
  }
}

bool continues_sentence(char32_t c) noexcept {
  if (is_han(c) || is_digit(c) || is_ascii_alpha(c)) return true;
  switch (c) {
    case U'，':
    case U',':
    case U'、':
    case U'%':
    case U'％':
    case U'‰':
    case U'（':
    case U'(':
    case U'“':
    case U'‘':
    case U'《':
    case U'「':
    case U'『':
    case U'·':
      return true;
    default:
      return false;
  }
}

std::string_view trim(std::string_view s) noexcept {
  std::size_t b = 0;
  while (b < s.size()) {
    std::size_t j = b;
    if (!is_space(next_cp(s, j))) break;
    b = j;
  }
  std::size_t e = s.size();
  while (e > b) {
    std::size_t j = e;
    if (!is_space(prev_cp(s, j))) break;
    e = j;
  }
  return s.substr(b, e - b);
}

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::size_t match_loose(std::string_view s, std::size_t i, std::string_view word) noexcept {
  std::size_t w = 0;
  bool first = true;
  while (w < word.size()) {
    if (i >= s.size()) return std::string_view::npos;
    std::size_t k = i;
    const char32_t c = next_cp(s, k);
    if (!first && is_space(c)) {
      i = k;
      continue;
    }
    std::size_t wk = w;
    if (c != next_cp(word, wk)) return std::string_view::npos;
    i = k;
    w = wk;
    first = false;
  }
  return i;
}

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string remove_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    if (!is_space(next_cp(s, i))) out.append(s.substr(at, i - at));
  }
  return out;
}

namespace {

char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// `s[i..]` starts with `word` (lower-case ASCII), ignoring case.
bool starts_with_icase(std::string_view s, std::size_t i, std::string_view word) noexcept {
  if (s.size() - i < word.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (ascii_lower(s[i + k]) != word[k]) return false;
  }
  return true;
}

/// The end (one past `>`) of the tag at `s[i]` (a `<`), or npos if none starts there.
std::size_t tag_end(std::string_view s, std::size_t i) noexcept {
  constexpr std::size_t max_tag = 512;
  if (i + 1 >= s.size()) return std::string_view::npos;
  const char n = s[i + 1];
  const bool opens = is_ascii_alpha(static_cast<unsigned char>(n)) || n == '!' ||
                     (n == '/' && i + 2 < s.size() && is_ascii_alpha(static_cast<unsigned char>(s[i + 2])));
  if (!opens) return std::string_view::npos;
  for (std::size_t k = i + 1; k < s.size() && k - i <= max_tag; ++k) {
    if (s[k] == '>') return k + 1;
    if (s[k] == '<' || s[k] == '\n') return std::string_view::npos;
  }
  return std::string_view::npos;
}

/// The end of the character reference at `s[i]` (a `&`), or npos.
std::size_t reference_end(std::string_view s, std::size_t i) noexcept {
  std::size_t k = i + 1;
  const bool numeric = k < s.size() && s[k] == '#';
  if (numeric) ++k;
  const bool hex = numeric && k < s.size() && (s[k] == 'x' || s[k] == 'X');
  if (hex) ++k;
  const std::size_t first = k;
  while (k < s.size() && k - first < 10) {
    const auto c = static_cast<unsigned char>(s[k]);
    const bool ok = hex       ? (is_ascii_digit(c) || (ascii_lower(static_cast<char>(c)) >= 'a' &&
                                                 ascii_lower(static_cast<char>(c)) <= 'f'))
                    : numeric ? is_ascii_digit(c)
                              : (is_ascii_alpha(c) || (k > first && is_ascii_digit(c)));
    if (!ok) break;
    ++k;
  }
  if (k == first || k >= s.size() || s[k] != ';') return std::string_view::npos;
  return k + 1;
}

}  // namespace

std::string without_markup(std::string_view s) {
  if (!has_markup(s)) return std::string(s);
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '<') {
      if (const std::size_t e = tag_end(s, i); e != std::string_view::npos) {
        std::size_t next = e;
        // <script ...> and <style ...>: their content is code, not words. Skip to the closing
        // tag (removed on the next turn), or to the end.
        for (std::string_view element : {"script", "style"}) {
          if (!starts_with_icase(s, i + 1, element)) continue;
          const char after = s[i + 1 + element.size()];  // inside the tag: the tag ends with `>`
          if (after != '>' && after != ' ' && after != '/' && after != '\t') continue;
          while (next < s.size() && !(s[next] == '<' && next + 1 < s.size() && s[next + 1] == '/' &&
                                      starts_with_icase(s, next + 2, element))) {
            ++next;
          }
          break;
        }
        i = next;
        continue;
      }
    } else if (s[i] == '&') {
      if (const std::size_t e = reference_end(s, i); e != std::string_view::npos) {
        i = e;
        continue;
      }
    }
    out += s[i];
    ++i;
  }
  return out;
}

namespace {

int chinese_digit(char32_t c) noexcept {
  switch (c) {
    case U'〇':
    case U'零':
      return 0;
    case U'一':
      return 1;
    case U'二':
    case U'两':
      return 2;
    case U'三':
      return 3;
    case U'四':
      return 4;
    case U'五':
      return 5;
    case U'六':
      return 6;
    case U'七':
      return 7;
    case U'八':
      return 8;
    case U'九':
      return 9;
    default:
      return -1;
  }
}

}  // namespace

long parse_number(std::string_view s) noexcept {
  if (s.empty()) return -1;
  long arabic = 0;
  bool all_arabic = true;
  std::size_t digits = 0;
  for (std::size_t i = 0; i < s.size();) {
    const int d = digit_value(next_cp(s, i));
    if (d < 0) {
      all_arabic = false;
      break;
    }
    if (++digits > 9) return -1;
    arabic = arabic * 10 + d;
  }
  if (all_arabic) return arabic;
  // Chinese numerals: 千 百 十 units, e.g. 二十四, 十二, 一百零五.
  long total = 0;
  long pending = -1;
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_cp(s, i);
    if (++count > 12) return -1;
    const int d = chinese_digit(c);
    if (d >= 0) {
      pending = d;
      continue;
    }
    long unit = 0;
    if (c == U'十')
      unit = 10;
    else if (c == U'百')
      unit = 100;
    else if (c == U'千')
      unit = 1000;
    else
      return -1;
    total += (pending < 0 ? 1 : pending) * unit;
    pending = -1;
  }
  if (pending > 0) total += pending;
  return count == 0 ? -1 : total;
}

void append_joined(std::string& a, std::string_view b) {
  const char32_t x = last_cp(a);
  const char32_t y = first_cp(b);
  if ((is_ascii_alpha(x) && (is_ascii_alpha(y) || is_ascii_digit(y))) ||
      (is_ascii_digit(x) && is_ascii_alpha(y))) {
    a.push_back(' ');
  }
  a.append(b);
}

}  // namespace syn::producer::detail
