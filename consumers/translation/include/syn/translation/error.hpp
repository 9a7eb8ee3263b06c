#pragma once
/// Errors of the translation component.
///
/// Everything on the message path (job builder, engines, article builder, done store) returns
/// `result<T>`; no exception crosses these interfaces (std::bad_alloc aside). An error carries a
/// `std::error_code` in the `translation` category and a one-line message. Whether the same call
/// can succeed later is decided in one place, `is_retriable()`: the runner backs off and retries
/// retriable errors until the job's deadline and dead-letters the others.

#include <string>
#include <system_error>
#include <type_traits>

#include "syn/core/component_error.hpp"

namespace syn::translation {

enum class errc : int {
  ok = 0,
  /// The article cannot be turned into jobs: no id, malformed content hash.
  invalid_article = 1,
  /// The job does not fit the source article or the translations handed back (segment count,
  /// unknown path, text that differs from the source at its path).
  invalid_job = 2,
  /// The job was made for another revision of the source article (its hash differs).
  stale_source = 3,
  /// The engine cannot be reached: DNS, connection refused or reset, I/O error.
  engine_unavailable = 4,
  /// The engine answered 5xx.
  engine_failed = 5,
  /// The engine answered 429 (LibreTranslate: "Slowdown").
  rate_limited = 6,
  /// No answer within the request timeout.
  timed_out = 7,
  /// The engine refused the request for good: 400 (bad request, unsupported language, over its
  /// character limit, API key required), 403 (invalid key, banned), other 4xx.
  rejected = 8,
  /// The engine answered 200 with something that is not a LibreTranslate response (not JSON, wrong
  /// number of texts).
  bad_response = 9,
  /// The job's deadline passed before it was done.
  deadline_exceeded = 10,
  /// The engine cannot be set up: unknown OpenCC conversion, missing data files, bad URL, API key
  /// variable unset, TLS certificate rejected.
  engine_config = 11,
  /// OpenCC failed on a text.
  conversion_failed = 12,
  /// The done store cannot be opened or written (I/O error, disk full, read-only file).
  store_unavailable = 13,
  /// Another connection holds the done store's lock longer than the busy timeout.
  store_busy = 14,
  /// The done store refused a statement for another reason (corrupt file, newer schema).
  store_corrupt = 15,
};

/// The `translation` error category.
const std::error_category& translation_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), translation_category()};
}

/// Whether repeating the failed call later can succeed. One exhaustive switch over errc; codes of
/// other categories are not retriable.
[[nodiscard]] bool is_retriable(std::error_code ec) noexcept;

/// A failed translation operation: code(), value(), message(), retriable(), to_string() =
/// "translation: <message>" (syn/core/component_error.hpp). Cheap to copy; immutable.
using error = component_error<errc>;

/// Value-or-error; the error is always a `translation::error`. Accessing the wrong alternative
/// terminates.
template <class T>
using result = component_result<T, error>;

/// `return success();` from a `result<void>` function.
using boost::outcome_v2::success;

}  // namespace syn::translation

template <>
struct std::is_error_code_enum<syn::translation::errc> : std::true_type {};
