#pragma once
/// Stage 1, the reader: raw bytes -> validated UTF-8 lines. Detects the encoding (UTF-8 with or
/// without BOM, UTF-16 with BOM, GB18030/GBK) and splits on LF, CRLF and CR.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace syn::producer::detail {

/// One line of the input, without its line end and trailing whitespace.
struct source_line {
  std::string text;
  std::uint32_t number = 0;  ///< 1-based
};

/// The decoded input.
struct decoded_input {
  std::vector<source_line> lines;
  std::string encoding;  ///< `UTF-8`, `GB18030` or `UTF-16`
};

/// Decodes `raw`. Thread-safe (each call opens its own iconv descriptor).
/// \throws split_error (named after `source`) for oversized, empty, binary or undecodable input;
///         the line is given where one applies.
decoded_input decode_input(std::string_view raw, const std::string& source);

/// Offset of the first byte that is not part of well-formed UTF-8 (no overlongs, surrogates or
/// values past U+10FFFF), or `npos` if all of `s` is well-formed.
std::size_t find_invalid_utf8(std::string_view s) noexcept;

}  // namespace syn::producer::detail
