// The PostgreSQL backend of syn::sql (libpq): statements prepared once per connection, every wait
// bounded (connect_timeout, statement_timeout, lock_timeout, tcp_user_timeout), a lost connection
// re-established by the next call outside a transaction.
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "syn/core/sql.hpp"

namespace syn::sql {
namespace {

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

class pg_row final : public row {
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

class pg_connection final : public connection {
 public:
  pg_connection(PGconn* c, statements stmts, std::string session)
      : c_(c), texts_(std::move(stmts)), prepared_(texts_.size(), false), session_(std::move(session)) {
    where_ = std::string("postgres ") + PQhost(c_) + ":" + PQport(c_) + "/" + PQdb(c_);
  }
  ~pg_connection() override { PQfinish(c_); }
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;

  [[nodiscard]] std::string_view backend() const noexcept override { return "postgres"; }
  [[nodiscard]] const std::string& where() const noexcept override { return where_; }

  /// The session settings (timeouts...), run now and after every reconnect.
  result<void> setup() { return exec_plain(session_, "setting up the session"); }

  result<void> execute(std::string_view sql_text) override {
    BOOST_OUTCOME_TRY(reconnect_if_lost());
    return exec_plain(std::string(sql_text), "executing");
  }

  result<std::int64_t> run(std::size_t index, std::span<const param> params, const row_fn& on_row) override {
    if (index >= texts_.size() || texts_[index].empty()) {
      return error(errc::storage,
                   where_ + ": statement " + std::to_string(index) + " has no PostgreSQL text");
    }
    BOOST_OUTCOME_TRY(reconnect_if_lost());
    const std::string name = "syn_" + std::to_string(index);
    if (!prepared_[index]) {
      pg_result r(PQprepare(c_, name.c_str(), texts_[index].c_str(), 0, nullptr));
      BOOST_OUTCOME_TRY(check(r.get(), "preparing"));
      prepared_[index] = true;
    }
    const pg_params p(params);
    pg_result r(PQexecPrepared(c_, name.c_str(), p.size(), p.values(), p.lengths(), p.formats(), 0));
    return rows(r.get(), on_row);
  }

  result<std::int64_t> run_text(const std::string& sql_text, std::span<const param> params,
                                const row_fn& on_row) override {
    BOOST_OUTCOME_TRY(reconnect_if_lost());
    const pg_params p(params);
    pg_result r(
        PQexecParams(c_, sql_text.c_str(), p.size(), nullptr, p.values(), p.lengths(), p.formats(), 0));
    return rows(r.get(), on_row);
  }

  result<void> begin() override {
    BOOST_OUTCOME_TRY(execute("BEGIN"));
    in_tx_ = true;
    return success();
  }

  result<void> commit() override {
    in_tx_ = false;
    pg_result r(PQexec(c_, "COMMIT"));
    BOOST_OUTCOME_TRY(check(r.get(), "committing"));
    // COMMIT of a transaction that failed earlier "succeeds" with the tag ROLLBACK.
    if (std::string_view(PQcmdStatus(r.get())) != "COMMIT") {
      return error(errc::storage, where_ + ": transaction rolled back at COMMIT");
    }
    return success();
  }

  void rollback() noexcept override {
    in_tx_ = false;
    if (PQstatus(c_) != CONNECTION_OK) return;
    if (PQtransactionStatus(c_) == PQTRANS_IDLE) return;
    PQclear(PQexec(c_, "ROLLBACK"));
  }

  [[nodiscard]] bool in_transaction() const noexcept override { return in_tx_; }

 private:
  /// A connection lost earlier (server restart, network) is reset before the next call; never
  /// inside a transaction, whose work the server has rolled back: every call fails until the
  /// caller's rollback(), so that nothing of it runs outside the transaction (or without the
  /// session's advisory locks) and the caller retries it whole.
  result<void> reconnect_if_lost() {
    if (PQstatus(c_) == CONNECTION_OK) return success();
    if (in_tx_) {
      return error(errc::unavailable,
                   where_ + ": the connection was lost inside a transaction (rolled back)");
    }
    PQreset(c_);
    std::fill(prepared_.begin(), prepared_.end(), false);  // a new connection has none of them
    if (PQstatus(c_) != CONNECTION_OK) {
      return error(errc::unavailable, where_ + ": reconnecting: " + one_line(PQerrorMessage(c_)));
    }
    return setup();
  }

  result<void> exec_plain(const std::string& text, std::string_view doing) {
    pg_result r(PQexec(c_, text.c_str()));
    return check(r.get(), doing);
  }

  result<void> check(const PGresult* r, std::string_view doing) {
    const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return success();
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    errc code = classify(state);
    if (PQstatus(c_) != CONNECTION_OK) {
      code = errc::unavailable;
      std::fill(prepared_.begin(), prepared_.end(), false);
    }
    std::string msg = one_line(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c_));
    if (msg.empty()) msg = one_line(PQerrorMessage(c_));
    if (state != nullptr) msg += std::string(" [") + state + "]";
    return error(code, where_ + ": " + std::string(doing) + ": " + msg);
  }

  result<std::int64_t> rows(const PGresult* r, const row_fn& on_row) {
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
  statements texts_;
  std::vector<bool> prepared_;
  std::string session_;
  std::string where_;
  bool in_tx_ = false;  ///< between begin() and commit()/rollback()
};

std::string seconds_ceil(std::chrono::milliseconds ms) {
  return std::to_string(std::max<std::int64_t>(1, (ms.count() + 999) / 1000));
}

}  // namespace

result<std::unique_ptr<connection>> open_postgres(const postgres_options& options, statements stmts) {
  if (options.conninfo.empty()) return error(errc::unavailable, "postgres: empty conninfo");
  // Defaults first: the caller's conninfo (expanded from `dbname`) overrides any of them.
  const std::string connect_timeout = seconds_ceil(options.connect_timeout);
  const std::string user_timeout =
      std::to_string((options.connect_timeout + options.statement_timeout).count());
  const std::array<const char*, 9> keys{"connect_timeout",           "keepalives",       "keepalives_idle",
                                        "keepalives_interval",       "keepalives_count", "tcp_user_timeout",
                                        "fallback_application_name", "dbname",           nullptr};
  const std::array<const char*, 9> values{connect_timeout.c_str(),
                                          "1",
                                          "30",
                                          "10",
                                          "3",
                                          user_timeout.c_str(),
                                          options.application_name.c_str(),
                                          options.conninfo.c_str(),
                                          nullptr};
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 1);
  if (c == nullptr) return error(errc::unavailable, "postgres: out of memory connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    // Never echo the conninfo: it may hold a password.
    std::string msg = one_line(PQerrorMessage(c));
    PQfinish(c);
    return error(errc::unavailable, "postgres: cannot connect: " + msg);
  }
  const char* encoding = PQparameterStatus(c, "server_encoding");
  const bool utf8 = encoding != nullptr && std::string_view(encoding) == "UTF8";
  const std::string encoding_name = encoding != nullptr ? encoding : "unknown";
  std::string session =
      "SET client_encoding = 'UTF8'; SET client_min_messages = warning; SET statement_timeout = " +
      std::to_string(options.statement_timeout.count()) +
      "; SET lock_timeout = " + std::to_string(options.lock_timeout.count()) + ";";
  if (!options.schema.empty()) {
    if (options.schema.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
      return error(errc::storage, "postgres: schema '" + options.schema + "': expected [a-z_]+");
    }
    if (options.create_schema && !options.read_only) {
      // The feed state's schema lock (consumers/feed/src/state.cpp takes it again per transaction).
      session += " SELECT pg_advisory_lock(8315161358823240497); CREATE SCHEMA IF NOT EXISTS " +
                 options.schema + "; SELECT pg_advisory_unlock(8315161358823240497);";
    }
    session += " SET search_path TO " + options.schema + ";";
  }
  if (options.read_only) session += " SET default_transaction_read_only = on;";
  auto conn = std::make_unique<pg_connection>(c, std::move(stmts), std::move(session));
  if (!utf8) {
    return error(errc::storage,
                 conn->where() + ": the database encoding is " + encoding_name + ", syndicate needs UTF8");
  }
  BOOST_OUTCOME_TRY(conn->setup());
  return std::unique_ptr<connection>(std::move(conn));
}

}  // namespace syn::sql
