#pragma once
/// Plain-text tables and byte dumps for the ops commands' human output.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace syn::ops {

/// Columns in terminal cells of UTF-8 text: East Asian wide and fullwidth characters (CJK,
/// Hangul, fullwidth forms) count 2, combining marks 0, everything else 1. Invalid UTF-8 bytes
/// count 1 each.
[[nodiscard]] std::size_t display_width(std::string_view utf8);

/// `utf8` cut to at most `max_width` cells, ending in `…` when cut; never splits a character.
/// Newlines and tabs become spaces (a table cell is one line).
[[nodiscard]] std::string truncate_cells(std::string_view utf8, std::size_t max_width);

/// Whether `bytes` is valid UTF-8 with no control characters other than \t \n \r.
[[nodiscard]] bool is_printable_utf8(std::string_view bytes);

/// `xxd`-style dump of the first `max_bytes` bytes (16 per line: offset, hex, ASCII), plus a
/// line saying how many bytes were left out.
[[nodiscard]] std::string hex_dump(std::string_view bytes, std::size_t max_bytes = 256);

/// A table with a header row; columns separated by two spaces, padded by display width.
/// Numbers are right-aligned when their column says so. No trailing spaces.
class table {
 public:
  enum class align { left, right };
  struct column {
    std::string title;
    align a = align::left;
  };

  explicit table(std::vector<column> columns);
  /// A row with as many cells as columns (missing cells are empty, extra ones dropped).
  void add(std::vector<std::string> cells);
  [[nodiscard]] std::size_t size() const noexcept { return rows_.size(); }
  [[nodiscard]] std::string render() const;

 private:
  std::vector<column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace syn::ops
