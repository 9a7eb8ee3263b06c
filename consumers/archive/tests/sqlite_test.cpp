// The store contract on SQLite (temp dir per test), plus what only SQLite has: WAL, the busy
// timeout, files that cannot be opened.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "store_contract.hpp"

namespace syn::archive::test {
namespace {

using namespace std::chrono_literals;

/// A plain sqlite3 connection, for what the store API does not expose.
class raw_db {
 public:
  explicit raw_db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~raw_db() { sqlite3_close_v2(db_); }
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;

  void exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (msg != nullptr ? msg : "?");
    }
    sqlite3_free(msg);
  }

  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return out;
    }
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

struct sqlite_backend {
  static constexpr bool index_after_write = true;
  std::unique_ptr<temp_dir> dir;
  std::string path;

  void setup() {
    dir = std::make_unique<temp_dir>();
    path = dir->file("archive.db");
  }
  void teardown() { dir.reset(); }
  result<std::unique_ptr<store>> open(const store_options& o) const { return open_sqlite(path, o); }
  std::int64_t scalar(const std::string& sql) const { return std::stoll(raw_db(path).text(sql)); }
  void exec(const std::string& sql) const { raw_db(path).exec(sql); }
  static std::string fail_inserts_of(const std::string& id) {
    return "CREATE TRIGGER fail_test BEFORE INSERT ON article_revisions WHEN NEW.article_id = '" + id +
           "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
  }
};

}  // namespace

/// The same database, never indexed: every search reads the queue (search_pending).
struct sqlite_queued_backend : sqlite_backend {
  static constexpr bool index_after_write = false;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Types<sqlite_backend>);
INSTANTIATE_TYPED_TEST_SUITE_P(SqliteQueued, StoreContract, ::testing::Types<sqlite_queued_backend>);

namespace {

class SqliteArchive : public ::testing::Test {
 protected:
  void SetUp() override { b_.setup(); }
  void TearDown() override { b_.teardown(); }

  static std::vector<syn::sink::envelope> envelopes(const sample_issue& s) {
    std::vector<syn::sink::envelope> out;
    for (const auto* a : {&s.a1, &s.a2, &s.a3, &s.a4, &s.a5}) {
      syn::sink::envelope e;
      e.payload = *a;
      out.push_back(std::move(e));
    }
    syn::sink::envelope m;
    m.payload = s.m;
    out.push_back(std::move(m));
    return out;
  }

  sqlite_backend b_;
};

TEST_F(SqliteArchive, UsesWalJournalAndFullSync) {
  auto s = open_sqlite(b_.path);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(raw_db(b_.path).text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(s.value()->backend(), "sqlite");
}

TEST_F(SqliteArchive, CreatesMissingParentDirectories) {
  const std::string nested = b_.dir->file("var/lib/syndicate/archive.db");
  auto s = open_sqlite(nested);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_TRUE(std::filesystem::exists(nested));
}

// Regression: a writer blocked by another connection's lock must give up after the busy timeout
// and report retry (the runner backs off), not hang the consumer or drop the batch.
TEST_F(SqliteArchive, SinkReportsRetryWhileAnotherWriterHoldsTheLockAndRecovers) {
  ASSERT_TRUE(open_sqlite(b_.path));  // create and migrate
  store_options o;
  o.busy_timeout = 100ms;
  archive_sink sink([&] { return open_sqlite(b_.path, o); });
  ASSERT_TRUE(sink.connect());
  const sample_issue s;
  const auto batch = envelopes(s);

  raw_db holder(b_.path);
  holder.exec("BEGIN IMMEDIATE");
  holder.exec("INSERT INTO raw_issues VALUES ('x', 0, 'lock holder', 'now', x'')");
  const auto t0 = std::chrono::steady_clock::now();
  const auto v = sink.write(batch);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(v.kind, syn::sink::verdict::retry);
  EXPECT_NE(v.reason.find("locked"), std::string::npos) << v.reason;
  EXPECT_LT(took, 3s);
  EXPECT_EQ(sink.current(), nullptr);  // reconnects on the next write

  holder.exec("ROLLBACK");
  const auto ok = sink.write(batch);
  EXPECT_EQ(ok.kind, syn::sink::verdict::ok) << ok.reason;
  EXPECT_TRUE(ok.rejected.empty());
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM article_revisions"), 5);
}

TEST_F(SqliteArchive, ReadersAreNotBlockedByAWriter) {
  {
    auto s = open_sqlite(b_.path);
    ASSERT_TRUE(s);
    const sample_issue issue;
    ASSERT_TRUE(s.value()->write(issue.batch()));
  }
  raw_db holder(b_.path);
  holder.exec("BEGIN IMMEDIATE");
  holder.exec("DELETE FROM article_revisions");  // uncommitted
  store_options ro;
  ro.mode = open_mode::read_only;
  ro.busy_timeout = 100ms;
  auto reader = open_sqlite(b_.path, ro);
  ASSERT_TRUE(reader) << reader.error().to_string();
  search_query q;
  q.text = "独特风光";
  auto hits = reader.value()->search(q);
  ASSERT_TRUE(hits) << hits.error().to_string();
  EXPECT_EQ(hits.value().size(), 1U);
  EXPECT_TRUE(reader.value()->get("cjrb-20240130-01-01"));
  holder.exec("ROLLBACK");
}

TEST_F(SqliteArchive, ConcurrentWritersSerialiseThroughTheBusyTimeout) {
  ASSERT_TRUE(open_sqlite(b_.path));
  constexpr int writers = 4;
  constexpr int batches = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      auto s = open_sqlite(b_.path);
      if (!s) {
        ++failures;
        return;
      }
      for (int b = 0; b < batches; ++b) {
        std::vector<Article> as;
        for (int i = 1; i <= 10; ++i) {
          as.push_back(article("w" + std::to_string(w), "2024-01-30", b + 1, i, "并发写入",
                               {"第" + std::to_string(i) + "条。"}));
        }
        std::vector<record> batch;
        for (const auto& a : as) batch.emplace_back(&a);
        if (!s.value()->write(batch)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM article_revisions"), writers * batches * 10);
}

TEST_F(SqliteArchive, SinkReportsRetryWhenTheFileCannotBeOpened) {
  // The parent "directory" is a regular file: nothing can create the database there.
  const std::string blocker = b_.dir->file("not-a-directory");
  std::ofstream(blocker) << "x";
  archive_sink sink([&] { return open_sqlite(blocker + "/archive.db"); });
  const sample_issue s;
  const auto v = sink.write(envelopes(s));
  EXPECT_EQ(v.kind, syn::sink::verdict::retry);
  EXPECT_NE(v.reason.find("cannot open"), std::string::npos) << v.reason;

  // The path is a directory.
  const std::string dir = b_.dir->file("a-directory");
  std::filesystem::create_directories(dir);
  archive_sink sink2([&] { return open_sqlite(dir); });
  EXPECT_EQ(sink2.write(envelopes(s)).kind, syn::sink::verdict::retry);
}

TEST_F(SqliteArchive, SinkFromConfigOpensTheConfiguredFile) {
  config::archive_config cfg;
  cfg.sqlite.path = b_.dir->file("from-config/archive.db");
  archive_sink sink(cfg);
  const sample_issue s;
  EXPECT_EQ(sink.write(envelopes(s)).kind, syn::sink::verdict::ok);
  EXPECT_TRUE(std::filesystem::exists(cfg.sqlite.path));
  auto raw = sink.put_raw(sha256_hex(s.raw), s.raw, "x.txt");
  ASSERT_TRUE(raw) << raw.error().to_string();
  EXPECT_TRUE(raw.value());
}

TEST_F(SqliteArchive, PostgresWithoutItsEnvironmentVariableSaysWhichOne) {
  config::archive_config cfg;
  cfg.backend = config::archive_backend::postgres;
  cfg.postgres.conninfo.env = "SYN_ARCHIVE_TEST_SURELY_UNSET_VARIABLE";
  auto s = open(cfg);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), errc::unavailable);
  EXPECT_NE(s.error().message().find("SYN_ARCHIVE_TEST_SURELY_UNSET_VARIABLE"), std::string::npos);
}

TEST_F(SqliteArchive, SinkIsPermanentForASchemaFromTheFuture) {
  ASSERT_TRUE(open_sqlite(b_.path));
  b_.exec("INSERT INTO schema_migrations VALUES (999, 'future', 'x')");
  archive_sink sink([&] { return open_sqlite(b_.path); });
  const sample_issue s;
  const auto v = sink.write(envelopes(s));
  EXPECT_EQ(v.kind, syn::sink::verdict::permanent);
  EXPECT_NE(v.reason.find("upgrade syndicate"), std::string::npos) << v.reason;
}

// Delivery receipts (issue 23): STORED with the revision for each Article, again on a replay (at
// least once, the same receipt ids), none for the manifest.
TEST_F(SqliteArchive, SinkReturnsAStoredReceiptPerArticleEveryTimeABatchIsWritten) {
  archive_sink sink([&] { return open_sqlite(b_.path); });
  const sample_issue s;
  ASSERT_EQ(sink.write(envelopes(s)).kind, syn::sink::verdict::ok);
  const auto first = sink.take_receipts();
  ASSERT_EQ(first.size(), 5U);
  for (const auto& r : first) {
    EXPECT_EQ(r.sink(), syndication::v1::DeliveryReceipt::ARCHIVE);
    EXPECT_EQ(r.state(), syndication::v1::DeliveryReceipt::STORED);
    EXPECT_EQ(r.revision(), 1U);
    EXPECT_EQ(r.receipt_id(), "archive:stored:" + r.article_id() + ":" + r.content_sha256());
  }
  EXPECT_TRUE(sink.take_receipts().empty());  // taken once
  ASSERT_EQ(sink.write(envelopes(s)).kind, syn::sink::verdict::ok);
  const auto again = sink.take_receipts();
  ASSERT_EQ(again.size(), 5U);
  EXPECT_EQ(again[0].receipt_id(), first[0].receipt_id());
}

TEST_F(SqliteArchive, ReadOnlyOpenOfAMissingFileSaysSo) {
  store_options ro;
  ro.mode = open_mode::read_only;
  auto s = open_sqlite(b_.dir->file("nothing.db"), ro);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), errc::unavailable);
  EXPECT_NE(s.error().message().find("no archive there"), std::string::npos) << s.error().message();
  EXPECT_FALSE(std::filesystem::exists(b_.dir->file("nothing.db")));
}

TEST_F(SqliteArchive, ReadOnlyOpenOfSomethingElseSaysItIsNotAnArchive) {
  b_.exec("CREATE TABLE unrelated (x)");
  store_options ro;
  ro.mode = open_mode::read_only;
  auto s = open_sqlite(b_.path, ro);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), errc::schema);
  EXPECT_NE(s.error().message().find("not an archive"), std::string::npos) << s.error().message();

  std::ofstream(b_.dir->file("garbage.db")) << std::string(4096, 'g');
  auto g = open_sqlite(b_.dir->file("garbage.db"), ro);
  ASSERT_FALSE(g);
}

TEST_F(SqliteArchive, ReadOnlyOpenOfAnOlderSchemaAsksForMigration) {
  ASSERT_TRUE(open_sqlite(b_.path));
  b_.exec("DELETE FROM schema_migrations WHERE version = 2");
  store_options ro;
  ro.mode = open_mode::read_only;
  auto s = open_sqlite(b_.path, ro);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), errc::schema);
  EXPECT_NE(s.error().message().find("lacks migration 2"), std::string::npos) << s.error().message();
}

// ---------------------------------------------------------------------------------------------
// Search indexing behind the writes: search_pending, index_pending, the sink's indexer.

std::vector<std::string> hit_ids(store& st, const std::string& text) {
  search_query q;
  q.text = text;
  auto r = st.search(q);
  EXPECT_TRUE(r) << r.error().to_string();
  std::vector<std::string> out;
  if (r) {
    for (const auto& h : r.value()) out.push_back(h.id);
  }
  return out;
}

TEST_F(SqliteArchive, WritesQueueSearchTextAndIndexingMovesItIntoTheIndex) {
  auto opened = open_sqlite(b_.path);
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto& st = *opened.value();
  EXPECT_TRUE(st.indexes_behind());
  const sample_issue s;
  ASSERT_TRUE(st.write(s.batch()));
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 5);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM article_search"), 0);

  // Just written, not indexed: found (long and short terms, ranked like the index ranks them).
  const std::vector<std::string> modern{s.a1.id(), s.a3.id()};
  EXPECT_EQ(hit_ids(st, "独特风光"), std::vector<std::string>{s.a3.id()});
  EXPECT_EQ(hit_ids(st, "风光"), std::vector<std::string>{s.a3.id()});
  EXPECT_EQ(hit_ids(st, "中国式现代化"), modern);

  auto moved = st.index_pending(3);  // a partial drain: both halves are searchable at once
  ASSERT_TRUE(moved) << moved.error().to_string();
  EXPECT_EQ(moved.value(), 3);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 2);
  EXPECT_EQ(hit_ids(st, "中国式现代化"), modern);
  EXPECT_EQ(hit_ids(st, "昌吉"), (std::vector<std::string>{s.a1.id(), s.a5.id()}));

  moved = st.index_pending(1000);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved.value(), 2);
  EXPECT_EQ(st.index_pending(1000).value(), 0);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 0);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM article_search"), 5);
  EXPECT_EQ(hit_ids(st, "独特风光"), std::vector<std::string>{s.a3.id()});
  EXPECT_EQ(hit_ids(st, "风光"), std::vector<std::string>{s.a3.id()});
  EXPECT_EQ(hit_ids(st, "中国式现代化"), modern);

  // A correction of an indexed article: the queued new text wins over the stale index row
  // at once, and after indexing.
  const Article fix = corrected(s.a3, "冰雕展今日开幕。", 1706572800 + 60);
  ASSERT_TRUE(st.write(records({&fix})));
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 1);
  EXPECT_EQ(hit_ids(st, "冰雕展"), std::vector<std::string>{s.a3.id()});
  EXPECT_EQ(hit_ids(st, "中国式现代化"), std::vector<std::string>{s.a1.id()});
  EXPECT_EQ(hit_ids(st, "文旅"), std::vector<std::string>{});
  ASSERT_EQ(st.index_pending(1000).value(), 1);
  EXPECT_EQ(hit_ids(st, "冰雕展"), std::vector<std::string>{s.a3.id()});
  EXPECT_EQ(hit_ids(st, "中国式现代化"), std::vector<std::string>{s.a1.id()});
  EXPECT_EQ(hit_ids(st, "文旅"), std::vector<std::string>{});
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM article_search"), 5);
}

TEST_F(SqliteArchive, ReplayingIndexedArticlesQueuesNothingAndNeverDoubleIndexes) {
  auto opened = open_sqlite(b_.path);
  ASSERT_TRUE(opened);
  auto& st = *opened.value();
  const sample_issue s;
  ASSERT_TRUE(st.write(s.batch()));
  ASSERT_EQ(st.index_pending(1000).value(), 5);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(st.write(s.batch()));
    EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 0);
    EXPECT_EQ(st.index_pending(1000).value(), 0);
  }
  // Queued twice before indexing (a replay of a batch whose article became current again):
  // one queued row per article, one index row per article.
  const Article fix = corrected(s.a3, "冰雕展今日开幕。");
  ASSERT_TRUE(st.write(records({&fix})));
  ASSERT_TRUE(st.write(records({&s.a3})));  // the original again: made current, queued again
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 1);
  EXPECT_EQ(st.index_pending(1000).value(), 1);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM article_search"), 5);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM article_search WHERE article_search MATCH '\"独特风光\"'"), 1);
  EXPECT_EQ(hit_ids(st, "冰雕展"), std::vector<std::string>{});
  // FTS5's own consistency check of the index against its content.
  b_.exec("INSERT INTO article_search (article_search) VALUES ('integrity-check')");
}

// A consumer killed between the row commit and indexing: the queue is durable, the rows are
// searchable meanwhile, and the next start's indexer drains it.
TEST_F(SqliteArchive, QueueLeftByAKilledConsumerIsIndexedByTheNextStart) {
  const sample_issue s;
  {
    auto opened = open_sqlite(b_.path);
    ASSERT_TRUE(opened);
    ASSERT_TRUE(opened.value()->write(s.batch()));  // committed; never indexed ("killed")
  }
  ASSERT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 5);
  {
    auto ro_opts = store_options{};
    ro_opts.mode = open_mode::read_only;
    auto ro = open_sqlite(b_.path, ro_opts);
    ASSERT_TRUE(ro);
    EXPECT_EQ(hit_ids(*ro.value(), "独特风光"), std::vector<std::string>{s.a3.id()});
    EXPECT_EQ(ro.value()->index_pending(10).error(), errc::read_only);
  }
  archive_sink sink([&] { return open_sqlite(b_.path); });
  ASSERT_TRUE(sink.connect());  // starts the indexer, which looks at the queue at once
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (b_.scalar("SELECT count(*) FROM search_pending") != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 0);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM article_search"), 5);
}

TEST_F(SqliteArchive, SinkLeavesTheQueueAtShutdownAndIndexesInTheBackground) {
  const sample_issue s;
  {
    archive_sink sink([&] { return open_sqlite(b_.path); });
    ASSERT_EQ(sink.write(envelopes(s)).kind, syn::sink::verdict::ok);
  }  // destroyed right away: the stop does not wait for the index; the queue stays, searchable
  const auto queued = b_.scalar("SELECT count(*) FROM search_pending");
  EXPECT_EQ(queued + b_.scalar("SELECT count(*) FROM article_search"), 5);
  {
    auto ro_opts = store_options{};
    ro_opts.mode = open_mode::read_only;
    auto ro = open_sqlite(b_.path, ro_opts);
    ASSERT_TRUE(ro);
    EXPECT_EQ(hit_ids(*ro.value(), "独特风光"), std::vector<std::string>{s.a3.id()});
    auto left = ro.value()->queued_for_index();
    ASSERT_TRUE(left);
    EXPECT_EQ(left.value(), queued);
  }

  archive_sink sink([&] { return open_sqlite(b_.path); });
  const Article fix = corrected(s.a3, "冰雕展今日开幕。");
  syn::sink::envelope e;
  e.payload = fix;
  ASSERT_EQ(sink.write(std::span(&e, 1)).kind, syn::sink::verdict::ok);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (b_.scalar("SELECT count(*) FROM search_pending") != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 0);  // by the background indexer
  auto flushed = sink.flush_index();
  ASSERT_TRUE(flushed) << flushed.error().to_string();
  EXPECT_EQ(flushed.value(), 0);
}

// An archive created before the queue existed (schema version 2, its articles indexed in the
// write) migrates on open, keeps its index and queues what comes next.
TEST_F(SqliteArchive, MigratesAVersion2Archive) {
  const sample_issue s;
  {
    auto opened = open_sqlite(b_.path);
    ASSERT_TRUE(opened);
    ASSERT_TRUE(opened.value()->write(s.batch()));
    ASSERT_EQ(opened.value()->index_pending(1000).value(), 5);
  }
  // Back to exactly the version 2 schema.
  b_.exec("DROP TABLE search_pending");
  b_.exec("DELETE FROM schema_migrations WHERE version = 3");
  ASSERT_EQ(b_.scalar("SELECT max(version) FROM schema_migrations"), 2);

  auto opened = open_sqlite(b_.path);
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto& st = *opened.value();
  EXPECT_EQ(st.schema_version(), 3);
  EXPECT_EQ(b_.scalar("SELECT max(version) FROM schema_migrations"), 3);
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 0);
  EXPECT_EQ(hit_ids(st, "独特风光"), std::vector<std::string>{s.a3.id()});
  const Article later = article("cjrb", "2024-01-31", 1, 1, "冰雕展开幕", {"冰雕展今日开幕。"});
  ASSERT_TRUE(st.write(records({&later})));
  EXPECT_EQ(b_.scalar("SELECT count(*) FROM search_pending"), 1);
  EXPECT_EQ(hit_ids(st, "冰雕展"), std::vector<std::string>{later.id()});
  EXPECT_EQ(st.index_pending(1000).value(), 1);
  EXPECT_EQ(hit_ids(st, "冰雕展"), std::vector<std::string>{later.id()});
}

// The figure docs/ARCHIVE.md quotes comes from bench_archive_sink; this only guards against an
// order-of-magnitude regression (per-record transactions, statements re-prepared per record).
TEST_F(SqliteArchive, WritesAThousandArticlesInBatchesOfAHundredQuickly) {
  archive_sink sink([&] { return open_sqlite(b_.path); });
  ASSERT_TRUE(sink.connect());
  const std::string para = "自治区党委十届十次全会提出，以高质量发展新成效扎实推进中国式现代化新疆实践。";
  std::vector<syn::sink::envelope> batch(100);
  const auto t0 = std::chrono::steady_clock::now();
  for (int b = 0; b < 10; ++b) {
    for (int i = 0; i < 100; ++i) {
      batch[static_cast<std::size_t>(i)].payload = article(
          "perf", "2024-01-30", b + 1, i + 1, "性能测试" + std::to_string(i), {para, para, para, para, para});
    }
    ASSERT_EQ(sink.write(batch).kind, syn::sink::verdict::ok);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("archive sink (sqlite): 1000 articles in %.3f s = %.0f articles/s\n", secs, 1000 / secs);
  EXPECT_LT(secs, 30.0);
}

}  // namespace
}  // namespace syn::archive::test
