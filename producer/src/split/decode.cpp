#include "split/decode.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "split/text.hpp"
#include "syn/producer/splitter.hpp"

namespace syn::producer::detail {

namespace {

std::uint32_t line_of(std::string_view s, std::size_t offset) noexcept {
  offset = std::min(offset, s.size());
  std::uint32_t line = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    // CRLF counts once, a lone CR counts as a line end.
    if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n'))) ++line;
  }
  return line;
}

std::string hex_byte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(b));
  return buf;
}

/// Length of the well-formed UTF-8 sequence at s[i], or 0 if it is not one. `truncated` is set
/// when the sequence is a valid prefix cut off by the end of `s`.
std::size_t utf8_sequence(std::string_view s, std::size_t i, bool& truncated) noexcept {
  truncated = false;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) {
      truncated = true;
      return 0;
    }
    const auto b = static_cast<unsigned char>(s[i + k]);
    const unsigned char l = k == 1 ? lo : 0x80;
    const unsigned char h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return 0;
  }
  return len;
}

struct iconv_closer {
  void operator()(void* cd) const noexcept { iconv_close(static_cast<iconv_t>(cd)); }
};

struct conversion {
  std::string text;
  std::size_t error_offset = std::string::npos;  ///< where the input stopped converting
  bool truncated = false;                        ///< stopped at an incomplete sequence at the end
};

/// Converts `in` from `from` to UTF-8 with glibc iconv; stops at the first bad sequence.
conversion convert(std::string_view in, const char* from) {
  conversion out;
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1))) {  // iconv's error value
    out.error_offset = 0;
    return out;
  }
  const std::unique_ptr<void, iconv_closer> guard(cd);
  out.text.resize(in.size() * 2 + 16);
  // iconv's interface takes non-const input though it never writes to it.
  char* src = const_cast<char*>(in.data());
  std::size_t src_left = in.size();
  std::size_t produced = 0;
  while (src_left > 0) {
    char* dst = out.text.data() + produced;
    std::size_t dst_left = out.text.size() - produced;
    const std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
    produced = out.text.size() - dst_left;
    if (rc != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      out.text.resize(out.text.size() * 2);
      continue;
    }
    out.error_offset = static_cast<std::size_t>(src - in.data());
    out.truncated = errno == EINVAL;
    break;
  }
  out.text.resize(produced);
  return out;
}

/// Rough shape of the text: how many code points are Han among the non-ASCII ones.
bool looks_chinese(std::string_view utf8) noexcept {
  std::size_t han = 0;
  std::size_t other = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const char32_t c = next_cp(utf8, i);
    if (c < 0x80) continue;
    if (is_han(c))
      ++han;
    else
      ++other;
  }
  return han > 0 && han >= other;
}

void split_lines(std::string_view text, decoded_input& out) {
  std::uint32_t number = 1;
  std::size_t start = 0;
  auto emit = [&](std::size_t end) {
    std::string_view line = text.substr(start, end - start);
    // Trailing whitespace never matters; leading whitespace (indentation) does.
    std::size_t e = line.size();
    while (e > 0) {
      std::size_t j = e;
      if (!is_space(prev_cp(line, j))) break;
      e = j;
    }
    out.lines.push_back({std::string(line.substr(0, e)), number++});
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      emit(i);
      start = i + 1;
    } else if (text[i] == '\r') {
      emit(i);
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < text.size()) emit(text.size());
}

/// Refuses text that is not text: NUL bytes, or more than 1% control characters.
void check_not_binary(std::string_view s, const std::string& source) {
  std::size_t controls = 0;
  std::size_t first = std::string::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == 0) throw split_error(source, line_of(s, i), "binary input (NUL byte), not issue text");
    if ((b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f' && b != '\v') || b == 0x7F) {
      if (first == std::string::npos) first = i;
      ++controls;
    }
  }
  if (controls > 0 && controls * 100 > s.size()) {
    throw split_error(source, line_of(s, first), "binary input (control characters), not issue text");
  }
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    bool truncated = false;
    const std::size_t n = utf8_sequence(s, i, truncated);
    if (n == 0) return i;
    i += n;
  }
  return std::string::npos;
}

decoded_input decode_input(std::string_view raw, const std::string& source) {
  if (raw.size() > max_input_bytes) {
    throw split_error(source, 0,
                      "input too large (" + std::to_string(raw.size()) + " bytes; limit " +
                          std::to_string(max_input_bytes) + ")");
  }
  decoded_input out;
  std::string converted;
  std::string_view text = raw;
  const bool utf16le = starts_with(raw, "\xFF\xFE");
  const bool utf16be = starts_with(raw, "\xFE\xFF");
  if (utf16le || utf16be) {
    conversion c = convert(raw.substr(2), utf16le ? "UTF-16LE" : "UTF-16BE");
    if (c.error_offset != std::string::npos) {
      throw split_error(source, 0, c.truncated ? "truncated UTF-16 text" : "invalid UTF-16 text");
    }
    converted = std::move(c.text);
    text = converted;
    out.encoding = "UTF-16";
  }
  if (starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  if (trim(text).empty() || text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) {
    throw split_error(source, 0, "empty input: no issue text");
  }
  // Classify the invalid bytes, if any, in one pass; look for binary bytes on the way.
  std::size_t first_invalid = std::string::npos;
  bool first_truncated = false;
  std::size_t invalid = 0;
  std::size_t valid_multibyte = 0;
  bool suspicious = false;  // NUL or other control bytes: check_not_binary decides
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b >= 0x20 && b < 0x7F) {  // printable ASCII: the common case
      ++i;
      continue;
    }
    if (b < 0x20 || b == 0x7F) {
      suspicious = suspicious || (b != '\n' && b != '\r' && b != '\t' && b != '\f' && b != '\v');
      ++i;
      continue;
    }
    bool truncated = false;
    const std::size_t n = utf8_sequence(text, i, truncated);
    if (n == 0) {
      if (first_invalid == std::string::npos) {
        first_invalid = i;
        first_truncated = truncated;
      }
      ++invalid;
      ++i;
      continue;
    }
    if (n > 1) ++valid_multibyte;
    i += n;
  }

  if (suspicious) check_not_binary(text, source);
  if (first_invalid == std::string::npos) {
    if (out.encoding.empty()) out.encoding = "UTF-8";
  } else {
    // UTF-8 with a defect, or another encoding? Chinese text in GB18030 is almost never
    // well-formed UTF-8 for more than a few characters, so plenty of good sequences and few bad
    // ones mean damaged UTF-8, which we refuse rather than guess at.
    const bool damaged_utf8 = !out.encoding.empty() || first_truncated ||
                              (valid_multibyte >= 16 && invalid * 20 <= valid_multibyte);
    if (damaged_utf8) {
      const auto bad = static_cast<unsigned char>(text[first_invalid]);
      throw split_error(source, line_of(text, first_invalid),
                        first_truncated ? "truncated UTF-8 sequence at end of input"
                                        : "invalid UTF-8 (byte " + hex_byte(bad) + ")");
    }
    conversion c = convert(text, "GB18030");
    if (c.error_offset != std::string::npos) {
      const std::uint32_t line = line_of(text, c.error_offset);
      if (c.truncated) throw split_error(source, line, "truncated GB18030 sequence at end of input");
      const auto bad = static_cast<unsigned char>(text[std::min(c.error_offset, text.size() - 1)]);
      throw split_error(source, line, "neither UTF-8 nor GB18030 text (byte " + hex_byte(bad) + ")");
    }
    if (!looks_chinese(c.text)) {
      throw split_error(source, line_of(text, first_invalid),
                        "invalid UTF-8 (byte " + hex_byte(static_cast<unsigned char>(text[first_invalid])) +
                            ") and not Chinese text in GB18030 either");
    }
    converted = std::move(c.text);
    text = converted;
    if (starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
    check_not_binary(text, source);
    out.encoding = "GB18030";
  }
  split_lines(text, out);
  return out;
}

}  // namespace syn::producer::detail
