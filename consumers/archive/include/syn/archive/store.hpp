#pragma once
/// The archive store: every issue manifest, every article revision (originals and translations)
/// and the raw issue bytes, in SQLite (default) or PostgreSQL, with full-text search that works
/// for Chinese. docs/ARCHIVE.md describes the schema, the revision rules and search.
///
/// Revision rules (both backends):
/// - An article revision is identified by (article id, content_sha256). Writing a pair that is
///   already stored never adds a revision.
/// - A new hash for a known id adds revision max+1 and makes it current, unless both it and the
///   current revision carry `published_at` and it is older (a replay of old records after a
///   correction leaves the correction current).
/// - A known hash that is not current becomes current again under the same rule (republishing
///   the original after a wrong correction restores it).
/// - Issue manifests follow the same rules, keyed on (issue id, source_sha256 + article ids and
///   hashes): publishing the same file twice stores one manifest revision.
/// - A translation keeps its own revisions and links to the source revision by
///   (translation_of, translation_of_sha256); the link resolves as soon as that source revision is
///   stored, whichever arrives first.
///
/// Thread-safety: a store is one database connection; use it from one thread at a time (one
/// store per consumer thread). Stores on the same database may run in several threads or
/// processes: SQLite serialises writers (WAL, busy timeout), PostgreSQL uses its own locking.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "syn/archive/error.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/issue.pb.h"

namespace syn::config {
struct archive_config;
}

namespace syn::archive {

enum class open_mode {
  /// Creates the database (SQLite: and its parent directories) and runs pending migrations.
  read_write,
  /// Never writes: fails with errc::schema when the schema is missing or older than this build.
  read_only,
};

struct store_options {
  open_mode mode = open_mode::read_write;
  /// How long a write waits for a lock held by another connection before failing with
  /// errc::busy (SQLite busy timeout; PostgreSQL lock_timeout).
  std::chrono::milliseconds busy_timeout{5000};
  /// PostgreSQL: bound on establishing a connection (libpq connect_timeout, whole seconds).
  std::chrono::milliseconds connect_timeout{5000};
  /// PostgreSQL: bound on every statement (statement_timeout), and with connect_timeout on an
  /// unresponsive server (tcp_user_timeout).
  std::chrono::milliseconds statement_timeout{30000};
};

/// One record to write; the pointee must outlive the write() call.
using record = std::variant<const syndication::v1::Article*, const syndication::v1::IssueManifest*>;

/// What write() did with one record.
struct record_outcome {
  enum kind_t {
    added,              ///< a new revision, now current
    added_not_current,  ///< a new revision kept as history (older than the current one)
    made_current,       ///< an already stored revision became current again
    unchanged,          ///< (id, hash) already stored; nothing changed
    rejected,           ///< failed validation; see `reason`
  };
  kind_t kind = unchanged;
  /// The revision the record is stored as (0 when rejected).
  int revision = 0;
  std::string reason;
};

/// One stored revision of an article, as listed in its history.
struct revision_info {
  int revision = 0;
  std::string content_sha256;
  /// When the archive stored it, ISO 8601 UTC (`2024-01-30T08:00:00.123Z`).
  std::string stored_at;
  /// Article.published_at in microseconds since the epoch; 0 when the record had none.
  std::int64_t published_us = 0;
};

/// An article that points at a stored article revision (a translation of it).
struct translation_ref {
  std::string id;
  std::string language;
  int revision = 0;
};

/// One article revision read back.
struct stored_article {
  syndication::v1::Article article;
  int revision = 0;
  int current_revision = 0;
  /// Highest revision number (= number of revisions).
  int revision_count = 0;
  std::string stored_at;
  /// For a translation: the source revision it was made from, once that revision is stored.
  std::optional<int> translation_of_revision;
  /// Every stored revision of this article, oldest first.
  std::vector<revision_info> history;
  /// Stored translations made from this revision.
  std::vector<translation_ref> translations;
};

/// An issue manifest revision read back.
struct stored_issue {
  syndication::v1::IssueManifest manifest;
  int revision = 0;
  int revision_count = 0;
  std::string stored_at;
  /// Whether the raw bytes named by manifest.source_sha256 are archived.
  bool raw_available = false;
};

/// A whole issue: its current manifest and its articles in manifest order.
struct issue_export {
  stored_issue issue;
  /// For each manifest entry that is stored: the revision with the manifest's hash, or the
  /// current revision when that hash is not stored (then `hash_mismatch` lists the id).
  std::vector<stored_article> articles;
  /// Manifest article ids with no stored revision at all.
  std::vector<std::string> missing;
  /// Manifest article ids exported at a revision whose hash differs from the manifest's.
  std::vector<std::string> hash_mismatch;
};

struct search_query {
  /// Whitespace-separated terms, all of which must occur (in the headline or the body).
  std::string text;
  /// Paper code; empty = any.
  std::string paper;
  /// Inclusive ISO dates (`2024-01-30`); empty = open.
  std::string from;
  std::string to;
  /// BCP 47 language; empty = any.
  std::string language;
  /// 1..1000.
  int limit = 20;
};

struct search_hit {
  std::string id;
  std::string issue_id;
  std::string paper;
  std::string issue_date;
  std::string language;
  std::string headline;
  /// Up to ~80 characters around the first match, every match marked 【like this】.
  std::string snippet;
  int revision = 0;
  /// Higher is more relevant; comparable within one result list only.
  double score = 0;
};

/// The archive. Created by open_sqlite(), open_postgres() or open().
class store {
 public:
  virtual ~store() = default;
  store() = default;
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Stores a batch in ONE transaction and commits before returning. Records that fail
  /// validation are not stored and come back as `rejected` (the rest of the batch is stored).
  /// On error nothing of the batch is stored (rolled back); writing the same batch again later is
  /// harmless. Errors: unavailable / busy / storage (retriable), read_only.
  [[nodiscard]] virtual result<std::vector<record_outcome>> write(std::span<const record> batch) = 0;

  /// Archives raw issue bytes by their SHA-256 (lowercase hex). Returns true when stored now,
  /// false when already archived (the first source name is kept). errc::invalid_record when
  /// `sha256` is malformed or is not the hash of `bytes`.
  [[nodiscard]] virtual result<bool> put_raw(std::string_view sha256, std::string_view bytes,
                                             std::string_view source_name) = 0;

  /// The raw bytes archived under `sha256`; errc::not_found when absent.
  [[nodiscard]] virtual result<std::string> raw(std::string_view sha256) = 0;

  /// The current revision of article `id`, or revision `revision`. errc::not_found when absent.
  [[nodiscard]] virtual result<stored_article> get(std::string_view id,
                                                   std::optional<int> revision = std::nullopt) = 0;

  /// The current manifest of an issue. errc::not_found when absent.
  [[nodiscard]] virtual result<stored_issue> issue(std::string_view issue_id) = 0;

  /// The current manifest and its articles in order. errc::not_found when the issue is absent.
  [[nodiscard]] virtual result<issue_export> export_issue(std::string_view issue_id) = 0;

  /// Current revisions matching every term, most relevant first. errc::bad_argument for an empty
  /// query, a malformed date or a limit out of range.
  [[nodiscard]] virtual result<std::vector<search_hit>> search(const search_query& q) = 0;

  /// Whether write() leaves full-text indexing to index_pending() (SQLite: the write transaction
  /// queues each changed article's text in `search_pending`; search() reads queued articles by
  /// substring match until they are indexed). false on PostgreSQL (indexed in the write).
  [[nodiscard]] virtual bool indexes_behind() const noexcept = 0;

  /// Moves up to `max_articles` queued articles into the full-text index, in one transaction, and
  /// returns how many it moved (0: the index is up to date, and always 0 on PostgreSQL).
  /// Idempotent and safe against a concurrent write() on another connection: an article queued
  /// again meanwhile stays queued with its newer text. errc::read_only on a read-only store.
  [[nodiscard]] virtual result<std::int64_t> index_pending(std::int64_t max_articles) = 0;
  /// Articles queued for the full-text index (always 0 on PostgreSQL).
  [[nodiscard]] virtual result<std::int64_t> queued_for_index() = 0;

  /// `sqlite` or `postgres`.
  [[nodiscard]] virtual std::string_view backend() const noexcept = 0;
  /// Highest applied migration.
  [[nodiscard]] virtual int schema_version() const noexcept = 0;
  /// Things worth telling an operator about this database (e.g. a PostgreSQL database whose
  /// LC_CTYPE drops Chinese characters from trigram indexes). Empty when all is well.
  [[nodiscard]] virtual std::vector<std::string> notices() const = 0;
};

/// The schema version this build migrates to.
[[nodiscard]] int latest_schema_version() noexcept;

/// Opens (read_write: creates and migrates) the SQLite archive at `path`, in WAL mode.
[[nodiscard]] result<std::unique_ptr<store>> open_sqlite(const std::string& path,
                                                         const store_options& options = {});

/// Connects to PostgreSQL with a libpq conninfo string or URI and migrates (read_write). The
/// search migration runs `CREATE EXTENSION IF NOT EXISTS pg_trgm`. Errors: unavailable (cannot
/// connect), schema.
[[nodiscard]] result<std::unique_ptr<store>> open_postgres(const std::string& conninfo,
                                                           const store_options& options = {});

/// The backend `cfg.backend` names; the PostgreSQL conninfo is read from its environment
/// variable now (errc::unavailable naming the variable when it is unset).
[[nodiscard]] result<std::unique_ptr<store>> open(const config::archive_config& cfg,
                                                  const store_options& options = {});

}  // namespace syn::archive
