#pragma once
/// Issues held for review: an issue whose confidence is below `producer.review.min_confidence` is
/// not published by `publish` or `serve trigger` but kept here until an editor releases (publishes,
/// optionally with a correction file) or rejects it. See docs/RUNBOOK.md, "Held issues".
///
/// Durability: the same rules as the trigger's spool. A held issue is one file
/// `<dir>/<issue id>.held` (a JSON line of metadata, then the raw issue text), written to a
/// temporary name, fsync'd, renamed into place and the directory fsync'd before `hold()` returns,
/// so that an acknowledgement (a 202, a moved hot-folder file, publish's "held" line) means it is
/// on disk. A decision is recorded the same way (`released/<id>.json`, `rejected/<id>.held`)
/// before the held file is removed.
///
/// Exactly once: a release publishes through the publisher, which sends only the articles the
/// topic does not hold with the same content hash (a repeated release is `unchanged`), and a
/// release or rejection first takes the issue's claim, an exclusive `flock` on
/// `<dir>/.locks/<id>.lock`, so two releases (two threads, the trigger and the CLI) never
/// publish at once. A release interrupted by a crash leaves the issue held (or `releasing`, which
/// the trigger resumes at start-up); released again it is published once.
///
/// Thread-safety: every member may be called from any thread; claims serialise decisions.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syn/producer/corrections.hpp"
#include "syn/producer/encode.hpp"
#include "syn/producer/splitter.hpp"

namespace syn::producer {

/// Whether `issue` must be held: a threshold is set (> 0) and the issue's confidence is below it.
[[nodiscard]] bool below_confidence(const split_result& issue, double min_confidence) noexcept;

/// A held issue and what became of it.
struct held_issue {
  std::string issue_id;
  std::string state = "held";  ///< held, releasing, released, rejected
  std::string via;             ///< how it came: cli, http, hotfolder
  std::string who;             ///< client address, file name or instance
  std::string source;          ///< source name (split option and manifest field)
  std::string paper;           ///< paper code override it was split with, or ""
  std::string date;            ///< issue date override it was split with, or ""
  double confidence = 0;
  std::size_t warnings = 0;
  std::string held_at;            ///< ISO 8601 UTC
  std::string decided_at;         ///< when released or rejected
  std::string reason;             ///< rejection reason; last release error
  std::string corrections;        ///< the correction file of the release (text), if any
  std::string outcome;            ///< release: published or unchanged
  std::vector<std::string> sent;  ///< release: ids of the articles sent
  std::string body;               ///< the raw issue text (held and rejected issues)
};

/// Now, `YYYY-MM-DDTHH:MM:SSZ`.
std::string utc_now_iso8601();

/// The record of holding `issue` (split from `raw` with `so`), as it came (`via`, `who`).
held_issue make_held(const split_result& issue, std::string_view raw, std::string via, std::string who,
                     const split_options& so);

/// The split options a held issue was split with, for splitting it again identically.
split_options options_of(const held_issue& h, const std::vector<known_paper>& papers);

/// An issue id usable as a file name and URL segment (`[a-z0-9][a-z0-9_.-]{0,127}`, no `..`).
[[nodiscard]] bool valid_issue_id(std::string_view id) noexcept;

class review_store {
 public:
  /// Exclusive right to decide on one issue; released when destroyed.
  class claim {
   public:
    claim(const claim&) = delete;
    claim& operator=(const claim&) = delete;
    ~claim();
    [[nodiscard]] const std::string& issue_id() const noexcept { return id_; }

   private:
    friend class review_store;
    claim(std::string id, int fd) : id_(std::move(id)), fd_(fd) {}
    std::string id_;
    int fd_;
  };

  /// Opens (creating) `dir`, `released/`, `rejected/`, `.locks/`. \throws std::runtime_error.
  explicit review_store(std::filesystem::path dir);

  /// Holds `h` durably (replacing an earlier hold of the same issue). \throws std::runtime_error.
  void hold(const held_issue& h);
  /// Held (and releasing) issues, oldest first, without their text.
  [[nodiscard]] std::vector<held_issue> list() const;
  /// The issue held, else its decision record (released/rejected), else nullopt. With its text.
  [[nodiscard]] std::optional<held_issue> find(const std::string& id) const;
  /// The claim on `id`, or nullptr when another thread or process holds it.
  [[nodiscard]] std::unique_ptr<claim> try_claim(const std::string& id) const;
  /// Rewrites the held issue (state `releasing`, the corrections, an error...), durably.
  void update(const claim& c, const held_issue& h);
  /// Records the release (`h` carries the outcome) and forgets the held text, durably.
  void released(const claim& c, held_issue h);
  /// Records the rejection (with the text, for a look) and forgets the held issue, durably.
  void rejected(const claim& c, held_issue h);

  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  std::filesystem::path dir_;
};

/// `publish`'s gate for each split issue: the `--corrections` file applied to the issue it names,
/// then the issue held if doubtful. Not thread-safe (publish's sending thread).
class publish_gate {
 public:
  /// `dir`: producer.review.dir; `min_confidence`: producer.review.min_confidence.
  publish_gate(std::filesystem::path dir, double min_confidence, std::optional<correction_set> corrections);
  /// Corrects `issue` (and its `encoded` records) if the corrections are for it; then, if its
  /// confidence is below the threshold, holds it durably and returns the line to print (the
  /// issue is then NOT to be published); else nullopt. \throws correction_error.
  std::optional<std::string> check(split_result& issue, encoded_issue& encoded, const split_options& so);
  /// \throws correction_error if corrections were given for an issue none of the files holds.
  void finish() const;
  [[nodiscard]] bool has_corrections() const noexcept { return corrections_.has_value(); }

 private:
  std::filesystem::path dir_;
  double min_confidence_;
  std::optional<correction_set> corrections_;
  bool applied_ = false;
  std::unique_ptr<review_store> store_;  // opened at the first hold
};

/// Articles below this are doubtful, whatever the threshold: the splitter warns below it too.
inline constexpr double doubtful_below = 0.8;

/// A text view of a held issue for an editor: the issue's confidence and warnings, then each
/// article with its number, confidence and fields, those below `doubt_below` (the hold threshold,
/// at least doubtful_below) marked `?`.
std::string review_text(const held_issue& h, const split_result& issue, double doubt_below = doubtful_below);

/// The same as JSON (the summary, then `issueConfidence`, `warningList`, `articles` each with
/// `doubtful`), for a console.
std::string review_json(const held_issue& h, const split_result* issue, double doubt_below = doubtful_below);

/// The metadata of `h` as JSON (no text), as `list` shows it.
std::string summary_json(const held_issue& h);

}  // namespace syn::producer
