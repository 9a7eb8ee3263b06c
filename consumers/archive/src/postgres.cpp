// The PostgreSQL backend (libpq): statements prepared once per connection, every wait bounded
// (connect_timeout, statement_timeout, lock_timeout, tcp_user_timeout), pg_trgm search.
#include <libpq-fe.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "sql_store.hpp"

namespace syn::archive {
namespace {

using sql::param;
using sql::stmt;

/// SQLSTATEs that say the server or the connection (not the statement) is the problem, or a
/// conflict with a concurrent writer that a retry resolves.
errc classify(const char* sqlstate) noexcept {
  if (sqlstate == nullptr) return errc::unavailable;  // no result at all: the connection failed
  const std::string_view s(sqlstate);
  const std::string_view cls = s.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "58" || s == "57P01" || s == "57P02" || s == "57P03") {
    return errc::unavailable;
  }
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "57014" || s == "23505") return errc::busy;
  if (s == "25006") return errc::read_only;
  return errc::storage;
}

/// libpq messages end with a newline and may hold several lines (one per host tried).
std::string one_line(const char* msg) {
  std::string out;
  bool sep = false;
  for (const char* p = msg; p != nullptr && *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\r') {
      sep = true;
      continue;
    }
    if (sep && !out.empty()) out += "; ";
    sep = false;
    out += *p;
  }
  return out;
}

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, result_deleter>;

class pg_row final : public sql::row {
 public:
  pg_row(const PGresult* r, int n) : r_(r), n_(n) {}
  [[nodiscard]] bool is_null(int col) const override { return PQgetisnull(r_, n_, col) != 0; }
  [[nodiscard]] std::int64_t int64(int col) const override {
    return is_null(col) ? 0 : std::strtoll(PQgetvalue(r_, n_, col), nullptr, 10);
  }
  [[nodiscard]] double real(int col) const override {
    return is_null(col) ? 0.0 : std::strtod(PQgetvalue(r_, n_, col), nullptr);
  }
  [[nodiscard]] std::string text(int col) const override {
    return {PQgetvalue(r_, n_, col), static_cast<std::size_t>(PQgetlength(r_, n_, col))};
  }
  [[nodiscard]] std::string bytes(int col) const override {
    if (is_null(col)) return {};
    std::size_t n = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, n_, col)), &n);
    if (raw == nullptr) return {};
    std::string out(reinterpret_cast<const char*>(raw), n);
    PQfreemem(raw);
    return out;
  }

 private:
  const PGresult* r_;
  int n_;
};

/// Parameters as libpq wants them: text values NUL-terminated, bytes in binary format.
class pg_params {
 public:
  explicit pg_params(std::span<const param> params) {
    storage_.reserve(params.size());  // no reallocation: values_ points into it
    for (const auto& p : params) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              add(nullptr, 0, 0);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              add(storage_.emplace_back(std::to_string(v)).c_str(), 0, 0);
            } else if constexpr (std::is_same_v<T, std::string_view>) {
              add(storage_.emplace_back(v).c_str(), 0, 0);
            } else {
              add(v.bytes.empty() ? "" : v.bytes.data(), static_cast<int>(v.bytes.size()), 1);
            }
          },
          p);
    }
  }
  [[nodiscard]] int size() const noexcept { return static_cast<int>(values_.size()); }
  [[nodiscard]] const char* const* values() const noexcept { return values_.data(); }
  [[nodiscard]] const int* lengths() const noexcept { return lengths_.data(); }
  [[nodiscard]] const int* formats() const noexcept { return formats_.data(); }

 private:
  void add(const char* v, int len, int fmt) {
    values_.push_back(v);
    lengths_.push_back(len);
    formats_.push_back(fmt);
  }
  std::vector<std::string> storage_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

class pg_connection final : public sql::connection {
 public:
  pg_connection(PGconn* c, const dialect& d) : c_(c), dialect_(d) {
    where_ = std::string("postgres ") + PQhost(c_) + ":" + PQport(c_) + "/" + PQdb(c_);
  }
  ~pg_connection() override { PQfinish(c_); }
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;

  result<void> execute(std::string_view sql_text) override {
    const std::string text(sql_text);
    pg_result r(PQexec(c_, text.c_str()));
    BOOST_OUTCOME_TRY(check(r.get(), "executing"));
    return success();
  }

  result<std::int64_t> run(stmt s, std::span<const param> params, const sql::row_fn& on_row) override {
    const auto i = static_cast<std::size_t>(s);
    const std::string name = "syn_archive_" + std::to_string(i);
    if (!prepared_.at(i)) {
      const std::string text(dialect_.sql(s));
      pg_result r(PQprepare(c_, name.c_str(), text.c_str(), 0, nullptr));
      BOOST_OUTCOME_TRY(check(r.get(), "preparing"));
      prepared_.at(i) = true;
    }
    const pg_params p(params);
    pg_result r(PQexecPrepared(c_, name.c_str(), p.size(), p.values(), p.lengths(), p.formats(), 0));
    return rows(r.get(), on_row);
  }

  result<std::int64_t> run_text(const std::string& sql_text, std::span<const param> params,
                                const sql::row_fn& on_row) override {
    const pg_params p(params);
    pg_result r(
        PQexecParams(c_, sql_text.c_str(), p.size(), nullptr, p.values(), p.lengths(), p.formats(), 0));
    return rows(r.get(), on_row);
  }

  result<void> begin() override { return execute("BEGIN"); }

  result<void> commit() override {
    pg_result r(PQexec(c_, "COMMIT"));
    BOOST_OUTCOME_TRY(check(r.get(), "committing"));
    // COMMIT of a transaction that failed earlier "succeeds" with the tag ROLLBACK.
    if (std::string_view(PQcmdStatus(r.get())) != "COMMIT") {
      return error(errc::storage, where_ + ": transaction rolled back at COMMIT");
    }
    return success();
  }

  void rollback() noexcept override {
    if (PQstatus(c_) != CONNECTION_OK) return;
    if (PQtransactionStatus(c_) == PQTRANS_IDLE) return;
    PQclear(PQexec(c_, "ROLLBACK"));
  }

  [[nodiscard]] const std::string& where() const noexcept { return where_; }

 private:
  result<void> check(const PGresult* r, std::string_view doing) {
    const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return success();
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    errc code = classify(state);
    if (PQstatus(c_) != CONNECTION_OK) {
      code = errc::unavailable;
      prepared_.fill(false);  // a new connection has none of them
    }
    std::string msg = one_line(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c_));
    if (msg.empty()) msg = one_line(PQerrorMessage(c_));
    if (state != nullptr) msg += std::string(" [") + state + "]";
    return error(code, where_ + ": " + std::string(doing) + ": " + msg);
  }

  result<std::int64_t> rows(const PGresult* r, const sql::row_fn& on_row) {
    BOOST_OUTCOME_TRY(check(r, "running"));
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      const int n = PQntuples(r);
      if (on_row) {
        for (int i = 0; i < n; ++i) on_row(pg_row(r, i));
      }
      return n;
    }
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(r));  // libpq's signature lacks const
    return (tuples != nullptr && *tuples != '\0') ? std::strtoll(tuples, nullptr, 10) : 0;
  }

  PGconn* c_;
  const dialect& dialect_;
  std::string where_;
  std::array<bool, sql::stmt_count> prepared_{};
};

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
      where += "(s.headline ILIKE " + p + " ESCAPE '\\' OR s.body ILIKE " + p + " ESCAPE '\\')";
      if (!score.empty()) score += " + ";
      score += like_score("strpos", "s.headline", "s.body", lp) + " + similarity(s.headline, " + lp + ")";
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

const pg_dialect the_dialect;

std::string seconds_ceil(std::chrono::milliseconds ms) {
  return std::to_string(std::max<std::int64_t>(1, (ms.count() + 999) / 1000));
}

}  // namespace

result<std::unique_ptr<store>> open_postgres(const std::string& conninfo, const store_options& options) {
  if (conninfo.empty()) return error(errc::unavailable, "postgres: empty conninfo");
  // Defaults first: the caller's conninfo (expanded from `dbname`) overrides any of them.
  const std::string connect_timeout = seconds_ceil(options.connect_timeout);
  const std::string user_timeout =
      std::to_string((options.connect_timeout + options.statement_timeout).count());
  const std::array<const char*, 9> keys{"connect_timeout",           "keepalives",       "keepalives_idle",
                                        "keepalives_interval",       "keepalives_count", "tcp_user_timeout",
                                        "fallback_application_name", "dbname",           nullptr};
  const std::array<const char*, 9> values{
      connect_timeout.c_str(), "1",    "30", "10", "3", user_timeout.c_str(), "syndicate-archive",
      conninfo.c_str(),        nullptr};
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 1);
  if (c == nullptr) return error(errc::unavailable, "postgres: out of memory connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    // Never echo the conninfo: it may hold a password.
    std::string msg = one_line(PQerrorMessage(c));
    PQfinish(c);
    return error(errc::unavailable, "postgres: cannot connect: " + msg);
  }
  const char* encoding = PQparameterStatus(c, "server_encoding");
  auto conn = std::make_unique<pg_connection>(c, the_dialect);
  if (encoding == nullptr || std::string_view(encoding) != "UTF8") {
    return error(errc::schema, conn->where() + ": the database encoding is " +
                                   (encoding ? encoding : "unknown") + ", the archive needs UTF8");
  }
  std::string session =
      "SET client_encoding = 'UTF8'; SET client_min_messages = warning; SET statement_timeout = " +
      std::to_string(options.statement_timeout.count()) +
      "; SET lock_timeout = " + std::to_string(options.busy_timeout.count()) + ";";
  if (options.mode == open_mode::read_only) session += " SET default_transaction_read_only = on;";
  BOOST_OUTCOME_TRY(conn->execute(session));
  BOOST_OUTCOME_TRY(version, migrate(*conn, the_dialect, options.mode));

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
  return make_sql_store(std::move(conn), the_dialect, options, version, std::move(notices));
}

}  // namespace syn::archive
