#pragma once
// The archive's statements over core's database layer (syn/core/sql.hpp): the archive logic
// (sql_store) is written once on top of it, each backend supplies the statements' SQL.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "syn/archive/error.hpp"
#include "syn/core/sql.hpp"

namespace syn::archive::sql {

using syn::sql::blob;
using syn::sql::param;
using syn::sql::row;
using syn::sql::row_fn;

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

/// Core's error as the archive's: the same meaning, the archive's category.
[[nodiscard]] inline error adopt(const syn::sql::error& e) {
  switch (e.value()) {
    case syn::sql::errc::ok:
      return {errc::ok, e.message()};
    case syn::sql::errc::unavailable:
      return {errc::unavailable, e.message()};
    case syn::sql::errc::busy:
      return {errc::busy, e.message()};
    case syn::sql::errc::storage:
      return {errc::storage, e.message()};
    case syn::sql::errc::read_only:
      return {errc::read_only, e.message()};
  }
  return {errc::storage, e.message()};
}

template <class T>
[[nodiscard]] result<T> adopt(syn::sql::result<T>&& r) {
  if (!r) return adopt(r.error());
  if constexpr (std::is_void_v<T>) {
    return success();
  } else {
    return std::move(r).value();
  }
}

/// One connection of core's database layer (syn/core/sql.hpp), answering with the archive's
/// errors. Not thread-safe.
class connection {
 public:
  explicit connection(std::unique_ptr<syn::sql::connection> c) : c_(std::move(c)) {}

  [[nodiscard]] const std::string& where() const noexcept { return c_->where(); }
  [[nodiscard]] result<void> execute(std::string_view sql_text) { return adopt(c_->execute(sql_text)); }
  [[nodiscard]] result<std::int64_t> run(stmt s, std::span<const param> params, const row_fn& on_row) {
    return adopt(c_->run(s, params, on_row));
  }
  [[nodiscard]] result<std::int64_t> run_text(const std::string& sql_text, std::span<const param> params,
                                              const row_fn& on_row) {
    return adopt(c_->run_text(sql_text, params, on_row));
  }
  [[nodiscard]] result<void> begin() { return adopt(c_->begin()); }
  [[nodiscard]] result<void> commit() { return adopt(c_->commit()); }
  void rollback() noexcept { c_->rollback(); }

 private:
  std::unique_ptr<syn::sql::connection> c_;
};

}  // namespace syn::archive::sql
