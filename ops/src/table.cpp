#include "syn/ops/table.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace syn::ops {

namespace {

/// Decodes one UTF-8 sequence at `i` and advances past it; -1 for an invalid byte (skipped alone).
std::int32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::int32_t cp = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  if ((b0 & 0xE0U) == 0xC0U) {
    n = 1;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0U) == 0xE0U) {
    n = 2;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8U) == 0xF0U) {
    n = 3;
    cp = b0 & 0x07;
  } else {
    ++i;
    return -1;
  }
  if (i + n >= s.size()) {  // truncated sequence
    ++i;
    return -1;
  }
  for (std::size_t k = 1; k <= n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0U) != 0x80U) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms and surrogates are invalid.
  static constexpr std::array<std::int32_t, 4> min_for_len{0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += n + 1;
  return cp;
}

bool is_wide(std::int32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
         (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
         (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
         (cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F900 && cp <= 0x1F9FF) ||
         (cp >= 0x20000 && cp <= 0x3FFFD);
}

bool is_combining(std::int32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
         (cp >= 0x20D0 && cp <= 0x20FF);
}

std::size_t cells(std::int32_t cp) {
  if (cp < 0) return 1;
  if (is_combining(cp)) return 0;
  return is_wide(cp) ? 2 : 1;
}

}  // namespace

std::size_t display_width(std::string_view utf8) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < utf8.size();) w += cells(next_code_point(utf8, i));
  return w;
}

std::string truncate_cells(std::string_view utf8, std::size_t max_width) {
  std::string flat(utf8);
  std::replace_if(
      flat.begin(), flat.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  if (display_width(flat) <= max_width) return flat;
  if (max_width == 0) return {};
  std::string out;
  std::size_t w = 0;
  for (std::size_t i = 0; i < flat.size();) {
    const std::size_t start = i;
    const std::size_t c = cells(next_code_point(flat, i));
    if (w + c > max_width - 1) break;  // keep one cell for the ellipsis
    out.append(flat, start, i - start);
    w += c;
  }
  return out + "…";
}

bool is_printable_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const std::int32_t cp = next_code_point(bytes, i);
    if (cp < 0) return false;
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F) return false;
  }
  return true;
}

std::string hex_dump(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  const std::size_t n = std::min(bytes.size(), max_bytes);
  std::array<char, 32> buf{};  // "%08zx: " is up to 18 bytes for a 64-bit size_t
  for (std::size_t line = 0; line < n; line += 16) {
    std::snprintf(buf.data(), buf.size(), "%08zx: ", line);
    out += buf.data();
    for (std::size_t k = 0; k < 16; ++k) {
      if (line + k < n) {
        std::snprintf(buf.data(), buf.size(), "%02x", static_cast<unsigned char>(bytes[line + k]));
        out += buf.data();
      } else {
        out += "  ";
      }
      if (k % 2 == 1) out += ' ';
    }
    out += ' ';
    for (std::size_t k = 0; k < 16 && line + k < n; ++k) {
      const auto c = static_cast<unsigned char>(bytes[line + k]);
      out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
    }
    out += '\n';
  }
  if (bytes.size() > n) out += "... " + std::to_string(bytes.size() - n) + " more bytes\n";
  return out;
}

table::table(std::vector<column> columns) : columns_(std::move(columns)) {}

void table::add(std::vector<std::string> cells_in) {
  cells_in.resize(columns_.size());
  rows_.push_back(std::move(cells_in));
}

std::string table::render() const {
  std::vector<std::size_t> widths(columns_.size(), 0);
  for (std::size_t c = 0; c < columns_.size(); ++c) widths[c] = display_width(columns_[c].title);
  for (const auto& r : rows_) {
    for (std::size_t c = 0; c < r.size(); ++c) widths[c] = std::max(widths[c], display_width(r[c]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells_of_row) {
    std::string l;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const std::string& v = cells_of_row[c];
      const std::size_t pad = widths[c] - display_width(v);
      if (c > 0) l += "  ";
      if (columns_[c].a == align::right) {
        l.append(pad, ' ');
        l += v;
      } else {
        l += v;
        l.append(pad, ' ');
      }
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out += '\n';
  };
  std::vector<std::string> titles;
  titles.reserve(columns_.size());
  for (const auto& c : columns_) titles.push_back(c.title);
  line(titles);
  for (const auto& r : rows_) line(r);
  return out;
}

}  // namespace syn::ops
