#include "syn/feed/text.hpp"

namespace syn::feed::text {
namespace {

constexpr char32_t replacement = 0xFFFD;

bool is_cont(unsigned char c) noexcept { return (c & 0xC0U) == 0x80U; }

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
  std::size_t end = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = decode_at(s, i);
    i += c.bytes;
    if (!is_space(c.cp)) end = i;
  }
  return s.substr(0, end);
}

template <bool Xml>
std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80U) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
          if (c >= 0x20U || c == '\t' || c == '\n') out.push_back(static_cast<char>(c));
          // other C0 controls are dropped: XML forbids them and they mean nothing in HTML
          break;
      }
      ++i;
      continue;
    }
    const auto ch = decode_at(s, i);
    if (Xml && (ch.cp == 0xFFFE || ch.cp == 0xFFFF)) {
      // not XML characters
    } else if (ch.cp == replacement && ch.bytes == 1) {
      append_utf8(out, replacement);
    } else {
      out.append(s.substr(i, ch.bytes));
    }
    i += ch.bytes;
  }
  return out;
}

}  // namespace

utf8_char decode_at(std::string_view s, std::size_t pos) noexcept {
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
    if (!is_cont(b)) return {replacement, 1};
    cp = (cp << 6U) | (b & 0x3FU);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {replacement, 1};
  return {cp, need + 1};
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = decode_at(s, i);
    if (c.cp == replacement && c.bytes == 1) return false;
    i += c.bytes;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = decode_at(s, i);
    if (c.cp == replacement && c.bytes == 1) {
      append_utf8(out, replacement);
    } else {
      out.append(s.substr(i, c.bytes));
    }
    i += c.bytes;
  }
  return out;
}

std::size_t wechat_length(char32_t cp) noexcept { return cp >= 0x10000 ? 2 : 1; }

std::size_t wechat_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
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

std::string normalise_label(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = decode_at(s, i);
    i += c.bytes;
    if (is_space(c.cp)) continue;
    switch (c.cp) {
      case 0x2022:  // •
      case 0x30FB:  // ・
      case 0x2027:  // ‧
      case 0xFF65:  // ･
      case 0x2219:  // ∙
      case 0x00B7:  // ·
        append_utf8(out, 0x00B7);
        continue;
      default:
        break;
    }
    if (c.cp >= 'A' && c.cp <= 'Z') {
      out.push_back(static_cast<char>(c.cp - 'A' + 'a'));
    } else {
      append_utf8(out, c.cp);
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
  } else {
    out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
  }
}

}  // namespace syn::feed::text
