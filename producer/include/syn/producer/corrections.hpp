#pragma once
/// An editor's corrections to one split issue, without code: a YAML file (format and example in
/// docs/SPLITTING.md, "Editor corrections") that moves an article boundary, sets or fixes fields
/// (kicker, headline, sub-headline, byline, captions), merges two articles, splits one at a
/// paragraph, or drops a line. Applied by `publish --corrections FILE` and
/// `review release ID --corrections FILE` (and `POST /v1/review/{id}/release` with the file as the
/// body).
///
/// Identity: every article keeps its id (`<issue>-<page>-<nn>`), so an article the file does not
/// change keeps its id and content hash and is not sent again; a changed one gets a new
/// `content_sha256`, i.e. it is published as a new revision (docs/SPLITTING.md, section 7). A
/// merge removes the second article's id from the manifest; a split gives the new article the
/// next free number on the page. The manifest lists the articles in reading order.
///
/// Thread-safety: no shared state; any number of threads may parse and apply at once.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "syn/producer/splitter.hpp"

namespace syn::producer {

/// A correction file that cannot be read or applied. `what()` is `SOURCE:LINE: FIELD: message`
/// (`LINE` omitted when the error is not about one line, `FIELD` when not about one field).
class correction_error : public std::runtime_error {
 public:
  correction_error(std::string source, std::uint32_t line, std::string field, const std::string& message);

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// 1-based line in the correction file; 0 when the error is not about one line.
  [[nodiscard]] std::uint32_t line() const noexcept { return line_; }
  /// The field in error, as a path (`corrections[2].set.headline`); empty when none applies.
  [[nodiscard]] const std::string& field() const noexcept { return field_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string source_;
  std::uint32_t line_;
  std::string field_;
  std::string message_;
};

/// Correction files larger than this are refused (one issue's corrections fit in a few KB).
inline constexpr std::size_t max_corrections_bytes = 256U * 1024U;

/// One contributor as the editor writes it.
struct corrected_person {
  std::string name;
  syndication::v1::Contributor::Role role = syndication::v1::Contributor::REPORTER;
};

/// A caption fix: photo `photo` (1-based, in the article's order) gets these texts.
struct corrected_caption {
  std::uint32_t photo = 0;
  std::optional<std::string> caption;
  std::optional<std::string> credit;
};

/// Where an operation sits in the file, for errors found when it is applied.
struct correction_place {
  std::uint32_t line = 0;
  std::string field;
};

/// An article as the file names it: its number on the page (the last two digits of its id, as
/// `split`/`review show` print it) or its whole id.
struct article_ref {
  std::uint32_t number = 0;
  std::string id;
};

struct set_fields {
  article_ref article;
  std::optional<std::string> kicker;
  std::optional<std::string> headline;
  std::optional<std::string> subheadline;
  std::optional<std::vector<corrected_person>> byline;  ///< replaces the contributors
  std::vector<corrected_caption> captions;
};
/// The second article's blocks, photos and new contributors are appended to the first's.
struct merge_articles {
  article_ref first;
  article_ref second;
};
/// Paragraphs `at_paragraph`.. (1-based blocks, at least 2) become a new article after it.
struct split_article {
  article_ref article;
  std::uint32_t at_paragraph = 0;
  std::optional<std::string> headline;  ///< default: the block it starts at, if a sub-head
  std::optional<std::vector<corrected_person>> byline;
};
/// `paragraphs` > 0: the last N blocks of `after` move to the start of the next article;
/// < 0: the first N blocks of the next article move to the end of `after`.
struct move_boundary {
  article_ref after;
  std::int32_t paragraphs = 0;
};
/// Removes paragraph `paragraph` (1-based) of the article, or the line `text` wherever it
/// appears in one of its blocks (a footer glued into a paragraph); a block left empty goes.
struct drop_line {
  article_ref article;
  std::uint32_t paragraph = 0;
  std::string text;
};

struct correction {
  correction_place place;
  std::variant<set_fields, merge_articles, split_article, move_boundary, drop_line> op;
};

/// A parsed correction file.
struct correction_set {
  std::string source;    ///< file name, for errors
  std::string text;      ///< the file as given (kept with a released issue, for the record)
  std::string issue_id;  ///< the issue it is for (must match)
  std::vector<correction> corrections;
};

/// Parses a correction file. \throws correction_error (with line and field) for bad YAML, unknown
/// keys, wrong types, or a file over `max_corrections_bytes`.
correction_set parse_corrections(std::string_view yaml, const std::string& source);

/// Reads and parses the correction file `path` (at most max_corrections_bytes read).
/// \throws correction_error when it cannot be read or parsed.
correction_set read_correction_file(const std::string& path);

/// What applying changed.
struct correction_report {
  std::vector<std::string> changed;  ///< ids of articles whose content hash changed (or new)
  std::vector<std::string> removed;  ///< ids merged away
};

/// Applies `set` to `issue` in order: fixes ids' order in the manifest, recomputes the content
/// hashes, marks every touched article's confidence 1 (an editor has seen it) and the issue's as
/// the lowest left. All or nothing: on error `issue` is unchanged.
/// \throws correction_error naming the operation's line when the issue does not fit (wrong issue
///         id, no such article or paragraph, an article left empty).
correction_report apply_corrections(const correction_set& set, split_result& issue);

}  // namespace syn::producer
