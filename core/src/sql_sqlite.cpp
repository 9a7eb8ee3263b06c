// The SQLite backend of syn::sql: one connection, statements prepared once (persistent) and
// reused, BEGIN IMMEDIATE transactions, WAL journal for read-write connections.
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "syn/core/sql.hpp"

namespace syn::sql {
namespace {

/// Result codes that say the database (not the statement) is the problem.
errc classify(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return errc::busy;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
      return errc::unavailable;
    default:
      return errc::storage;
  }
}

/// `$1` placeholders (the shared SQL) as SQLite's `?1`.
std::string numbered_placeholders(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
  }
  return out;
}

class sqlite_row final : public row {
 public:
  explicit sqlite_row(sqlite3_stmt* s) : s_(s) {}
  [[nodiscard]] bool is_null(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  [[nodiscard]] std::int64_t int64(int col) const override { return sqlite3_column_int64(s_, col); }
  [[nodiscard]] double real(int col) const override { return sqlite3_column_double(s_, col); }
  [[nodiscard]] std::string text(int col) const override {
    const auto* p = sqlite3_column_text(s_, col);
    const int n = sqlite3_column_bytes(s_, col);
    if (p == nullptr) return {};
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
  }
  [[nodiscard]] std::string bytes(int col) const override {
    const void* p = sqlite3_column_blob(s_, col);
    const int n = sqlite3_column_bytes(s_, col);
    if (p == nullptr) return {};
    return {static_cast<const char*>(p), static_cast<std::size_t>(n)};
  }

 private:
  sqlite3_stmt* s_;
};

class sqlite_connection final : public connection {
 public:
  sqlite_connection(sqlite3* db, const std::string& path, statements stmts)
      : db_(db), where_("sqlite " + path), texts_(std::move(stmts)), prepared_(texts_.size(), nullptr) {}

  ~sqlite_connection() override {
    for (auto* s : prepared_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  sqlite_connection(const sqlite_connection&) = delete;
  sqlite_connection& operator=(const sqlite_connection&) = delete;

  [[nodiscard]] std::string_view backend() const noexcept override { return "sqlite"; }
  [[nodiscard]] const std::string& where() const noexcept override { return where_; }

  result<void> execute(std::string_view sql_text) override {
    const std::string text(sql_text);
    char* msg = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
      std::string m = msg != nullptr ? msg : sqlite3_errstr(rc);
      sqlite3_free(msg);
      return fail(rc, m);
    }
    return success();
  }

  result<std::int64_t> run(std::size_t index, std::span<const param> params, const row_fn& on_row) override {
    if (index >= texts_.size() || texts_[index].empty()) {
      return error(errc::storage, where_ + ": statement " + std::to_string(index) + " has no SQLite text");
    }
    auto& slot = prepared_[index];
    if (slot == nullptr) {
      auto p = prepare(texts_[index], SQLITE_PREPARE_PERSISTENT);
      if (!p) return std::move(p).error();
      slot = p.value();
    }
    return step(slot, params, on_row);
  }

  result<std::int64_t> run_text(const std::string& sql_text, std::span<const param> params,
                                const row_fn& on_row) override {
    BOOST_OUTCOME_TRY(s, prepare(sql_text, 0));
    auto r = step(s, params, on_row);
    sqlite3_finalize(s);
    return r;
  }

  result<void> begin() override {
    if (rollback_rc_ != SQLITE_OK && in_transaction()) {
      return fail(rollback_rc_, std::string("the last rollback failed: ") + sqlite3_errstr(rollback_rc_));
    }
    rollback_rc_ = SQLITE_OK;
    return execute("BEGIN IMMEDIATE");
  }
  result<void> commit() override { return execute("COMMIT"); }
  void rollback() noexcept override {
    // A rollback that fails leaves the transaction open: the next begin() says so.
    if (sqlite3_get_autocommit(db_) == 0)
      rollback_rc_ = sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  [[nodiscard]] bool in_transaction() const noexcept override { return sqlite3_get_autocommit(db_) == 0; }

  [[nodiscard]] error fail(int rc, std::string_view what) const {
    return {classify(rc), where_ + ": " + std::string(what)};
  }

 private:
  result<sqlite3_stmt*> prepare(std::string_view text, unsigned flags) {
    const std::string converted = numbered_placeholders(text);
    sqlite3_stmt* s = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, converted.c_str(), static_cast<int>(converted.size()), flags, &s, nullptr);
    if (rc != SQLITE_OK)
      return fail(rc, std::string(sqlite3_errmsg(db_)) + " (preparing: " + converted.substr(0, 120) + ")");
    return s;
  }

  result<std::int64_t> step(sqlite3_stmt* s, std::span<const param> params, const row_fn& on_row) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return sqlite3_bind_null(s, idx);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              return sqlite3_bind_int64(s, idx, v);
            } else if constexpr (std::is_same_v<T, std::string_view>) {
              // A default string_view has no data: SQLite would bind NULL, not ''.
              return sqlite3_bind_text64(s, idx, v.data() != nullptr ? v.data() : "", v.size(), SQLITE_STATIC,
                                         SQLITE_UTF8);
            } else {
              // A zero-length blob must not bind as NULL (data() may be null).
              return sqlite3_bind_blob64(s, idx, v.bytes.empty() ? "" : v.bytes.data(), v.bytes.size(),
                                         SQLITE_STATIC);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) return fail(rc, sqlite3_errmsg(db_));
    }
    std::int64_t rows = 0;
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        ++rows;
        if (on_row) on_row(sqlite_row(s));
        continue;
      }
      if (rc == SQLITE_DONE) break;
      error e = fail(rc, sqlite3_errmsg(db_));
      sqlite3_reset(s);
      return e;
    }
    if (sqlite3_stmt_readonly(s) == 0) rows = sqlite3_changes64(db_);
    sqlite3_reset(s);  // releases read locks held by the statement
    sqlite3_clear_bindings(s);
    return rows;
  }

  sqlite3* db_;
  std::string where_;
  int rollback_rc_ = SQLITE_OK;  ///< what the last rollback() returned
  statements texts_;
  std::vector<sqlite3_stmt*> prepared_;
};

bool in_memory(const std::string& path) { return path == ":memory:" || path.starts_with("file:"); }

}  // namespace

result<std::unique_ptr<connection>> open_sqlite(const sqlite_options& options, statements stmts) {
  const std::string& path = options.path;
  const bool rw = !options.read_only;
  if (rw && options.create_directories && !in_memory(path)) {
    // Default paths (var/...) live in a directory nobody created yet.
    const auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);  // sqlite3_open_v2 reports failures
  }
  sqlite3* db = nullptr;
  const int flags =
      (rw ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return error(classify(rc), "sqlite " + path + ": cannot open: " + msg);
  }
  auto conn = std::make_unique<sqlite_connection>(db, path, std::move(stmts));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  if (rw) {
    // WAL: readers never block the writer, and a commit is one append.
    std::string mode;
    BOOST_OUTCOME_TRY(
        conn->run_text("PRAGMA journal_mode = WAL", {}, [&](const row& r) { mode = r.text(0); }));
    if (mode != "wal" && !(in_memory(path) && mode == "memory")) {
      return error(errc::unavailable,
                   "sqlite " + path + ": cannot switch to WAL mode (journal_mode is " + mode + ")");
    }
    BOOST_OUTCOME_TRY(conn->execute("PRAGMA synchronous = " + options.synchronous));
  } else {
    BOOST_OUTCOME_TRY(conn->execute("PRAGMA query_only = 1"));
  }
  return std::unique_ptr<connection>(std::move(conn));
}

}  // namespace syn::sql
