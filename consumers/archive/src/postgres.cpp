// The PostgreSQL backend (a connection of syn/core/sql.hpp: libpq, every wait bounded), pg_trgm
// search.
#include <memory>
#include <string>
#include <utility>

#include "sql_store.hpp"

namespace syn::archive {
namespace {

using sql::stmt;

class pg_dialect final : public dialect {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "postgres"; }
  [[nodiscard]] std::string_view script(const migration& m) const noexcept override { return m.postgres; }
  [[nodiscard]] std::string_view sql(stmt s) const noexcept override {
    switch (s) {
      case stmt::search_delete:
        return "DELETE FROM article_search WHERE article_key = $1";
      case stmt::search_insert:
        return "INSERT INTO article_search (article_key, article_id, issue_id, paper, issue_date, language, "
               "headline, "
               "body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
      default:
        return dialect::sql(s);
    }
  }
  // One lock id for "archive migrations" (the bytes of "synarch1"): instances that start together
  // migrate one after the other; the lock ends with the transaction.
  [[nodiscard]] std::string_view migration_lock() const noexcept override {
    return "SELECT pg_advisory_xact_lock(8319660540264408881)";
  }

  // Every term is an ILIKE over headline and body: the pg_trgm GIN indexes serve it for terms of
  // >= 3 characters (shorter ones scan). pg_trgm's similarity() is no relevance measure for Chinese
  // (a sentence without spaces is one long "word"; a term inside it scores low whatever it
  // matches), so the rank is like_score (headline hit, occurrences, first position) plus the
  // similarity of term and headline, which favours short headlines that are mostly the term.
  [[nodiscard]] search_sql search(const search_query& q,
                                  const std::vector<std::string>& terms) const override {
    search_sql out;
    out.values.reserve(terms.size() * 2 + 6);
    const auto bind = [&](std::string v) {
      out.values.push_back(std::move(v));
      // Not `"$" + std::to_string(...)`: GCC 12 -O3 reports a false -Wrestrict in
      // operator+(const char*, string&&) (GCC PR 105329).
      std::string placeholder = "$";
      placeholder += std::to_string(out.values.size());
      return placeholder;
    };
    std::string where;
    std::string score;
    for (const auto& t : terms) {
      const std::string p = bind(like_pattern(t));
      const std::string lp = bind(ascii_lower(t)) + "::text";
      if (!where.empty()) where += " AND ";
      where.append("(s.headline ILIKE ")
          .append(p)
          .append(" ESCAPE '\\' OR s.body ILIKE ")
          .append(p)
          .append(" ESCAPE '\\')");
      if (!score.empty()) score += " + ";
      score.append(like_score("strpos", "s.headline", "s.body", lp))
          .append(" + similarity(s.headline, ")
          .append(lp)
          .append(")");
    }
    if (!q.paper.empty()) where += " AND s.paper = " + bind(q.paper);
    if (!q.language.empty()) where += " AND s.language = " + bind(q.language);
    if (!q.from.empty()) where += " AND s.issue_date >= " + bind(q.from);
    if (!q.to.empty()) where += " AND s.issue_date <= " + bind(q.to);
    out.text =
        "SELECT s.article_id, s.issue_id, s.paper, s.issue_date, s.language, s.headline, s.body, "
        "a.current_revision, "
        "(" +
        score +
        ")::float8 AS score FROM article_search s JOIN articles a ON a.article_key = s.article_key WHERE " +
        where + " ORDER BY score DESC, s.issue_date DESC, s.article_id LIMIT " + std::to_string(q.limit);
    for (const auto& v : out.values) out.params.emplace_back(std::string_view(v));
    return out;
  }
};

const pg_dialect the_pg_dialect;

}  // namespace

result<std::unique_ptr<store>> open_postgres(const std::string& conninfo, const store_options& options) {
  syn::sql::postgres_options po;
  po.conninfo = conninfo;
  po.application_name = "syndicate-archive";
  po.read_only = options.mode == open_mode::read_only;
  po.connect_timeout = options.connect_timeout;
  po.statement_timeout = options.statement_timeout;
  po.lock_timeout = options.busy_timeout;
  auto opened = syn::sql::open_postgres(po, statements_of(the_pg_dialect));
  if (!opened) {
    const auto& e = opened.error();
    // A database of another encoding is a schema problem for the archive.
    if (e.value() == syn::sql::errc::storage) return error(errc::schema, e.message());
    return sql::adopt(e);
  }
  auto conn = std::make_unique<sql::connection>(std::move(opened).value());
  BOOST_OUTCOME_TRY(version, migrate(*conn, the_pg_dialect, options.mode));

  std::vector<std::string> notices;
  // pg_trgm keeps only what LC_CTYPE calls alphanumeric: under the C locale Chinese text yields no
  // trigrams, and every search scans the whole table (still correct, never fast).
  std::string trigrams;
  std::string ctype;
  auto checked = conn->run_text("SELECT show_trgm('中文检索')::text, current_setting('lc_ctype')", {},
                                [&](const sql::row& r) {
                                  trigrams = r.text(0);
                                  ctype = r.text(1);
                                });
  if (!checked) {
    notices.push_back("cannot check pg_trgm on Chinese text: " + checked.error().message());
  } else if (trigrams == "{}") {
    notices.push_back(
        conn->where() + ": LC_CTYPE is " + ctype +
        ": pg_trgm drops Chinese characters, so trigram indexes cannot speed up Chinese searches "
        "(results stay correct). Create the database with a UTF-8 locale, e.g. "
        "LC_CTYPE 'C.UTF-8' (docs/ARCHIVE.md).");
  }
  return make_sql_store(std::move(conn), the_pg_dialect, options, version, std::move(notices));
}

}  // namespace syn::archive
