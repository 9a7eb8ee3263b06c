#pragma once
/// A small database layer over SQLite and PostgreSQL (libpq), shared by every component that keeps
/// state in SQL (the archive, the feed state, translation's done-store): prepared statements
/// registered by the caller and run by index, parameters, row access, transactions.
///
/// The caller writes its SQL once with `$1`-style placeholders (SQLite runs them as `?1`), passes
/// the list of its statements when it opens a connection and runs them by their index (an enum of
/// its own converts). Each statement is prepared on first use and reused.
///
/// Errors: SQLite result codes and PostgreSQL SQLSTATEs are classified at this boundary into
/// `syn::sql::errc` (unavailable, busy, storage, read_only) with a one-line message naming the
/// database; nothing throws. A component whose errors have their own category converts them with
/// `adopt_code` (see component_error.hpp).
///
/// Thread-safety: a connection is used by one thread at a time (callers hold a mutex).

#include <boost/outcome/try.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include "syn/core/component_error.hpp"

namespace syn::sql {

enum class errc : int {
  ok = 0,
  /// The database cannot be reached or opened: connection refused or lost, file cannot be opened,
  /// I/O error, disk full, read-only file.
  unavailable = 1,
  /// A lock held longer than the busy timeout; a serialization, deadlock or unique conflict with a
  /// concurrent writer that a retry resolves.
  busy = 2,
  /// The database refused the statement for another reason (constraint, corrupt file, bad SQL).
  storage = 3,
  /// A write in a read-only session.
  read_only = 4,
};

/// The `sql` error category.
const std::error_category& sql_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), sql_category()}; }
/// unavailable, busy and storage: a later attempt (with a new connection) can succeed.
[[nodiscard]] bool is_retriable(std::error_code ec) noexcept;

using error = component_error<errc>;
template <class T>
using result = component_result<T, error>;
using boost::outcome_v2::success;

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

/// The SQL of the statements a caller runs by index (`$N` placeholders); an empty text is a
/// statement that backend does not have (running it is an errc::storage error).
using statements = std::vector<std::string>;

/// One database connection. Not thread-safe.
class connection {
 public:
  virtual ~connection() = default;
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// `sqlite` or `postgres`.
  [[nodiscard]] virtual std::string_view backend() const noexcept = 0;
  /// "sqlite PATH" or "postgres HOST:PORT/DB": the prefix of every message (never a password).
  [[nodiscard]] virtual const std::string& where() const noexcept = 0;

  /// Runs SQL text without parameters (several statements allowed): DDL, PRAGMAs, SET...
  [[nodiscard]] virtual result<void> execute(std::string_view sql_text) = 0;

  /// Runs registered statement `index` (prepared on first use, then reused) and calls `on_row`
  /// per row. Returns the number of rows changed (INSERT/UPDATE/DELETE) or returned.
  [[nodiscard]] virtual result<std::int64_t> run(std::size_t index, std::span<const param> params,
                                                 const row_fn& on_row) = 0;
  /// As run(index), for a caller's enum of statements.
  template <class E>
  requires std::is_enum_v<E>
  [[nodiscard]] result<std::int64_t> run(E s, std::span<const param> params, const row_fn& on_row) {
    return run(static_cast<std::size_t>(s), params, on_row);
  }

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
  /// Whether a transaction is open.
  [[nodiscard]] virtual bool in_transaction() const noexcept = 0;
};

struct sqlite_options {
  std::string path;
  bool read_only = false;
  /// read-write: create the file's missing parent directories first.
  bool create_directories = true;
  /// How long a statement waits for another connection's lock before errc::busy.
  std::chrono::milliseconds busy_timeout{5000};
  /// read-write: journal_mode=WAL (required) and this `synchronous` level (FULL, NORMAL).
  std::string synchronous = "FULL";
};

/// Opens (read-write: creating the file and, unless told not to, its parent directories) the SQLite database
/// at `options.path` (`:memory:` for tests). Errors: unavailable (cannot open, not WAL).
[[nodiscard]] result<std::unique_ptr<connection>> open_sqlite(const sqlite_options& options,
                                                              statements stmts);

struct postgres_options {
  /// libpq conninfo or postgresql:// URI; never printed.
  std::string conninfo;
  /// fallback_application_name (pg_stat_activity).
  std::string application_name = "syndicate";
  bool read_only = false;
  /// libpq connect_timeout (whole seconds, rounded up).
  std::chrono::milliseconds connect_timeout{5000};
  /// statement_timeout, and with connect_timeout the TCP user timeout.
  std::chrono::milliseconds statement_timeout{30000};
  /// lock_timeout.
  std::chrono::milliseconds lock_timeout{5000};
  /// If set, the session's search_path (one schema, [a-z_]+): a component whose tables share a
  /// database with another's keeps them apart.
  std::string schema;
  /// Creates `schema` when missing (CREATE SCHEMA IF NOT EXISTS, under a session advisory lock so
  /// that instances starting together do not race), on each (re)connection before search_path.
  /// The name is checked here ([a-z_]+): an identifier cannot be a bound parameter.
  bool create_schema = false;
};

/// Connects to PostgreSQL (UTF8 databases only) and sets the session's timeouts. A connection
/// that is lost is re-established by the next call made outside a transaction. Errors:
/// unavailable (cannot connect), storage (not UTF8).
[[nodiscard]] result<std::unique_ptr<connection>> open_postgres(const postgres_options& options,
                                                                statements stmts);

/// Runs `body(conn)` between begin() and commit(); rolls back when it fails.
template <class F>
result<void> transaction(connection& conn, F&& body) {
  BOOST_OUTCOME_TRY(conn.begin());
  result<void> r = body(conn);
  if (!r) {
    conn.rollback();
    return r;
  }
  if (auto c = conn.commit(); !c) {
    conn.rollback();
    return c;
  }
  return success();
}

}  // namespace syn::sql

template <>
struct std::is_error_code_enum<syn::sql::errc> : std::true_type {};
