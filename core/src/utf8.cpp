#include "syn/core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace syn::utf8 {
namespace {

bool continuation(unsigned char c) noexcept { return (c & 0xC0U) == 0x80U; }

}  // namespace

std::size_t skip_ascii(std::string_view s, std::size_t i) noexcept {
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  while (i + 8 <= s.size()) {
    std::uint64_t w = 0;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & high) != 0) break;
    i += 8;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80U) ++i;
  return i;
}

char32_t prev(std::string_view s, std::size_t& end) noexcept {
  if (end == 0) return 0;
  std::size_t start = end - 1;
  // Walk back over at most three continuation bytes.
  for (int k = 0; k < 3 && start > 0 && continuation(static_cast<unsigned char>(s[start])); ++k) --start;
  const auto d = decode_at(s, start);
  if (start + d.bytes != end) {  // not a well-formed sequence ending at `end`: step one byte
    end -= 1;
    return replacement;
  }
  end = start;
  return d.cp;
}

void append(std::string& out, char32_t cp) {
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

bool valid(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80U) {
      i = skip_ascii(s, i);
      continue;
    }
    const auto d = decode_at(s, i);
    if (is_invalid(d)) return false;
    i += d.bytes;
  }
  return true;
}

std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto d = decode_at(s, i);
    if (is_invalid(d)) {
      append(out, replacement);
    } else {
      out.append(s.substr(i, d.bytes));
    }
    i += d.bytes;
  }
  return out;
}

char32_t next_slow(std::string_view s, std::size_t& i) noexcept {
  const auto d = decode_at(s, i);
  i += d.bytes;
  return d.cp;
}

std::size_t count(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80U) {
      const auto j = skip_ascii(s, i);
      n += j - i;
      i = j;
      continue;
    }
    i += decode_at(s, i).bytes;
    ++n;
  }
  return n;
}

std::string_view prefix_bytes(std::string_view s, std::size_t max_bytes) noexcept {
  if (max_bytes >= s.size()) return s;
  std::size_t end = max_bytes;
  // Back to the first byte of the sequence that `s[max_bytes]` may be inside of; keep it out
  // only if it is well-formed and runs past the cut.
  std::size_t start = end;
  for (int k = 0; k < 3 && start > 0 && continuation(static_cast<unsigned char>(s[start])); ++k) --start;
  if (start < end && start + decode_at(s, start).bytes > end) end = start;
  return s.substr(0, end);
}

std::string normalise_label(std::string_view s, bool (*is_space)(char32_t) noexcept) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next(s, i);
    if (is_space(cp)) continue;
    switch (cp) {
      case 0x2022:  // •
      case 0x30FB:  // ・
      case 0x2027:  // ‧
      case 0xFF65:  // ･
      case 0x2219:  // ∙
      case 0x00B7:  // ·
        append(out, 0x00B7);
        continue;
      default:
        break;
    }
    append(out, cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
  }
  return out;
}

}  // namespace syn::utf8
