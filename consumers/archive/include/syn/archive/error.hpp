#pragma once
/// Errors of the archive store.
///
/// Database errors (SQLite result codes, PostgreSQL SQLSTATEs, libpq connection failures) are
/// converted at the backend boundary into `syn::archive::error`: a `std::error_code` in the
/// `archive` category plus a one-line message naming the backend and what failed. No exception
/// crosses the store: every fallible call returns `result<T>`.

#include <boost/outcome/try.hpp>
#include <string>
#include <system_error>
#include <type_traits>

#include "syn/core/component_error.hpp"

namespace syn::archive {

enum class errc : int {
  ok = 0,
  /// The database cannot be reached or opened: connection refused or lost, file cannot be opened
  /// or created, I/O error, disk full, read-only file.
  unavailable = 1,
  /// Another writer holds a lock longer than the busy timeout; a lock or serialization conflict.
  busy = 2,
  /// The database refused a statement for another reason (constraint, corrupt file, bad SQL).
  storage = 3,
  /// The schema is missing (read-only open of an empty database), newer than this build, or a
  /// migration failed.
  schema = 4,
  /// A record fails validation (empty id, missing headline, malformed hash...).
  invalid_record = 5,
  /// No such article, revision, issue or raw issue.
  not_found = 6,
  /// A bad argument to a read (empty query, malformed date).
  bad_argument = 7,
  /// A write on a store opened read-only.
  read_only = 8,
};

/// The `archive` error category.
const std::error_category& archive_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), archive_category()}; }

/// Whether repeating the failed call later (after a back-off, with a new connection) can succeed.
/// One exhaustive switch over errc; codes of other categories are not retriable.
[[nodiscard]] bool is_retriable(std::error_code ec) noexcept;

/// A failed archive operation: code(), value(), message(), retriable(), to_string() =
/// "archive: <message>" (syn/core/component_error.hpp). Cheap to copy; immutable.
using error = component_error<errc>;

/// Value-or-error; the error is always an `archive::error`. Accessing the wrong alternative
/// terminates.
template <class T>
using result = component_result<T, error>;

/// `return success();` from a `result<void>` function.
using boost::outcome_v2::success;

}  // namespace syn::archive

template <>
struct std::is_error_code_enum<syn::archive::errc> : std::true_type {};
