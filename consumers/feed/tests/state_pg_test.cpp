// The feed state contract (state_contract.hpp) against a real PostgreSQL: one fresh schema per
// test in the database of $SYN_TEST_PG_CONNINFO (start a server with
// consumers/archive/tests/pg.sh). Without it every test fails with that instruction:
// `ctest -L integration` means "against the real server", never "skipped".
#include <cstdlib>
#include <random>

#include "state_contract.hpp"
#include "syn/core/sql.hpp"

namespace syn::feed::test {
namespace {

const char* base_conninfo() {
  const char* c = std::getenv("SYN_TEST_PG_CONNINFO");
  return (c != nullptr && *c != '\0') ? c : nullptr;
}

/// A schema of its own per test: the conninfo's search_path names it (a key=value conninfo, as
/// pg.sh prints; a later key overrides an earlier one).
struct pg_backend {
  std::string schema;
  std::string conninfo;

  static void admin(const std::string& sql_text) {
    syn::sql::postgres_options o;
    o.conninfo = base_conninfo();
    auto c = syn::sql::open_postgres(o, {});
    ASSERT_TRUE(c) << c.error().message();
    auto r = c.value()->execute(sql_text);
    ASSERT_TRUE(r) << r.error().message();
  }

  void setup() {
    ASSERT_TRUE(base_conninfo() != nullptr)
        << "SYN_TEST_PG_CONNINFO is not set: the PostgreSQL tests need a real server, e.g. "
           "`export SYN_TEST_PG_CONNINFO=$(bash consumers/archive/tests/pg.sh start /tmp/syn-pg 55432)`";
    std::random_device rd;
    schema = "syn_feed_test_" + std::to_string(rd()) + std::to_string(rd() % 1000);
    admin("CREATE SCHEMA " + schema);
    conninfo = std::string(base_conninfo()) + " options='-c search_path=" + schema + "'";
  }
  void teardown() const {
    if (!schema.empty() && base_conninfo() != nullptr) admin("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }
  [[nodiscard]] std::unique_ptr<state_store> open(bool read_only) const {
    return std::make_unique<state_store>(state_backend{state_backend::postgres, {}, conninfo}, read_only);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, FeedStateContract, pg_backend);

// What only PostgreSQL has: the password-bearing conninfo never shows in the path or an error.
TEST(FeedStatePostgres, ConnectionFailuresNameTheServerNotTheConninfo) {
  try {
    state_store s(state_backend{
        state_backend::postgres, {}, "host=127.0.0.1 port=1 password=sekrit connect_timeout=2"});
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("postgres: cannot connect"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("sekrit"), std::string::npos) << e.what();
  }
}

// A connection lost in the middle of a batch (server restart, network): the rest of the batch
// fails instead of running outside the transaction (and without the writer lock, which went with
// the session), nothing of it stays, and the next call reconnects.
TEST(FeedStatePostgres, ALostConnectionFailsTheRestOfTheBatchAndTheNextCallReconnects) {
  pg_backend b;
  b.setup();
  if (::testing::Test::HasFatalFailure()) return;
  const auto draft = [](const std::string& media_id, const std::string& article) {
    draft_record d;
    d.media_id = media_id;
    d.account = "cjrb";
    d.status = "added";
    d.articles = {{article, "h1", 1, 1}};
    return d;
  };
  auto s = b.open(false);
  {
    state_store::batch_transaction batch(*s);
    s->record_draft(draft("M1", "a1"), "wx1");
    pg_backend::admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'syndicate-feed' "
        "AND datname = current_database()");
    EXPECT_THROW(s->record_draft(draft("M2", "a2"), "wx1"), std::runtime_error);  // finds it lost
    // Known lost now: still no reconnect (a new session would write M2 outside the batch).
    EXPECT_THROW(s->record_draft(draft("M2", "a2"), "wx1"), std::runtime_error);
    EXPECT_THROW(batch.commit(), std::runtime_error);
  }
  EXPECT_FALSE(s->pushed("cjrb", "a1", "h1"));  // rolled back with the session
  EXPECT_FALSE(s->pushed("cjrb", "a2", "h1"));  // never written outside the batch
  s->record_draft(draft("M3", "a3"), "wx1");
  EXPECT_TRUE(s->pushed("cjrb", "a3", "h1"));
  b.teardown();
}

}  // namespace syn::feed::test
