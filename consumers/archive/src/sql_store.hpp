#pragma once
// The archive logic, written once over sql::connection; each backend supplies a connection and a
// dialect (its migration scripts, the statements whose SQL differs, and its search query).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "migrations.hpp"
#include "sql.hpp"
#include "syn/archive/store.hpp"

namespace syn::archive {

/// A search statement and the values of its parameters.
struct search_sql {
  std::string text;
  /// Parameter values; `params` views into them.
  std::vector<std::string> values;
  std::vector<sql::param> params;
};

class dialect {
 public:
  virtual ~dialect() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  /// The script of `m` for this backend.
  [[nodiscard]] virtual std::string_view script(const migration& m) const noexcept = 0;
  /// SQL of statement `s` (`$1`-style placeholders).
  [[nodiscard]] virtual std::string_view sql(sql::stmt s) const noexcept;
  /// Statements run inside the migration transaction before anything else (PostgreSQL: an
  /// advisory lock, so that concurrently starting instances migrate one at a time).
  [[nodiscard]] virtual std::string_view migration_lock() const noexcept { return {}; }
  /// SQL statements that move up to `limit` rows of search_pending into the full-text index and
  /// delete them, run in order inside one transaction; the last one's change count is the number
  /// moved. Empty when the backend indexes inside write() (search_insert writes the index).
  [[nodiscard]] virtual std::vector<std::string> index_pending(std::int64_t /*limit*/) const { return {}; }
  /// A query whose one row's first column counts the articles queued for the index; empty when
  /// the backend indexes inside write().
  [[nodiscard]] virtual std::string count_pending() const { return {}; }
  /// The search over article_search: columns article_id, issue_id, paper, issue_date, language,
  /// headline, body, current revision, score (higher = better); ordered, limited.
  /// `terms` is non-empty; the query is already validated.
  [[nodiscard]] virtual search_sql search(const search_query& q,
                                          const std::vector<std::string>& terms) const = 0;

 protected:
  dialect() = default;
  dialect(const dialect&) = default;
  dialect& operator=(const dialect&) = default;
};

/// The SQL of every statement of `d`, by index (what a connection is opened with).
syn::sql::statements statements_of(const dialect& d);

/// Creates schema_migrations and applies pending migrations in one transaction (read_write), or
/// checks that the schema is complete (read_only). Returns the schema version.
result<int> migrate(sql::connection& conn, const dialect& d, open_mode mode);

/// A store over `conn`, migrated to `schema_version`.
std::unique_ptr<store> make_sql_store(std::unique_ptr<sql::connection> conn, const dialect& d,
                                      const store_options& options, int schema_version,
                                      std::vector<std::string> notices);

/// `%`, `_` and `\` escaped with `\` (for LIKE ... ESCAPE '\'), wrapped in `%...%`.
std::string like_pattern(std::string_view term);

/// ASCII lowercase.
std::string ascii_lower(std::string_view s);

/// The relevance of the LIKE-based searches, the same on both backends: per term, 3 for a
/// headline hit, a saturating count of body occurrences (c * 2.2 / (c + 1.2), as BM25 saturates
/// term frequency) and up to 1 for an early first occurrence. `pos_fn(h, n)` is the dialect's
/// 1-based substring position function, `headline`/`body` the column references and `p` the
/// reference of the parameter holding the ASCII-lowercased term.
std::string like_score(std::string_view pos_fn, std::string_view headline, std::string_view body,
                       const std::string& p);

}  // namespace syn::archive
