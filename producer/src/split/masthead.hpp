#pragma once
/// The masthead reader: the leading chunks that describe the issue rather than hold articles
/// (publisher line, date, weekday, lunar date, 总第N期, 今日N版, registration line, page header).

#include <cstdint>
#include <string>
#include <vector>

#include "split/classify.hpp"
#include "syn/producer/splitter.hpp"

namespace syn::producer::detail {

/// What the masthead says. Empty strings and zeros mean "not printed".
struct masthead {
  std::string paper_code;  ///< of the known paper named in the masthead, if any
  std::string paper_name;
  std::string publisher;
  std::string cn_number;    ///< `CN 65-0010`
  std::string postal_code;  ///< `57-103`
  std::string website;
  std::string email;
  std::string hotline;
  std::string date;  ///< `YYYY-MM-DD`
  std::uint32_t date_line = 0;
  std::string weekday;
  std::string lunar_date;
  std::uint32_t issue_number = 0;
  std::uint32_t page_count = 0;
  std::uint32_t page = 0;  ///< from `第N版`
};

/// Marks the leading masthead chunks of `chunks` as `chunk_kind::masthead` and reads them;
/// `lines` are the input lines the chunks were made of (a page header's paper name is read per line).
/// \throws split_error for a printed date that is not a calendar date.
masthead read_masthead(std::vector<chunk>& chunks, const std::vector<source_line>& lines,
                       const std::vector<known_paper>& papers, const std::string& source);

/// True if `date` is `YYYY-MM-DD` and a real calendar date.
bool valid_iso_date(std::string_view date) noexcept;

}  // namespace syn::producer::detail
