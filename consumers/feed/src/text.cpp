#include "syn/feed/text.hpp"

namespace syn::feed::text {
namespace {

bool is_space(char32_t cp) noexcept {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0x3000 ||
         cp == 0xA0;
}

bool is_closer(char32_t cp) noexcept {
  switch (cp) {
    case 0x201D:  // ”
    case 0x2019:  // ’
    case 0x300D:  // 」
    case 0x300F:  // 』
    case 0xFF09:  // ）
    case ')':
    case 0x300B:  // 》
    case '"':
    case 0x3011:  // 】
      return true;
    default:
      return false;
  }
}

std::string_view trim_right(std::string_view s) noexcept {
  // From the end: the spaces are ASCII, U+3000 (E3 80 80) and U+00A0 (C2 A0). Their lead bytes
  // are never continuation bytes, so a match at the end is the same character a forward decode
  // finds there, whatever comes before it.
  std::size_t end = s.size();
  while (end > 0) {
    const auto c = static_cast<unsigned char>(s[end - 1]);
    if (c < 0x80U && is_space(c)) {
      --end;
    } else if (end >= 3 && s.substr(end - 3, 3) == "\xE3\x80\x80") {
      end -= 3;
    } else if (end >= 2 && s.substr(end - 2, 2) == "\xC2\xA0") {
      end -= 2;
    } else {
      break;
    }
  }
  return s.substr(0, end);
}

template <bool Xml>
std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size();) {
    // The longest run that goes out as it is (plain ASCII, well-formed multi-byte characters), in
    // one append: per-character appends were most of the sink's escaping time.
    std::size_t j = i;
    while (j < s.size()) {
      const auto d = static_cast<unsigned char>(s[j]);
      if (d < 0x80U) {
        if (d < 0x20U || d == '&' || d == '<' || d == '>' || d == '"' || d == '\'') break;
        ++j;
        continue;
      }
      const auto ch = decode_at(s, j);
      if (utf8::is_invalid(ch) || (Xml && (ch.cp == 0xFFFE || ch.cp == 0xFFFF))) break;
      j += ch.bytes;
    }
    out.append(s.substr(i, j - i));
    i = j;
    if (i >= s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80U) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          if (c == '\t' || c == '\n') out.push_back(static_cast<char>(c));
          // other C0 controls are dropped: XML forbids them and they mean nothing in HTML
          break;
      }
      ++i;
      continue;
    }
    const auto ch = decode_at(s, i);
    if (utf8::is_invalid(ch)) utf8::append(out, utf8::replacement);
    // else U+FFFE/U+FFFF in XML: not XML characters, dropped
    i += ch.bytes;
  }
  return out;
}

}  // namespace

std::size_t wechat_length(char32_t cp) noexcept { return cp >= 0x10000 ? 2 : 1; }

std::size_t wechat_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80U) {
      const auto j = utf8::skip_ascii(s, i);
      n += j - i;
      i = j;
      continue;
    }
    const auto c = decode_at(s, i);
    n += wechat_length(c.cp);
    i += c.bytes;
  }
  return n;
}

std::string_view prefix_within(std::string_view s, std::size_t max_len) noexcept {
  std::size_t n = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = decode_at(s, i);
    const auto w = wechat_length(c.cp);
    if (n + w > max_len) break;
    n += w;
    i += c.bytes;
  }
  return s.substr(0, i);
}

std::string cut(std::string_view s, std::size_t max_len, std::string_view ellipsis) {
  if (wechat_length(s) <= max_len) return std::string(s);
  const auto el = wechat_length(ellipsis);
  if (el > max_len) return std::string(prefix_within(s, max_len));
  // Do not leave "word …" with a dangling space before the ellipsis.
  const std::string_view head = trim_right(prefix_within(s, max_len - el));
  std::string out(head);
  out.append(ellipsis);
  return out;
}

bool is_sentence_end(char32_t cp) noexcept {
  return cp == 0x3002 /*。*/ || cp == 0xFF01 /*！*/ || cp == 0xFF1F /*？*/ || cp == '!' || cp == '?' ||
         cp == 0xFF0E /*．*/;
}

std::string_view sentence_prefix_within(std::string_view s, std::size_t max_len) noexcept {
  std::size_t n = 0;
  std::size_t best = 0;
  std::size_t i = 0;
  bool after_end = false;
  while (i < s.size()) {
    const auto c = decode_at(s, i);
    const auto w = wechat_length(c.cp);
    if (n + w > max_len) break;
    if (after_end && !is_closer(c.cp) && !is_sentence_end(c.cp)) after_end = false;
    n += w;
    i += c.bytes;
    if (is_sentence_end(c.cp) || (after_end && is_closer(c.cp))) {
      after_end = true;
      best = i;
    }
  }
  return s.substr(0, best);
}

std::string_view trim(std::string_view s) noexcept {
  // leading
  std::size_t b = 0;
  while (b < s.size()) {
    const auto c = decode_at(s, b);
    if (!is_space(c.cp)) break;
    b += c.bytes;
  }
  s.remove_prefix(b);
  return trim_right(s);
}

std::string html_escape(std::string_view s) { return escape<false>(s); }
std::string xml_escape(std::string_view s) { return escape<true>(s); }

}  // namespace syn::feed::text
