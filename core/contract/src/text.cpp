// Text normalisation as the content hash defines it (moved from the splitter, which uses it too).
#include "syn/contract/text.hpp"

#include "syn/core/utf8.hpp"

namespace syn::contract {

bool is_cjk(char32_t c) noexcept {
  return is_han(c) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF) ||
         (c >= 0x2018 && c <= 0x201F) || c == 0x2026 || c == 0x2014 || c == 0x2015 || c == 0x00B7 ||
         c == 0x2027 || (c >= 0x3040 && c <= 0x30FF) || (c >= 0x2460 && c <= 0x24FF) ||
         (c >= 0x25A0 && c <= 0x25FF) || c == 0x00BB || c == 0x00AB;
}

namespace {

/// Shared body of the two normalisers. A whitespace run is kept (as one space) when
/// `keep(prev, next, left_word, right_word)` says so; `left_word`/`right_word` are the
/// non-space code-point counts of the words around the run.
template <typename Keep>
std::string normalise(std::string_view s, Keep keep, std::size_t* length = nullptr) {
  std::size_t written = 0;
  std::string out;
  out.reserve(s.size());
  char32_t prev = 0;          // last non-space code point written
  std::size_t left_word = 0;  // non-space code points since the previous whitespace run
  std::size_t i = 0;
  std::size_t run = 0;  // start of the pending run of non-space text, appended in one go
  while (i < s.size()) {
    const std::size_t at = i;
    const char32_t c = utf8::next(s, i);
    if (!is_space(c)) {
      prev = c;
      ++left_word;
      ++written;
      continue;
    }
    out.append(s.substr(run, at - run));
    // A whitespace run: find what follows it.
    std::size_t j = i;
    char32_t next = 0;
    while (j < s.size()) {
      std::size_t k = j;
      next = utf8::next(s, k);
      if (!is_space(next)) break;
      j = k;
      next = 0;
    }
    if (prev != 0 && next != 0) {
      std::size_t right_word = 0;
      for (std::size_t k = j; k < s.size() && right_word < 4;) {
        if (is_space(utf8::next(s, k))) break;
        ++right_word;
      }
      if (keep(prev, next, left_word, right_word)) out.push_back(' ');
    }
    left_word = 0;
    i = j;
    run = j;
  }
  out.append(s.substr(run));
  if (length != nullptr) *length = written;
  return out;
}

}  // namespace

std::string normalise_body(std::string_view s, std::size_t* length) {
  return normalise(
      s, [](char32_t a, char32_t b, std::size_t, std::size_t) { return !is_cjk(a) && !is_cjk(b); }, length);
}

std::string normalise_heading(std::string_view s) {
  return normalise(s, [](char32_t a, char32_t b, std::size_t left, std::size_t right) {
    if (is_han(a) && is_han(b)) return left >= 4 && right >= 4;
    return !is_cjk(a) && !is_cjk(b);
  });
}

}  // namespace syn::contract
