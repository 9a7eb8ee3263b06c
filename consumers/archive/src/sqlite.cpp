// The SQLite backend: one connection in WAL mode, statements prepared once and reused, one
// BEGIN IMMEDIATE ... COMMIT per batch, FTS5 trigram search with a LIKE fallback for terms of
// fewer than 3 characters. Search text is queued in the write and indexed behind it
// (index_pending).
#include <sqlite3.h>

#include <array>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>
#include <utility>

#include "sql_store.hpp"
#include "syn/archive/text.hpp"

namespace syn::archive {
namespace {

using sql::param;
using sql::stmt;

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

class sqlite_row final : public sql::row {
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

class sqlite_connection final : public sql::connection {
 public:
  sqlite_connection(sqlite3* db, std::string path, const dialect& d)
      : db_(db), path_(std::move(path)), dialect_(d) {}

  ~sqlite_connection() override {
    for (auto* s : prepared_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  sqlite_connection(const sqlite_connection&) = delete;
  sqlite_connection& operator=(const sqlite_connection&) = delete;

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

  result<std::int64_t> run(stmt s, std::span<const param> params, const sql::row_fn& on_row) override {
    auto& slot = prepared_.at(static_cast<std::size_t>(s));
    if (slot == nullptr) {
      auto p = prepare(dialect_.sql(s), SQLITE_PREPARE_PERSISTENT);
      if (!p) return std::move(p).error();
      slot = p.value();
    }
    return step(slot, params, on_row);
  }

  result<std::int64_t> run_text(const std::string& sql_text, std::span<const param> params,
                                const sql::row_fn& on_row) override {
    BOOST_OUTCOME_TRY(s, prepare(sql_text, 0));
    auto r = step(s, params, on_row);
    sqlite3_finalize(s);
    return r;
  }

  result<void> begin() override { return execute("BEGIN IMMEDIATE"); }
  result<void> commit() override { return execute("COMMIT"); }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(db_) == 0) (void)sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  [[nodiscard]] error fail(int rc, std::string_view what) const {
    return {classify(rc), "sqlite " + path_ + ": " + std::string(what)};
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

  result<std::int64_t> step(sqlite3_stmt* s, std::span<const param> params, const sql::row_fn& on_row) {
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
              return sqlite3_bind_text64(s, idx, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
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
  std::string path_;
  const dialect& dialect_;
  std::array<sqlite3_stmt*, sql::stmt_count> prepared_{};
};

/// An FTS5 string: the term in double quotes, inner quotes doubled.
std::string fts_string(std::string_view term) {
  std::string out = "\"";
  for (const char c : term) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

class sqlite_dialect final : public dialect {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "sqlite"; }
  [[nodiscard]] std::string_view script(const migration& m) const noexcept override { return m.sqlite; }
  [[nodiscard]] std::string_view sql(stmt s) const noexcept override {
    switch (s) {
      case stmt::search_delete:
        return {};  // search_insert replaces the queued row
      case stmt::search_insert:
        // Queued, not indexed: FTS5 trigram indexing is most of the cost of a new article, so
        // the write transaction only stores the text (index_pending moves it into the index).
        return "INSERT OR REPLACE INTO search_pending (article_key, article_id, issue_id, paper, issue_date, "
               "language, headline, body) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
      default:
        return dialect::sql(s);
    }
  }

  // The oldest `limit` queued articles: replace their index rows, then dequeue them. One
  // transaction (the caller's), so a concurrent writer's newer queued text is never lost: it
  // either commits before (and is moved) or after (and stays queued).
  [[nodiscard]] std::vector<std::string> index_pending(std::int64_t limit) const override {
    const std::string batch =
        "(SELECT article_key FROM search_pending ORDER BY article_key LIMIT " + std::to_string(limit) + ")";
    return {
        "DELETE FROM article_search WHERE rowid IN " + batch,
        "INSERT INTO article_search (rowid, article_id, issue_id, paper, issue_date, language, headline, body) "
        "SELECT article_key, article_id, issue_id, paper, issue_date, language, headline, body "
        "FROM search_pending WHERE article_key IN " +
            batch,
        "DELETE FROM search_pending WHERE article_key IN " + batch,
    };
  }

  [[nodiscard]] std::string count_pending() const override { return "SELECT count(*) FROM search_pending"; }

  // Indexed articles (article_search, minus those queued again): terms of >= 3 characters go to
  // FTS5 MATCH (trigram index, ranked by bm25 with the headline weighted 5:1 against the body).
  // The trigram tokenizer cannot match shorter terms, so each of those becomes a LIKE over the
  // headline and body of the same table (a scan); when no term is long enough the LIKE score
  // (like_score) ranks instead of bm25. Queued articles (search_pending, not indexed yet): every
  // term is a LIKE, ranked by the LIKE score.
  [[nodiscard]] search_sql search(const search_query& q,
                                  const std::vector<std::string>& terms) const override {
    search_sql out;
    out.values.reserve(terms.size() * 3 + 6);
    const auto bind = [&](std::string v) {
      out.values.push_back(std::move(v));
      // Not `"?" + std::to_string(...)`: GCC 12 -O3 reports a false -Wrestrict in
      // operator+(const char*, string&&) (GCC PR 105329).
      std::string placeholder = "?";
      placeholder += std::to_string(out.values.size());
      return placeholder;
    };
    const auto like = [](const std::string& table, const std::string& p) {
      return "(" + table + ".headline LIKE " + p + " ESCAPE '\\' OR " + table + ".body LIKE " + p +
             " ESCAPE '\\')";
    };
    std::string match;
    std::string where;          // indexed
    std::string like_total;     // indexed, short terms only
    std::string pending_where;  // queued
    std::string pending_score;
    for (const auto& t : terms) {
      const std::string p = bind(like_pattern(t));
      const std::string lp = bind(ascii_lower(t));
      pending_where += (pending_where.empty() ? "" : " AND ") + like("p", p);
      pending_score += (pending_score.empty() ? "" : " + ") + like_score("instr", "p.headline", "p.body", lp);
      if (utf8_length(t) >= 3) {
        if (!match.empty()) match += ' ';
        match += fts_string(t);
        continue;
      }
      where += (where.empty() ? "" : " AND ") + like("article_search", p);
      like_total += (like_total.empty() ? "" : " + ") +
                    like_score("instr", "article_search.headline", "article_search.body", lp);
    }
    std::string score = like_total;
    if (!match.empty()) {
      where = "article_search MATCH " + bind(match) + (where.empty() ? "" : " AND " + where);
      score = "-bm25(article_search, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 1.0)";
    }
    const auto filters = [&](const std::string& table) {
      std::string f;
      if (!q.paper.empty()) f += " AND " + table + ".paper = " + bind(q.paper);
      if (!q.language.empty()) f += " AND " + table + ".language = " + bind(q.language);
      if (!q.from.empty()) f += " AND " + table + ".issue_date >= " + bind(q.from);
      if (!q.to.empty()) f += " AND " + table + ".issue_date <= " + bind(q.to);
      return f;
    };
    where += filters("article_search");
    pending_where += filters("p");
    out.text =
        "SELECT article_id, issue_id, paper, issue_date, language, headline, body, revision, score FROM ("
        "SELECT article_search.article_id AS article_id, article_search.issue_id AS issue_id, "
        "article_search.paper AS paper, article_search.issue_date AS issue_date, "
        "article_search.language AS language, article_search.headline AS headline, "
        "article_search.body AS body, a.current_revision AS revision, " +
        score +
        " AS score FROM article_search JOIN articles a ON a.article_key = article_search.rowid WHERE " + where +
        " AND article_search.rowid NOT IN (SELECT article_key FROM search_pending)"
        " UNION ALL "
        "SELECT p.article_id, p.issue_id, p.paper, p.issue_date, p.language, p.headline, p.body, "
        "a.current_revision, " +
        pending_score + " FROM search_pending p JOIN articles a ON a.article_key = p.article_key WHERE " +
        pending_where + ") ORDER BY score DESC, issue_date DESC, article_id LIMIT " + std::to_string(q.limit);
    for (const auto& v : out.values) out.params.emplace_back(std::string_view(v));
    return out;
  }
};

const sqlite_dialect the_dialect;

}  // namespace

result<std::unique_ptr<store>> open_sqlite(const std::string& path, const store_options& options) {
  const bool rw = options.mode == open_mode::read_write;
  if (rw) {
    // The default path (var/archive.db) lives in a directory nobody created yet.
    const auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);  // sqlite3_open_v2 reports failures
  } else {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return error(errc::unavailable,
                   "sqlite " + path + ": no archive there (the archive consumer creates it)");
    }
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
  auto conn = std::make_unique<sqlite_connection>(db, path, the_dialect);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  if (rw) {
    // WAL: readers (search, get) never block the writer, and a commit is one append. synchronous=FULL
    // makes each COMMIT durable (fsync of the WAL) before write() returns ok and offsets are committed.
    std::string mode;
    BOOST_OUTCOME_TRY(
        conn->run_text("PRAGMA journal_mode = WAL", {}, [&](const sql::row& r) { mode = r.text(0); }));
    if (mode != "wal") {
      return error(errc::unavailable,
                   "sqlite " + path + ": cannot switch to WAL mode (journal_mode is " + mode + ")");
    }
    BOOST_OUTCOME_TRY(conn->execute("PRAGMA synchronous = FULL"));
  } else {
    BOOST_OUTCOME_TRY(conn->execute("PRAGMA query_only = 1"));
  }
  BOOST_OUTCOME_TRY(version, migrate(*conn, the_dialect, options.mode));
  return make_sql_store(std::move(conn), the_dialect, options, version, {});
}

}  // namespace syn::archive
