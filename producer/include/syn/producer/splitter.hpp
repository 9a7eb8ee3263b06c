#pragma once
/// The issue splitter: one newspaper page (or issue) as extracted text in, the issue manifest and
/// its articles out. The rules it follows are written down in docs/SPLITTING.md.
///
/// Thread-safety: `split_issue` keeps no state between calls and shares nothing mutable, so any
/// number of threads may call it at once (the HTTP trigger does).
///
/// Cost: linear in the input. Every look-back and look-ahead is bounded by a constant, so hostile
/// input cannot make it quadratic; inputs over `max_input_bytes` are refused.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "syndication/v1/article.pb.h"
#include "syndication/v1/issue.pb.h"

namespace syn::producer {

/// A paper the splitter can recognise by name in the masthead (from config `papers`).
struct known_paper {
  std::string code;                  ///< short stable code used in ids, e.g. `cjrb`
  std::string name;                  ///< name as printed, e.g. `昌吉日报`
  std::vector<std::string> aliases;  ///< other spellings found in mastheads, e.g. `昌吉日报社`
};

/// The papers known without a config file: 昌吉日报 -> cjrb.
std::vector<known_paper> default_papers();

/// What the caller knows about the input besides its bytes.
struct split_options {
  /// Name of the input (file name, request id): prefixes every error, lands in the manifest.
  std::string source_name;
  /// Paper code override; empty: a known paper named in the masthead, else derived (see docs).
  std::string paper_code;
  /// Issue date override, `YYYY-MM-DD`; empty: from the masthead.
  std::string issue_date;
  /// Page override; 0: from a `第N版` marker in the page header, else 1.
  std::uint32_t page = 0;
  /// Papers to recognise by name.
  std::vector<known_paper> papers;
};

/// One split issue. `articles[i].id() == manifest.article_ids(i)`.
struct split_result {
  syndication::v1::IssueManifest manifest;
  std::vector<syndication::v1::Article> articles;
};

/// The input cannot be split. `what()` is `SOURCE:LINE: message`, or `SOURCE: message` when no
/// line applies.
class split_error : public std::runtime_error {
 public:
  split_error(std::string source, std::uint32_t line, const std::string& message);

  /// The source name from `split_options`.
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// 1-based line in the input, 0 when the error is not about one line.
  [[nodiscard]] std::uint32_t line() const noexcept { return line_; }
  /// The message without the source and line prefix.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string source_;
  std::uint32_t line_;
  std::string message_;
};

/// Inputs larger than this are refused (a page is ~20 KB; a whole issue well under 1 MB).
inline constexpr std::size_t max_input_bytes = 16U * 1024U * 1024U;

/// Version stamped into manifests (`splitter_version`); bump when the output for a given input
/// may change.
inline constexpr std::string_view splitter_version = "syndicate-splitter/2";

/// Splits `raw_bytes` (UTF-8 with or without BOM, or GB18030/GBK; LF, CRLF or CR line ends) into
/// articles in reading order and fills the manifest. `published_at` is left unset.
///
/// \throws split_error for empty, binary, undecodable or oversized input, an issue whose date or
///         paper cannot be determined, or text in which no article is recognised.
split_result split_issue(std::string_view raw_bytes, const split_options& options);

/// `{"manifest": IssueManifest, "articles": [Article...]}` in protobuf's canonical JSON mapping,
/// indented by two spaces, ending with a newline.
std::string to_json(const split_result& result);

/// A readable plain-text view of the result, for people.
std::string to_text(const split_result& result);

}  // namespace syn::producer
