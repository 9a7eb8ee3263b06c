// The store contract against a real PostgreSQL 15 (one fresh database per test), plus what only
// PostgreSQL has: pg_trgm on Chinese text, lost connections, lock timeouts, concurrent migration.
//
// Needs $SYN_TEST_PG_CONNINFO (a role that may CREATE DATABASE), e.g.
//   export SYN_TEST_PG_CONNINFO=$(bash consumers/archive/tests/pg.sh start /tmp/syn-pg 55432)
// Without it every test fails with that instruction: `ctest -L integration` means "against the
// real server", never "skipped".
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "store_contract.hpp"

namespace syn::archive::test {
namespace {

using namespace std::chrono_literals;

const char* base_conninfo() {
  const char* c = std::getenv("SYN_TEST_PG_CONNINFO");
  return (c != nullptr && *c != '\0') ? c : nullptr;
}

#define REQUIRE_PG()                                                                       \
  ASSERT_TRUE(base_conninfo() != nullptr)                                                  \
      << "SYN_TEST_PG_CONNINFO is not set: the PostgreSQL tests need a real server, e.g. " \
         "`export SYN_TEST_PG_CONNINFO=$(bash consumers/archive/tests/pg.sh start /tmp/syn-pg 55432)`"

/// `conninfo` with dbname replaced (works for key=value strings and URIs).
std::string with_dbname(const std::string& conninfo, const std::string& db) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    std::string m = err != nullptr ? err : "?";
    PQfreemem(err);
    ADD_FAILURE() << "bad SYN_TEST_PG_CONNINFO: " << m;
    return conninfo;
  }
  const auto quote = [](const std::string& v) {
    std::string out = "'";
    for (const char c : v) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  std::string out;
  for (auto* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::string_view(o->keyword) == "dbname") continue;
    out += std::string(o->keyword) + "=" + quote(o->val) + " ";
  }
  PQconninfoFree(opts);
  return out + "dbname=" + quote(db);
}

/// A plain libpq connection for test set-up and inspection.
class raw_pg {
 public:
  explicit raw_pg(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) ADD_FAILURE() << "cannot connect: " << PQerrorMessage(c_);
  }
  ~raw_pg() { PQfinish(c_); }
  raw_pg(const raw_pg&) = delete;
  raw_pg& operator=(const raw_pg&) = delete;

  /// Runs `sql`; returns the first column of the first row ("" if none).
  std::string query(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    std::string out;
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    } else if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
    return out;
  }
  /// Every row's first column.
  std::vector<std::string> column(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    std::vector<std::string> out;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    } else {
      for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
    }
    PQclear(r);
    return out;
  }

 private:
  PGconn* c_;
};

/// One database per test, created from template0 with the given LC_CTYPE and dropped afterwards.
struct pg_backend {
  static constexpr bool index_after_write = false;  // indexed in the write transaction
  std::string db;
  std::string conninfo;
  std::string ctype = "C.UTF-8";

  void setup() {
    REQUIRE_PG();
    db = "syn_archive_test_" + random_suffix();
    raw_pg admin(base_conninfo());
    admin.query("CREATE DATABASE " + db + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE '" +
                ctype + "'");
    conninfo = with_dbname(base_conninfo(), db);
  }
  void teardown() {
    if (db.empty() || base_conninfo() == nullptr) return;
    raw_pg admin(base_conninfo());
    admin.query("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }
  result<std::unique_ptr<store>> open(const store_options& o) const { return open_postgres(conninfo, o); }
  std::int64_t scalar(const std::string& sql) const { return std::stoll(raw_pg(conninfo).query(sql)); }
  void exec(const std::string& sql) const { raw_pg(conninfo).query(sql); }
  static std::string fail_inserts_of(const std::string& id) {
    return "CREATE FUNCTION fail_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF NEW.article_id = '" +
           id +
           "' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$; "
           "CREATE TRIGGER fail_test BEFORE INSERT ON article_revisions FOR EACH ROW EXECUTE FUNCTION "
           "fail_test()";
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreContract, ::testing::Types<pg_backend>);

namespace {

class PostgresArchive : public ::testing::Test {
 protected:
  void SetUp() override { b_.setup(); }
  void TearDown() override { b_.teardown(); }

  std::unique_ptr<store> open_store(store_options o = {}) {
    auto s = b_.open(o);
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? std::move(s).value() : nullptr;
  }

  static std::vector<syn::sink::envelope> envelopes(const sample_issue& s) {
    std::vector<syn::sink::envelope> out;
    for (const auto* a : {&s.a1, &s.a2, &s.a3, &s.a4, &s.a5}) {
      syn::sink::envelope e;
      e.payload = *a;
      out.push_back(std::move(e));
    }
    return out;
  }

  pg_backend b_;
};

// What pg_trgm does with Chinese here: under a UTF-8 LC_CTYPE every CJK character is a word
// character, so a Chinese string yields character trigrams; similarity() stays low for a term
// inside a long sentence (the sentence is one "word"), which is why ranking does not rely on it.
TEST_F(PostgresArchive, PgTrgmExtractsTrigramsFromChineseUnderAUtf8Locale) {
  auto s = open_store();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->notices().empty());
  raw_pg pg(b_.conninfo);
  EXPECT_EQ(pg.query("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'"), "pg_trgm");
  EXPECT_EQ(pg.query("SELECT array_length(show_trgm('中国式现代化'), 1)"), "7");  // 4 inner + 3 padded
  EXPECT_EQ(pg.query("SELECT '推进中国式现代化建设' ILIKE '%中国式现代化%'"), "t");
  const double sim =
      std::stod(pg.query("SELECT similarity('中国式现代化', '推进中国式现代化建设，新疆实践')"));
  EXPECT_GT(sim, 0.0);
  EXPECT_LT(sim, 0.5);
}

TEST_F(PostgresArchive, TrigramIndexServesChineseSearches) {
  auto s = open_store();
  ASSERT_TRUE(s);
  // Enough rows that the plan matters; then forbid sequential scans to show the index is usable.
  std::vector<Article> filler;
  for (int i = 1; i <= 300; ++i) {
    filler.push_back(article("fill", "2024-02-01", 1 + i / 50, 1 + i % 50, "其他新闻" + std::to_string(i),
                             {"第" + std::to_string(i) + "条：各地积极推动经济社会发展。"}));
  }
  std::vector<record> batch;
  for (const auto& a : filler) batch.emplace_back(&a);
  const sample_issue issue;
  for (auto r : issue.batch()) batch.push_back(r);
  ASSERT_TRUE(s->write(batch));

  raw_pg pg(b_.conninfo);
  pg.query("ANALYZE article_search");
  pg.query("SET enable_seqscan = off");
  const auto plan = pg.column(
      "EXPLAIN SELECT article_id FROM article_search s WHERE (s.headline ILIKE '%独特风光%' OR s.body ILIKE "
      "'%独特风光%')");
  std::string text;
  for (const auto& l : plan) text += l + "\n";
  EXPECT_NE(text.find("Bitmap Index Scan on article_search_body_trgm"), std::string::npos) << text;
  EXPECT_NE(text.find("Bitmap Index Scan on article_search_headline_trgm"), std::string::npos) << text;

  // The index narrows a 4-character Chinese term to the one matching row before the recheck; a
  // 2-character term has no trigram, so the index can only hand back every row (a scan in disguise).
  const auto explain = [&](const std::string& term) {
    std::string out;
    for (const auto& l :
         pg.column("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT article_id FROM article_search "
                   "WHERE body ILIKE '%" +
                   term + "%'")) {
      out += l + "\n";
    }
    return out;
  };
  const std::string four = explain("独特风光");
  EXPECT_NE(four.find("Bitmap Index Scan on article_search_body_trgm (actual rows=1 "), std::string::npos)
      << four;
  const std::string two = explain("风光");
  EXPECT_NE(two.find("Bitmap Index Scan on article_search_body_trgm (actual rows=305 "), std::string::npos)
      << two;
  EXPECT_NE(two.find("Rows Removed by Index Recheck: 304"), std::string::npos) << two;

  search_query q;
  q.text = "独特风光";
  const auto hits = s->search(q);
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits.value().size(), 1U);
  EXPECT_EQ(hits.value()[0].id, issue.a3.id());
}

// Under the C locale pg_trgm drops every Chinese character: searches stay correct (ILIKE
// rechecks) but no index can help, and the store says so.
TEST_F(PostgresArchive, CLocaleDatabaseWorksButIsFlaggedInNotices) {
  b_.teardown();
  b_.ctype = "C";
  b_.setup();
  auto s = open_store();
  ASSERT_TRUE(s);
  ASSERT_EQ(s->notices().size(), 1U);
  EXPECT_NE(s->notices()[0].find("LC_CTYPE is C"), std::string::npos) << s->notices()[0];
  raw_pg pg(b_.conninfo);
  EXPECT_EQ(pg.query("SELECT show_trgm('中国式现代化')::text"), "{}");
  const sample_issue issue;
  ASSERT_TRUE(s->write(issue.batch()));
  search_query q;
  q.text = "独特风光";
  EXPECT_EQ(s->search(q).value().size(), 1U);
}

TEST_F(PostgresArchive, ConnectionRefusedIsUnavailableQuickly) {
  REQUIRE_PG();
  store_options o;
  o.connect_timeout = 2s;
  const auto t0 = std::chrono::steady_clock::now();
  auto s = open_postgres("host=127.0.0.1 port=1 dbname=x user=x", o);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), errc::unavailable);
  EXPECT_TRUE(s.error().retriable());
  EXPECT_NE(s.error().message().find("cannot connect"), std::string::npos) << s.error().message();

  archive_sink sink(
      [&] { return open_postgres("host=127.0.0.1 port=1 dbname=x user=x password=hunter2", o); });
  const sample_issue issue;
  const auto v = sink.write(envelopes(issue));
  EXPECT_EQ(v.kind, syn::sink::verdict::retry);
  EXPECT_EQ(v.reason.find("hunter2"), std::string::npos) << "the conninfo's password leaked: " << v.reason;
}

// Regression: a connection the server dropped (restart, failover, idle kill) must give retry and
// a fresh connection on the next write, not a sink stuck on a dead socket.
TEST_F(PostgresArchive, LostConnectionIsRetriedOnANewConnection) {
  archive_sink sink([&] { return b_.open(store_options{}); });
  const sample_issue issue;
  ASSERT_EQ(sink.write(envelopes(issue)).kind, syn::sink::verdict::ok);

  raw_pg admin(b_.conninfo);
  admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND "
      "application_name = 'syndicate-archive'");
  const Article fix = corrected(issue.a1, "连接断开后的更正。");
  std::vector<syn::sink::envelope> batch(1);
  batch[0].payload = fix;
  const auto v = sink.write(batch);
  EXPECT_EQ(v.kind, syn::sink::verdict::retry);
  EXPECT_EQ(sink.current(), nullptr);
  const auto again = sink.write(batch);
  EXPECT_EQ(again.kind, syn::sink::verdict::ok) << again.reason;
  EXPECT_EQ(b_.scalar("SELECT revision_count FROM articles WHERE id = '" + issue.a1.id() + "'"), 2);
}

TEST_F(PostgresArchive, LockHeldByAnotherSessionGivesRetryAfterTheLockTimeout) {
  ASSERT_TRUE(open_store());
  store_options o;
  o.busy_timeout = 200ms;
  archive_sink sink([&] { return b_.open(o); });
  ASSERT_TRUE(sink.connect());
  PGconn* holder = PQconnectdb(b_.conninfo.c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK);
  PQclear(PQexec(holder, "BEGIN; LOCK TABLE articles IN ACCESS EXCLUSIVE MODE"));
  const sample_issue issue;
  const auto t0 = std::chrono::steady_clock::now();
  const auto v = sink.write(envelopes(issue));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(v.kind, syn::sink::verdict::retry);
  EXPECT_NE(v.reason.find("55P03"), std::string::npos) << v.reason;
  PQclear(PQexec(holder, "ROLLBACK"));
  PQfinish(holder);
  EXPECT_EQ(sink.write(envelopes(issue)).kind, syn::sink::verdict::ok);
}

TEST_F(PostgresArchive, InstancesStartingTogetherMigrateOnce) {
  constexpr int n = 4;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&] {
      auto s = b_.open(store_options{});
      if (s) {
        ++ok;
      } else {
        ADD_FAILURE() << s.error().to_string();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), n);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM schema_migrations"), latest_schema_version());
}

TEST_F(PostgresArchive, ReadOnlySessionCannotWrite) {
  ASSERT_TRUE(open_store());
  store_options ro;
  ro.mode = open_mode::read_only;
  auto r = open_store(ro);
  ASSERT_TRUE(r);
  auto w = r->put_raw(sha256_hex("x"), "x", "x");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error(), errc::read_only);
}

}  // namespace
}  // namespace syn::archive::test
