#pragma once
// The small database layer both backends implement: prepared statements by id, parameters,
// row access, transactions. The archive logic (sql_store) is written once on top of it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "syn/archive/error.hpp"

namespace syn::archive::sql {

/// Bytes bound as a BLOB / bytea.
struct blob {
  std::string_view bytes;
};

/// A statement parameter: NULL, integer, text or bytes. Views must outlive the call.
using param = std::variant<std::nullptr_t, std::int64_t, std::string_view, blob>;

/// One result row, valid only inside the row callback.
class row {
 public:
  virtual ~row() = default;
  row() = default;
  row(const row&) = delete;
  row& operator=(const row&) = delete;
  [[nodiscard]] virtual bool is_null(int col) const = 0;
  [[nodiscard]] virtual std::int64_t int64(int col) const = 0;
  [[nodiscard]] virtual double real(int col) const = 0;
  [[nodiscard]] virtual std::string text(int col) const = 0;
  [[nodiscard]] virtual std::string bytes(int col) const = 0;
};

using row_fn = std::function<void(const row&)>;

/// The statements the archive logic runs, prepared once per connection. Their SQL lives in
/// sql_store.cpp (shared, `$N` placeholders) with per-dialect variants where the SQL differs.
enum class stmt : std::size_t {
  migrations_applied,
  migration_record,
  article_head,
  article_find_revision,
  article_insert_revision,
  article_upsert,
  article_key,
  search_delete,
  search_insert,
  issue_head,
  issue_find_revision,
  issue_insert_revision,
  issue_upsert,
  raw_insert,
  raw_get,
  article_load_current,
  article_load_revision,
  article_history,
  article_translations,
  issue_load_current,
  count_,  // number of statements
};

inline constexpr std::size_t stmt_count = static_cast<std::size_t>(stmt::count_);

/// One database connection. Not thread-safe.
class connection {
 public:
  virtual ~connection() = default;
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs SQL text without parameters (several statements allowed): DDL, PRAGMAs, BEGIN...
  [[nodiscard]] virtual result<void> execute(std::string_view sql_text) = 0;

  /// Runs prepared statement `s` (prepared on first use, then reused) and calls `on_row` per row.
  /// Returns the number of rows changed (INSERT/UPDATE/DELETE) or returned.
  [[nodiscard]] virtual result<std::int64_t> run(stmt s, std::span<const param> params,
                                                 const row_fn& on_row) = 0;

  /// As run(), for SQL built per call (searches). Not cached.
  [[nodiscard]] virtual result<std::int64_t> run_text(const std::string& sql_text,
                                                      std::span<const param> params,
                                                      const row_fn& on_row) = 0;

  /// Starts a write transaction (SQLite: BEGIN IMMEDIATE, so the write lock is taken up front and
  /// waits at most the busy timeout).
  [[nodiscard]] virtual result<void> begin() = 0;
  [[nodiscard]] virtual result<void> commit() = 0;
  /// Best effort; never fails (a lost connection has rolled back already).
  virtual void rollback() noexcept = 0;
};

}  // namespace syn::archive::sql
