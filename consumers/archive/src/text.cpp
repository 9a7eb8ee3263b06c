#include "syn/archive/text.hpp"

#include <algorithm>
#include <cstddef>

namespace syn::archive {
namespace {

bool is_continuation(unsigned char c) noexcept { return (c & 0xC0U) == 0x80U; }

/// Byte length of the UTF-8 sequence starting at s[i] (1 for invalid bytes), clipped to s.
std::size_t seq_len(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 1;
  if (c >= 0xF0U && c < 0xF8U) {
    n = 4;
  } else if (c >= 0xE0U) {
    n = c < 0xF0U ? 3 : 1;
  } else if (c >= 0xC0U) {
    n = 2;
  }
  if (i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k) {
    if (!is_continuation(static_cast<unsigned char>(s[i + k]))) return 1;
  }
  return n;
}

/// Moves `pos` back by up to `n` code points.
std::size_t back_chars(std::string_view s, std::size_t pos, std::size_t n) noexcept {
  while (n > 0 && pos > 0) {
    --pos;
    while (pos > 0 && is_continuation(static_cast<unsigned char>(s[pos]))) --pos;
    --n;
  }
  return pos;
}

/// Moves `pos` forward by up to `n` code points.
std::size_t forward_chars(std::string_view s, std::size_t pos, std::size_t n) noexcept {
  while (n > 0 && pos < s.size()) {
    pos += seq_len(s, pos);
    --n;
  }
  return pos;
}

char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

void append_line(std::string& out, const std::string& line) {
  if (line.empty()) return;
  if (!out.empty()) out += '\n';
  out += line;
}

/// Spaces in place of line breaks and tabs, runs collapsed.
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (const char c : s) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string search_body(const syndication::v1::Article& a) {
  std::string out;
  append_line(out, a.kicker());
  append_line(out, a.subheadline());
  append_line(out, a.dateline());
  for (const auto& b : a.blocks()) append_line(out, b.text());
  for (const auto& p : a.photos()) append_line(out, p.caption());
  return out;
}

std::vector<std::string> query_terms(std::string_view query) {
  std::vector<std::string> terms;
  std::string cur;
  const auto flush = [&] {
    if (!cur.empty() && std::find(terms.begin(), terms.end(), cur) == terms.end()) terms.push_back(cur);
    cur.clear();
  };
  for (std::size_t i = 0; i < query.size();) {
    const char c = query[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      flush();
      ++i;
    } else if (query.substr(i, 3) == "\u3000") {
      flush();
      i += 3;
    } else {
      cur += c;
      ++i;
    }
  }
  flush();
  return terms;
}

std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += seq_len(s, i)) ++n;
  return n;
}

std::string make_snippet(std::string_view text, std::span<const std::string> terms, std::size_t width) {
  const std::string line = one_line(text);
  const std::string lower = lowered(line);
  std::vector<std::string> needles;
  for (const auto& t : terms) {
    if (!t.empty()) needles.push_back(lowered(t));
  }
  // Longest first, so that at one position the longest term is marked.
  std::sort(needles.begin(), needles.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });

  std::size_t first = std::string::npos;
  for (const auto& n : needles) first = std::min(first, lower.find(n));
  if (first == std::string::npos) return {};

  const std::size_t lead = std::min<std::size_t>(width / 4, 20);
  const std::size_t begin = back_chars(line, first, lead);
  std::size_t end = forward_chars(line, begin, width);

  std::string out;
  if (begin > 0) out += "…";
  std::size_t i = begin;
  while (i < end) {
    std::size_t match = 0;
    for (const auto& n : needles) {
      if (lower.compare(i, n.size(), n) == 0) {
        match = n.size();
        break;
      }
    }
    if (match > 0) {
      out += mark_open;
      out.append(line, i, match);
      out += mark_close;
      i += match;
      end = std::max(end, i);  // never cut a marked match
    } else {
      const std::size_t n = seq_len(line, i);
      out.append(line, i, n);
      i += n;
    }
  }
  if (end < line.size()) out += "…";
  return out;
}

}  // namespace syn::archive
