// The SQLite backend (a connection of syn/core/sql.hpp in WAL mode): one BEGIN IMMEDIATE ...
// COMMIT per batch, FTS5 trigram search with a LIKE fallback for terms of
// fewer than 3 characters. Search text is queued in the write and indexed behind it
// (index_pending).
#include <array>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sql_store.hpp"
#include "syn/archive/text.hpp"

namespace syn::archive {
namespace {

using sql::stmt;

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
        "INSERT INTO article_search (rowid, article_id, issue_id, paper, issue_date, language, headline, "
        "body) "
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
        " AS score FROM article_search JOIN articles a ON a.article_key = article_search.rowid WHERE " +
        where +
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

const sqlite_dialect the_sqlite_dialect;

}  // namespace

result<std::unique_ptr<store>> open_sqlite(const std::string& path, const store_options& options) {
  const bool rw = options.mode == open_mode::read_write;
  if (!rw) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return error(errc::unavailable,
                   "sqlite " + path + ": no archive there (the archive consumer creates it)");
    }
  }
  // WAL: readers (search, get) never block the writer, and a commit is one append.
  // synchronous=FULL makes each COMMIT durable (fsync of the WAL) before write() returns ok and
  // offsets are committed.
  syn::sql::sqlite_options so;
  so.path = path;
  so.read_only = !rw;
  so.busy_timeout = options.busy_timeout;
  so.synchronous = "FULL";
  BOOST_OUTCOME_TRY(opened, sql::adopt(syn::sql::open_sqlite(so, statements_of(the_sqlite_dialect))));
  auto conn = std::make_unique<sql::connection>(std::move(opened));
  BOOST_OUTCOME_TRY(version, migrate(*conn, the_sqlite_dialect, options.mode));
  return make_sql_store(std::move(conn), the_sqlite_dialect, options, version, {});
}

}  // namespace syn::archive
