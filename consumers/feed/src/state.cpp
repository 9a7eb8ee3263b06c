#include "syn/feed/state.hpp"

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

namespace syn::feed {
namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS pushed (
  account        TEXT NOT NULL,
  article_id     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  media_id       TEXT NOT NULL,
  part           INTEGER NOT NULL DEFAULT 1,
  parts          INTEGER NOT NULL DEFAULT 1,
  position       INTEGER NOT NULL DEFAULT 0,
  pushed_at      INTEGER NOT NULL,
  PRIMARY KEY (account, article_id, content_sha256, part)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS drafts (
  media_id     TEXT PRIMARY KEY,
  account      TEXT NOT NULL,
  app_id       TEXT NOT NULL,
  issue_id     TEXT NOT NULL,
  status       TEXT NOT NULL,
  publish_id   TEXT NOT NULL DEFAULT '',
  msg_data_id  TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS drafts_account ON drafts (account, created_at);
CREATE TABLE IF NOT EXISTS publish_results (
  publish_id     TEXT PRIMARY KEY,
  account        TEXT NOT NULL,
  publish_status INTEGER NOT NULL,
  article_id     TEXT NOT NULL DEFAULT '',
  fail_idx       TEXT NOT NULL DEFAULT '',
  source         TEXT NOT NULL,
  received_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS superseded (
  account        TEXT NOT NULL,
  article_id     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  at             INTEGER NOT NULL,
  PRIMARY KEY (account, article_id, content_sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ambiguous (
  account   TEXT NOT NULL,
  draft_key TEXT NOT NULL,
  since     INTEGER NOT NULL,
  PRIMARY KEY (account, draft_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS covers (
  account     TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  media_id    TEXT NOT NULL,
  url         TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (account, file_sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS articles (
  id             TEXT PRIMARY KEY,
  content_sha256 TEXT NOT NULL,
  issue_id       TEXT NOT NULL,
  issue_date     TEXT NOT NULL,
  paper          TEXT NOT NULL,
  language       TEXT NOT NULL,
  sequence       INTEGER NOT NULL,
  page           INTEGER NOT NULL,
  headline       TEXT NOT NULL,
  kicker         TEXT NOT NULL,
  summary        TEXT NOT NULL,
  revision       INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  article        BLOB NOT NULL,
  html           TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS held (
  account        TEXT NOT NULL,
  issue_id       TEXT NOT NULL,
  article_id     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  since_ms       INTEGER NOT NULL,
  source         TEXT NOT NULL,
  article        BLOB NOT NULL,
  PRIMARY KEY (account, issue_id, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS article_hashes (
  article_id     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  revision       INTEGER NOT NULL,
  PRIMARY KEY (article_id, content_sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_entries (
  account    TEXT NOT NULL,
  article_id TEXT NOT NULL,
  issue_date TEXT NOT NULL,
  sequence   INTEGER NOT NULL,
  added_at   INTEGER NOT NULL,
  PRIMARY KEY (account, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS feed_order ON feed_entries (account, issue_date DESC, sequence ASC);
CREATE INDEX IF NOT EXISTS articles_issue ON articles (issue_id, language);
)sql";

/// The WeChat account state (quotas, covers per AppID, unknown submissions, operator's actions):
/// added tables only, so that a db of an older version opens as it is.
constexpr const char* schema_accounts = R"sql(
CREATE TABLE IF NOT EXISTS quota_pauses (
  account  TEXT NOT NULL,
  api      TEXT NOT NULL,
  until_ms INTEGER NOT NULL,
  errcode  INTEGER NOT NULL,
  reason   TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  PRIMARY KEY (account, api)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS api_calls (
  account TEXT NOT NULL,
  api     TEXT NOT NULL,
  day     TEXT NOT NULL,
  ok      INTEGER NOT NULL DEFAULT 0,
  refused INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account, api, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_errors (
  account TEXT NOT NULL,
  at      INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS account_errors_by ON account_errors (account, at);
CREATE TABLE IF NOT EXISTS app_covers (
  app_id       TEXT NOT NULL,
  image_sha256 TEXT NOT NULL,
  media_id     TEXT NOT NULL,
  url          TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (app_id, image_sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_apps (
  account TEXT PRIMARY KEY,
  app_id  TEXT NOT NULL,
  seen_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS submit_intents (
  media_id TEXT PRIMARY KEY,
  since    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS operator_actions (
  at      INTEGER NOT NULL,
  action  TEXT NOT NULL,
  account TEXT NOT NULL,
  detail  TEXT NOT NULL
);
)sql";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// Prepared statements are cached per connection and SQL text (the text is always a literal):
/// preparing is a good part of the cost of the small queries the sink makes per article.
std::mutex cache_mu;
std::map<std::pair<sqlite3*, const char*>, sqlite3_stmt*> cache;

void drop_cache(sqlite3* db) {
  const std::lock_guard lock(cache_mu);
  for (auto it = cache.begin(); it != cache.end();) {
    if (it->first.first == db) {
      sqlite3_finalize(it->second);
      it = cache.erase(it);
    } else {
      ++it;
    }
  }
}

/// A prepared statement taken from the cache (or prepared), reset and returned on scope exit.
class stmt {
 public:
  stmt(sqlite3* db, const char* sql, const std::string& path) : db_(db), sql_(sql), path_(path) {
    {
      const std::lock_guard lock(cache_mu);
      if (const auto it = cache.find({db, sql}); it != cache.end()) {
        s_ = it->second;
        cache.erase(it);  // taken: a nested use of the same text prepares its own
      }
    }
    if (s_ == nullptr && sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) {
      fail("prepare");
    }
  }
  ~stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    const std::lock_guard lock(cache_mu);
    if (!cache.emplace(std::make_pair(db_, sql_), s_).second) sqlite3_finalize(s_);
  }
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;

  stmt& bind(int i, std::string_view v) {
    // A default string_view has no data: SQLite would bind NULL, not ''.
    sqlite3_bind_text(s_, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  stmt& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  /// true: a row is available.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, col));
  }
  std::string blob(int col) const {
    const auto* p = sqlite3_column_blob(s_, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), sqlite3_column_bytes(s_, col));
  }
  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw std::runtime_error("feed state " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  const char* sql_;
  sqlite3_stmt* s_ = nullptr;
  const std::string& path_;
};

/// A draft from `SELECT media_id, account, issue_id, status, publish_id`.
draft_record draft_row(const stmt& q) {
  draft_record d;
  d.media_id = q.text(0), d.account = q.text(1), d.issue_id = q.text(2), d.status = q.text(3), d.publish_id = q.text(4);
  return d;
}

}  // namespace

struct state_store::impl {
  std::string path;
  sqlite3* db = nullptr;
  std::mutex mu;
  int writer_fd = -1;  ///< `<path>.writer-lock`, for lock_writer(); -1 when there is none

  void exec(const char* sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error("feed state " + path + ": " + msg);
    }
  }

  /// BEGIN IMMEDIATE ... COMMIT, rolled back if the body throws. Inside a batch_transaction the
  /// body joins it (and a throw rolls the whole batch back, through its owner).
  template <class F>
  void transaction(F&& body) {
    if (sqlite3_get_autocommit(db) == 0) {
      body();
      return;
    }
    exec("BEGIN IMMEDIATE");
    try {
      body();
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  /// The articles of each draft, in draft order (caller holds mu).
  void fill_articles(std::vector<draft_record>& drafts) const {
    for (auto& d : drafts) {
      stmt a(db, "SELECT article_id, content_sha256, part, parts FROM pushed WHERE media_id = ? ORDER BY position", path);
      a.bind(1, d.media_id);
      while (a.step()) {
        d.articles.push_back({a.text(0), a.text(1), static_cast<std::size_t>(a.i64(2)), static_cast<std::size_t>(a.i64(3))});
      }
    }
  }

  void store_one(const syndication::v1::Article& a, std::string_view html, const std::vector<std::string>& accounts,
                 std::int64_t now) {
    int revision = 1;
    bool same = false;
    {
      stmt q(db, "SELECT content_sha256, revision FROM articles WHERE id = ?", path);
      q.bind(1, a.id());
      if (q.step()) {
        same = q.text(0) == a.content_sha256();
        revision = static_cast<int>(q.i64(1)) + (same ? 0 : 1);
        if (!same) {  // a db from before article_hashes: the current hash was not recorded there
          stmt r(db, "INSERT OR IGNORE INTO article_hashes (article_id, content_sha256, revision) VALUES (?,?,?)", path);
          r.bind(1, a.id()).bind(2, q.text(0)).bind(3, q.i64(1));
          r.run();
        }
      }
    }
    if (!same) {
      // A hash stored before, but not the current one, is an older revision coming back (a
      // replay): the page keeps the newer text. (Same text => same hash, so a correction that
      // reverts to earlier text is indistinguishable from a replay; the WeChat ledger, keyed on
      // the hash too, does not post it again either.)
      stmt h(db, "SELECT 1 FROM article_hashes WHERE article_id = ? AND content_sha256 = ?", path);
      h.bind(1, a.id()).bind(2, a.content_sha256());
      same = h.step();
    }
    if (!same) {
      stmt r(db, "INSERT OR IGNORE INTO article_hashes (article_id, content_sha256, revision) VALUES (?,?,?)", path);
      r.bind(1, a.id()).bind(2, a.content_sha256()).bind(3, static_cast<std::int64_t>(revision));
      r.run();
      std::string summary;
      for (const auto& b : a.blocks()) {
        if (b.kind() == syndication::v1::Block::PARAGRAPH) {
          summary = b.text();
          break;
        }
      }
      stmt u(db,
             "INSERT INTO articles (id, content_sha256, issue_id, issue_date, paper, language, sequence, page, "
             "headline, kicker, summary, revision, updated_at, article, html) "
             "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
             "content_sha256=excluded.content_sha256, issue_id=excluded.issue_id, issue_date=excluded.issue_date, "
             "paper=excluded.paper, language=excluded.language, sequence=excluded.sequence, page=excluded.page, "
             "headline=excluded.headline, kicker=excluded.kicker, summary=excluded.summary, "
             "revision=excluded.revision, updated_at=excluded.updated_at, article=excluded.article, html=excluded.html",
             path);
      u.bind(1, a.id()).bind(2, a.content_sha256()).bind(3, a.issue_id()).bind(4, a.issue_date()).bind(5, a.paper());
      u.bind(6, a.language().empty() ? std::string_view("zh-Hans") : std::string_view(a.language()));
      u.bind(7, static_cast<std::int64_t>(a.sequence())).bind(8, static_cast<std::int64_t>(a.page()));
      u.bind(9, a.headline()).bind(10, a.kicker()).bind(11, summary).bind(12, static_cast<std::int64_t>(revision));
      u.bind(13, now).bind_blob(14, a.SerializeAsString()).bind(15, html);
      u.run();
    }
    for (const auto& acc : accounts) {
      stmt f(db,
             "INSERT INTO feed_entries (account, article_id, issue_date, sequence, added_at) VALUES (?,?,?,?,?) "
             "ON CONFLICT(account, article_id) DO UPDATE SET issue_date=excluded.issue_date, sequence=excluded.sequence",
             path);
      f.bind(1, acc).bind(2, a.id()).bind(3, a.issue_date()).bind(4, static_cast<std::int64_t>(a.sequence()));
      f.bind(5, now).run();
    }
  }
};

state_store::state_store(const std::string& path, bool read_only, bool durable) : impl_(std::make_unique<impl>()) {
  impl_->path = path;
  if (!read_only && path != ":memory:" && path.rfind("file:", 0) != 0) {
    // Like the archive: the parent directories of the db are created.
    const auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &impl_->db, flags, nullptr) != SQLITE_OK) {
    std::string msg = impl_->db != nullptr ? sqlite3_errmsg(impl_->db) : "out of memory";
    sqlite3_close(impl_->db);
    impl_->db = nullptr;
    throw std::runtime_error("feed state " + path + ": cannot open: " + msg);
  }
  sqlite3_busy_timeout(impl_->db, 5000);
  if (!read_only) {
    impl_->exec("PRAGMA journal_mode=WAL");
    impl_->exec(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    impl_->exec(schema);
    impl_->exec(schema_accounts);
    if (path != ":memory:" && path.rfind("file:", 0) != 0) {
      const auto lock_path = path + ".writer-lock";
      impl_->writer_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (impl_->writer_fd < 0) {
        throw std::runtime_error("feed state " + path + ": cannot open " + lock_path + ": " + std::strerror(errno));
      }
    }
  }
}

state_store::~state_store() {
  if (impl_ && impl_->db != nullptr) {
    drop_cache(impl_->db);
    sqlite3_close(impl_->db);
  }
  if (impl_ && impl_->writer_fd >= 0) ::close(impl_->writer_fd);
}

const std::string& state_store::path() const noexcept { return impl_->path; }

state_store::writer_guard::writer_guard(int fd) : fd_(fd) {
  if (fd_ < 0) return;
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("feed state: cannot take the writer lock: ") + std::strerror(errno));
  }
}

state_store::writer_guard::~writer_guard() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

state_store::writer_guard state_store::lock_writer() { return writer_guard(impl_->writer_fd); }

state_store::batch_transaction::batch_transaction(state_store& s) : s_(&s) {
  const std::lock_guard lock(s_->impl_->mu);
  s_->impl_->exec("BEGIN IMMEDIATE");
}

state_store::batch_transaction::~batch_transaction() {
  if (s_ == nullptr) return;
  const std::lock_guard lock(s_->impl_->mu);
  sqlite3_exec(s_->impl_->db, "ROLLBACK", nullptr, nullptr, nullptr);
}

void state_store::batch_transaction::commit() {
  const std::lock_guard lock(s_->impl_->mu);
  s_->impl_->exec("COMMIT");
  s_ = nullptr;
}

bool state_store::pushed(std::string_view account, std::string_view article_id, std::string_view sha256) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "SELECT 1 FROM pushed WHERE account = ? AND article_id = ? AND content_sha256 = ? LIMIT 1",
         impl_->path);
  q.bind(1, account).bind(2, article_id).bind(3, sha256);
  return q.step();
}

bool state_store::superseded(std::string_view account, std::string_view article_id, std::string_view sha256) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "SELECT 1 FROM superseded WHERE account = ? AND article_id = ? AND content_sha256 = ?",
         impl_->path);
  q.bind(1, account).bind(2, article_id).bind(3, sha256);
  return q.step();
}

void state_store::mark_superseded(std::string_view account, std::string_view article_id, std::string_view sha256) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "INSERT OR IGNORE INTO superseded (account, article_id, content_sha256, at) VALUES (?,?,?,?)",
         impl_->path);
  q.bind(1, account).bind(2, article_id).bind(3, sha256).bind(4, now_s()).run();
}

int state_store::pushed_revisions(std::string_view account, std::string_view article_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "SELECT COUNT(DISTINCT content_sha256) FROM pushed WHERE account = ? AND article_id = ?",
         impl_->path);
  q.bind(1, account).bind(2, article_id);
  return q.step() ? static_cast<int>(q.i64(0)) : 0;
}

std::optional<draft_record> state_store::draft_of(std::string_view account, std::string_view article_id,
                                                  std::string_view sha256) {
  const std::lock_guard lock(impl_->mu);
  std::string media_id;
  {
    stmt q(impl_->db,
           "SELECT media_id FROM pushed WHERE account = ? AND article_id = ? AND content_sha256 = ? LIMIT 1",
           impl_->path);
    q.bind(1, account).bind(2, article_id).bind(3, sha256);
    if (!q.step()) return std::nullopt;
    media_id = q.text(0);
  }
  stmt q(impl_->db, "SELECT media_id, account, issue_id, status, publish_id FROM drafts WHERE media_id = ?",
         impl_->path);
  q.bind(1, media_id);
  if (!q.step()) return std::nullopt;
  draft_record d;
  d.media_id = q.text(0), d.account = q.text(1), d.issue_id = q.text(2), d.status = q.text(3), d.publish_id = q.text(4);
  return d;
}

void state_store::record_draft(const draft_record& d, std::string_view app_id, std::string_view resolved_draft_key) {
  const std::lock_guard lock(impl_->mu);
  const auto now = now_s();
  impl_->transaction([&] {
    stmt q(impl_->db,
           "INSERT OR REPLACE INTO drafts (media_id, account, app_id, issue_id, status, publish_id, created_at, "
           "updated_at) VALUES (?,?,?,?,?,?,?,?)",
           impl_->path);
    q.bind(1, d.media_id).bind(2, d.account).bind(3, app_id).bind(4, d.issue_id).bind(5, d.status);
    q.bind(6, d.publish_id).bind(7, now).bind(8, now).run();
    std::int64_t position = 0;
    for (const auto& a : d.articles) {
      stmt p(impl_->db,
             "INSERT OR REPLACE INTO pushed (account, article_id, content_sha256, media_id, part, parts, position, "
             "pushed_at) VALUES (?,?,?,?,?,?,?,?)",
             impl_->path);
      p.bind(1, d.account).bind(2, a.article_id).bind(3, a.content_sha256).bind(4, d.media_id);
      p.bind(5, static_cast<std::int64_t>(a.part)).bind(6, static_cast<std::int64_t>(a.parts)).bind(7, position++);
      p.bind(8, now).run();
    }
    if (!resolved_draft_key.empty()) {
      stmt c(impl_->db, "DELETE FROM ambiguous WHERE account = ? AND draft_key = ?", impl_->path);
      c.bind(1, d.account).bind(2, resolved_draft_key).run();
    }
  });
}

void state_store::record_submitted(std::string_view media_id, std::string_view publish_id, std::string_view msg_data_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db,
         "UPDATE drafts SET status = 'submitted', publish_id = ?, msg_data_id = ?, updated_at = ? WHERE media_id = ?",
         impl_->path);
  q.bind(1, publish_id).bind(2, msg_data_id).bind(3, now_s()).bind(4, media_id).run();
}

std::string_view publish_status_name(int status) noexcept {
  switch (status) {
    case 0: return "published";
    case 1: return "publishing";
    case 2: return "original_check_failed";
    case 3: return "failed";
    case 4: return "rejected";
    case 5: return "deleted";
    case 6: return "banned";
    default: return "unknown";
  }
}

std::optional<std::string> state_store::record_publish_result(const publish_result& r) {
  const std::lock_guard lock(impl_->mu);
  std::string account;
  {
    stmt q(impl_->db, "SELECT account FROM drafts WHERE publish_id = ? AND publish_id != ''", impl_->path);
    q.bind(1, r.publish_id);
    if (!q.step()) return std::nullopt;
    account = q.text(0);
  }
  const std::int64_t now = now_s();
  impl_->exec("BEGIN IMMEDIATE");
  try {
    stmt u(impl_->db, "UPDATE drafts SET status = ?, updated_at = ? WHERE publish_id = ?", impl_->path);
    u.bind(1, publish_status_name(r.status)).bind(2, now).bind(3, r.publish_id).run();
    stmt p(impl_->db,
           "INSERT OR REPLACE INTO publish_results (publish_id, account, publish_status, article_id, fail_idx, "
           "source, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
           impl_->path);
    p.bind(1, r.publish_id).bind(2, account).bind(3, std::int64_t{r.status}).bind(4, r.article_id);
    p.bind(5, r.fail_idx).bind(6, r.source).bind(7, now).run();
    impl_->exec("COMMIT");
  } catch (...) {
    impl_->exec("ROLLBACK");
    throw;
  }
  return account;
}

std::vector<publish_result> state_store::publish_results(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  std::vector<publish_result> out;
  stmt q(impl_->db,
         "SELECT publish_id, publish_status, article_id, fail_idx, source, received_at FROM publish_results "
         "WHERE account = ? ORDER BY received_at, rowid",
         impl_->path);
  q.bind(1, account);
  while (q.step()) {
    publish_result r;
    r.publish_id = q.text(0), r.status = static_cast<int>(q.i64(1)), r.article_id = q.text(2);
    r.fail_idx = q.text(3), r.source = q.text(4), r.received_at = q.i64(5);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> state_store::unsettled_publishes(std::int64_t submitted_at_most) {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::string, std::string>> out;
  stmt q(impl_->db,
         "SELECT account, publish_id FROM drafts WHERE status IN ('submitted', 'publishing') AND publish_id != '' "
         "AND updated_at <= ? ORDER BY updated_at, rowid",
         impl_->path);
  q.bind(1, submitted_at_most);
  while (q.step()) out.emplace_back(q.text(0), q.text(1));
  return out;
}

void state_store::touch_publish(std::string_view publish_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "UPDATE drafts SET updated_at = ? WHERE publish_id = ?", impl_->path);
  q.bind(1, now_s()).bind(2, publish_id).run();
}

std::vector<draft_record> state_store::drafts(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  std::vector<draft_record> out;
  stmt q(impl_->db,
         "SELECT media_id, account, issue_id, status, publish_id FROM drafts WHERE account = ? ORDER BY created_at, rowid",
         impl_->path);
  q.bind(1, account);
  while (q.step()) {
    draft_record d;
    d.media_id = q.text(0), d.account = q.text(1), d.issue_id = q.text(2), d.status = q.text(3);
    d.publish_id = q.text(4);
    out.push_back(std::move(d));
  }
  for (auto& d : out) {
    stmt a(impl_->db,
           "SELECT article_id, content_sha256, part, parts FROM pushed WHERE media_id = ? ORDER BY position",
           impl_->path);
    a.bind(1, d.media_id);
    while (a.step()) {
      d.articles.push_back({a.text(0), a.text(1), static_cast<std::size_t>(a.i64(2)), static_cast<std::size_t>(a.i64(3))});
    }
  }
  return out;
}

void state_store::mark_ambiguous(std::string_view account, std::string_view key) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "INSERT OR IGNORE INTO ambiguous (account, draft_key, since) VALUES (?,?,?)", impl_->path);
  q.bind(1, account).bind(2, key).bind(3, now_s()).run();
}

bool state_store::is_ambiguous(std::string_view account, std::string_view key) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "SELECT 1 FROM ambiguous WHERE account = ? AND draft_key = ?", impl_->path);
  q.bind(1, account).bind(2, key);
  return q.step();
}

void state_store::clear_ambiguous(std::string_view account, std::string_view key) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "DELETE FROM ambiguous WHERE account = ? AND draft_key = ?", impl_->path);
  q.bind(1, account).bind(2, key).run();
}

void state_store::store_article(const syndication::v1::Article& a, std::string_view html,
                                const std::vector<std::string>& accounts) {
  const std::lock_guard lock(impl_->mu);
  const auto now = now_s();
  impl_->transaction([&] { impl_->store_one(a, html, accounts, now); });
}

void state_store::store_articles(const std::vector<article_to_store>& items) {
  if (items.empty()) return;
  const std::lock_guard lock(impl_->mu);
  const auto now = now_s();
  impl_->transaction([&] {
    for (const auto& it : items) impl_->store_one(*it.article, it.html, it.accounts, now);
  });
}

void state_store::hold(std::string_view account, std::string_view source,
                       const std::vector<const syndication::v1::Article*>& articles) {
  if (articles.empty()) return;
  const std::lock_guard lock(impl_->mu);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  impl_->transaction([&] {
    for (const auto* a : articles) {
      // The first arrival keeps its time (the grace window runs from it); a newer revision of an
      // article held replaces the older one. Held again without a batch record of its issue (an
      // incomplete issue re-examined), the group keeps the partition it came from.
      stmt q(impl_->db,
             "INSERT INTO held (account, issue_id, article_id, content_sha256, since_ms, source, article) "
             "VALUES (?,?,?,?,?,?,?) ON CONFLICT(account, issue_id, article_id) DO UPDATE SET "
             "content_sha256=excluded.content_sha256, article=excluded.article, "
             "source=CASE excluded.source WHEN '' THEN held.source ELSE excluded.source END",
             impl_->path);
      q.bind(1, account).bind(2, a->issue_id()).bind(3, a->id()).bind(4, a->content_sha256());
      q.bind(5, static_cast<std::int64_t>(now)).bind(6, source).bind_blob(7, a->SerializeAsString()).run();
    }
  });
}

std::vector<syndication::v1::Article> state_store::held(std::string_view account, std::string_view issue_id) {
  const std::lock_guard lock(impl_->mu);
  std::vector<syndication::v1::Article> out;
  stmt q(impl_->db, "SELECT article FROM held WHERE account = ? AND issue_id = ? ORDER BY article_id", impl_->path);
  q.bind(1, account).bind(2, issue_id);
  while (q.step()) {
    out.emplace_back();
    (void)out.back().ParseFromString(q.blob(0));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> state_store::held_groups(std::int64_t since_ms_at_most) {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::string, std::string>> out;
  stmt q(impl_->db,
         "SELECT account, issue_id FROM held GROUP BY account, issue_id HAVING MIN(since_ms) <= ? "
         "ORDER BY MIN(since_ms)",
         impl_->path);
  q.bind(1, since_ms_at_most);
  while (q.step()) out.emplace_back(q.text(0), q.text(1));
  return out;
}

std::vector<std::pair<std::string, std::string>> state_store::held_groups_from(std::string_view source) {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::string, std::string>> out;
  stmt q(impl_->db, "SELECT DISTINCT account, issue_id FROM held WHERE source = ?", impl_->path);
  q.bind(1, source);
  while (q.step()) out.emplace_back(q.text(0), q.text(1));
  return out;
}

void state_store::release(std::string_view account, std::string_view issue_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "DELETE FROM held WHERE account = ? AND issue_id = ?", impl_->path);
  q.bind(1, account).bind(2, issue_id).run();
}

std::optional<article_page> state_store::page(std::string_view article_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "SELECT id, content_sha256, html, revision, updated_at, article FROM articles WHERE id = ?",
         impl_->path);
  q.bind(1, article_id);
  if (!q.step()) return std::nullopt;
  article_page p;
  p.article_id = q.text(0), p.content_sha256 = q.text(1), p.html = q.text(2);
  p.revision = static_cast<int>(q.i64(3)), p.updated_at = q.i64(4);
  (void)p.article.ParseFromString(q.blob(5));
  return p;
}

std::optional<std::pair<std::string, int>> state_store::article_version(std::string_view article_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "SELECT content_sha256, revision FROM articles WHERE id = ?", impl_->path);
  q.bind(1, article_id);
  if (!q.step()) return std::nullopt;
  return std::make_pair(q.text(0), static_cast<int>(q.i64(1)));
}

std::size_t state_store::issue_articles(std::string_view account, std::string_view issue_id,
                                       std::string_view language) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db,
         "SELECT count(*) FROM articles a JOIN feed_entries f ON f.article_id = a.id AND f.account = ? "
         "WHERE a.issue_id = ? AND a.language = ?",
         impl_->path);
  q.bind(1, account).bind(2, issue_id).bind(3, language);
  return q.step() ? static_cast<std::size_t>(q.i64(0)) : 0;
}

std::vector<feed_entry> state_store::feed(std::string_view account, int limit) {
  const std::lock_guard lock(impl_->mu);
  std::vector<feed_entry> out;
  stmt q(impl_->db,
         "SELECT a.id, a.headline, a.kicker, a.summary, a.issue_id, a.issue_date, a.paper, a.language, a.sequence, "
         "a.page, a.updated_at, a.revision FROM feed_entries f JOIN articles a ON a.id = f.article_id "
         "WHERE f.account = ? ORDER BY f.issue_date DESC, f.sequence ASC, a.id ASC LIMIT ?",
         impl_->path);
  q.bind(1, account).bind(2, static_cast<std::int64_t>(limit));
  while (q.step()) {
    feed_entry e;
    e.article_id = q.text(0), e.headline = q.text(1), e.kicker = q.text(2), e.summary = q.text(3);
    e.issue_id = q.text(4), e.issue_date = q.text(5), e.paper = q.text(6), e.language = q.text(7);
    e.sequence = static_cast<std::uint32_t>(q.i64(8)), e.page = static_cast<std::uint32_t>(q.i64(9));
    e.updated_at = q.i64(10), e.revision = static_cast<int>(q.i64(11));
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> state_store::feed_accounts() {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  stmt q(impl_->db, "SELECT DISTINCT account FROM feed_entries ORDER BY account", impl_->path);
  while (q.step()) out.push_back(q.text(0));
  return out;
}

// ---- WeChat account state ----

void state_store::pause_quota(const quota_pause& p) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db,
         "INSERT OR REPLACE INTO quota_pauses (account, api, until_ms, errcode, reason, since_ms) VALUES (?,?,?,?,?,?)",
         impl_->path);
  q.bind(1, p.account).bind(2, p.api).bind(3, p.until_ms).bind(4, std::int64_t{p.errcode}).bind(5, p.reason);
  q.bind(6, p.since_ms).run();
}

std::vector<state_store::quota_pause> state_store::quota_pauses(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  std::vector<quota_pause> out;
  stmt q(impl_->db,
         "SELECT account, api, until_ms, errcode, reason, since_ms FROM quota_pauses WHERE ? = '' OR account = ? "
         "ORDER BY account, api",
         impl_->path);
  q.bind(1, account).bind(2, account);
  while (q.step()) {
    out.push_back({q.text(0), q.text(1), q.i64(2), static_cast<int>(q.i64(3)), q.text(4), q.i64(5)});
  }
  return out;
}

std::size_t state_store::clear_quota_pauses(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "DELETE FROM quota_pauses WHERE account = ?", impl_->path);
  q.bind(1, account).run();
  return static_cast<std::size_t>(sqlite3_changes(impl_->db));
}

void state_store::count_calls(std::string_view account, std::string_view api, std::string_view day, std::uint64_t ok,
                              std::uint64_t refused) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db,
         "INSERT INTO api_calls (account, api, day, ok, refused) VALUES (?,?,?,?,?) ON CONFLICT(account, api, day) "
         "DO UPDATE SET ok = ok + excluded.ok, refused = refused + excluded.refused",
         impl_->path);
  q.bind(1, account).bind(2, api).bind(3, day).bind(4, static_cast<std::int64_t>(ok)).bind(5, static_cast<std::int64_t>(refused));
  q.run();
}

std::vector<state_store::call_count> state_store::calls_on(std::string_view account, std::string_view day) {
  const std::lock_guard lock(impl_->mu);
  std::vector<call_count> out;
  stmt q(impl_->db, "SELECT api, ok, refused FROM api_calls WHERE account = ? AND day = ? ORDER BY api", impl_->path);
  q.bind(1, account).bind(2, day);
  while (q.step()) {
    out.push_back({q.text(0), static_cast<std::uint64_t>(q.i64(1)), static_cast<std::uint64_t>(q.i64(2))});
  }
  return out;
}

void state_store::note_error(std::string_view account, std::string_view message) {
  const std::lock_guard lock(impl_->mu);
  impl_->transaction([&] {
    stmt q(impl_->db, "INSERT INTO account_errors (account, at, message) VALUES (?,?,?)", impl_->path);
    q.bind(1, account).bind(2, now_s()).bind(3, message).run();
    // Only the last few are shown: keep 20 per account.
    stmt d(impl_->db,
           "DELETE FROM account_errors WHERE account = ? AND rowid NOT IN (SELECT rowid FROM account_errors WHERE "
           "account = ? ORDER BY at DESC, rowid DESC LIMIT 20)",
           impl_->path);
    d.bind(1, account).bind(2, account).run();
  });
}

std::vector<std::pair<std::int64_t, std::string>> state_store::last_errors(std::string_view account, int n) {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::int64_t, std::string>> out;
  stmt q(impl_->db, "SELECT at, message FROM account_errors WHERE account = ? ORDER BY at DESC, rowid DESC LIMIT ?",
         impl_->path);
  q.bind(1, account).bind(2, std::int64_t{n});
  while (q.step()) out.emplace_back(q.i64(0), q.text(1));
  return out;
}

std::optional<std::string> state_store::app_cover(std::string_view app_id, std::string_view image_sha256) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "SELECT media_id FROM app_covers WHERE app_id = ? AND image_sha256 = ?", impl_->path);
  q.bind(1, app_id).bind(2, image_sha256);
  if (!q.step()) return std::nullopt;
  return q.text(0);
}

void state_store::store_app_cover(std::string_view app_id, std::string_view image_sha256, std::string_view media_id,
                                  std::string_view url) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db,
         "INSERT OR REPLACE INTO app_covers (app_id, image_sha256, media_id, url, created_at) VALUES (?,?,?,?,?)",
         impl_->path);
  q.bind(1, app_id).bind(2, image_sha256).bind(3, media_id).bind(4, url).bind(5, now_s()).run();
}

void state_store::forget_app_cover(std::string_view app_id, std::string_view media_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "DELETE FROM app_covers WHERE app_id = ? AND media_id = ?", impl_->path);
  q.bind(1, app_id).bind(2, media_id).run();
}

std::optional<std::string> state_store::remember_app_id(std::string_view account, std::string_view app_id) {
  const std::lock_guard lock(impl_->mu);
  std::optional<std::string> before;
  {
    stmt q(impl_->db, "SELECT app_id FROM account_apps WHERE account = ?", impl_->path);
    q.bind(1, account);
    if (q.step() && q.text(0) != app_id) before = q.text(0);
  }
  stmt u(impl_->db,
         "INSERT INTO account_apps (account, app_id, seen_at) VALUES (?,?,?) ON CONFLICT(account) DO UPDATE SET "
         "app_id = excluded.app_id, seen_at = excluded.seen_at",
         impl_->path);
  u.bind(1, account).bind(2, app_id).bind(3, now_s()).run();
  return before;
}

std::vector<draft_record> state_store::drafts_waiting(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  std::vector<draft_record> out;
  stmt q(impl_->db,
         "SELECT media_id, account, issue_id, status, publish_id FROM drafts WHERE account = ? AND status = 'added' "
         "ORDER BY created_at, rowid",
         impl_->path);
  q.bind(1, account);
  while (q.step()) out.push_back(draft_row(q));
  impl_->fill_articles(out);
  return out;
}

void state_store::mark_submit_intent(std::string_view media_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "INSERT OR IGNORE INTO submit_intents (media_id, since) VALUES (?,?)", impl_->path);
  q.bind(1, media_id).bind(2, now_s()).run();
}

bool state_store::submit_intent(std::string_view media_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "SELECT 1 FROM submit_intents WHERE media_id = ?", impl_->path);
  q.bind(1, media_id);
  return q.step();
}

void state_store::clear_submit_intent(std::string_view media_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "DELETE FROM submit_intents WHERE media_id = ?", impl_->path);
  q.bind(1, media_id).run();
}

void state_store::set_draft_status(std::string_view media_id, std::string_view status, std::string_view publish_id) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db,
         "UPDATE drafts SET status = ?, publish_id = CASE ? WHEN '' THEN publish_id ELSE ? END, updated_at = ? "
         "WHERE media_id = ?",
         impl_->path);
  q.bind(1, status).bind(2, publish_id).bind(3, publish_id).bind(4, now_s()).bind(5, media_id).run();
}

std::size_t state_store::forget_pushed(std::string_view account, std::string_view article_id) {
  const std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  impl_->transaction([&] {
    stmt q(impl_->db, "DELETE FROM pushed WHERE account = ? AND article_id = ?", impl_->path);
    q.bind(1, account).bind(2, article_id).run();
    n = static_cast<std::size_t>(sqlite3_changes(impl_->db));
    stmt s(impl_->db, "DELETE FROM superseded WHERE account = ? AND article_id = ?", impl_->path);
    s.bind(1, account).bind(2, article_id).run();
  });
  return n;
}

void state_store::log_action(std::string_view what, std::string_view account, std::string_view detail) {
  const std::lock_guard lock(impl_->mu);
  stmt q(impl_->db, "INSERT INTO operator_actions (at, action, account, detail) VALUES (?,?,?,?)", impl_->path);
  q.bind(1, now_s()).bind(2, what).bind(3, account).bind(4, detail).run();
}

std::vector<state_store::operator_action> state_store::actions(int limit) {
  const std::lock_guard lock(impl_->mu);
  std::vector<operator_action> out;
  stmt q(impl_->db, "SELECT at, action, account, detail FROM operator_actions ORDER BY at DESC, rowid DESC LIMIT ?",
         impl_->path);
  q.bind(1, std::int64_t{limit});
  while (q.step()) out.push_back({q.i64(0), q.text(1), q.text(2), q.text(3)});
  return out;
}

}  // namespace syn::feed
