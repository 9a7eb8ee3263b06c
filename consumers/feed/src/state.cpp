#include "syn/feed/state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "syn/core/log.hpp"
#include "syn/core/sql.hpp"

namespace syn::feed {
namespace {

// The SQLite schema, as it always was (a db of an older version opens as it is).
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
CREATE TABLE IF NOT EXISTS app_images (
  app_id       TEXT NOT NULL,
  image_sha256 TEXT NOT NULL,
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

// The same schema on PostgreSQL: BIGINT for INTEGER, BYTEA for BLOB, and a `seq` identity column
// where SQLite orders by rowid (drafts, publish results, errors, operator actions). Created under
// an advisory lock, so that instances starting together create it once.
constexpr const char* schema_postgres = R"sql(
SELECT pg_advisory_xact_lock(8315161358823240497);
CREATE TABLE IF NOT EXISTS pushed (
  account        TEXT NOT NULL,
  article_id     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  media_id       TEXT NOT NULL,
  part           BIGINT NOT NULL DEFAULT 1,
  parts          BIGINT NOT NULL DEFAULT 1,
  position       BIGINT NOT NULL DEFAULT 0,
  pushed_at      BIGINT NOT NULL,
  PRIMARY KEY (account, article_id, content_sha256, part)
);
CREATE INDEX IF NOT EXISTS pushed_media ON pushed (media_id, position);
CREATE TABLE IF NOT EXISTS drafts (
  media_id     TEXT PRIMARY KEY,
  account      TEXT NOT NULL,
  app_id       TEXT NOT NULL,
  issue_id     TEXT NOT NULL,
  status       TEXT NOT NULL,
  publish_id   TEXT NOT NULL DEFAULT '',
  msg_data_id  TEXT NOT NULL DEFAULT '',
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  seq          BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX IF NOT EXISTS drafts_account ON drafts (account, created_at);
CREATE INDEX IF NOT EXISTS drafts_publish ON drafts (publish_id);
CREATE TABLE IF NOT EXISTS publish_results (
  publish_id     TEXT PRIMARY KEY,
  account        TEXT NOT NULL,
  publish_status BIGINT NOT NULL,
  article_id     TEXT NOT NULL DEFAULT '',
  fail_idx       TEXT NOT NULL DEFAULT '',
  source         TEXT NOT NULL,
  received_at    BIGINT NOT NULL,
  seq            BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE TABLE IF NOT EXISTS superseded (
  account        TEXT NOT NULL,
  article_id     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  at             BIGINT NOT NULL,
  PRIMARY KEY (account, article_id, content_sha256)
);
CREATE TABLE IF NOT EXISTS ambiguous (
  account   TEXT NOT NULL,
  draft_key TEXT NOT NULL,
  since     BIGINT NOT NULL,
  PRIMARY KEY (account, draft_key)
);
CREATE TABLE IF NOT EXISTS articles (
  id             TEXT PRIMARY KEY,
  content_sha256 TEXT NOT NULL,
  issue_id       TEXT NOT NULL,
  issue_date     TEXT NOT NULL,
  paper          TEXT NOT NULL,
  language       TEXT NOT NULL,
  sequence       BIGINT NOT NULL,
  page           BIGINT NOT NULL,
  headline       TEXT NOT NULL,
  kicker         TEXT NOT NULL,
  summary        TEXT NOT NULL,
  revision       BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  article        BYTEA NOT NULL,
  html           TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS held (
  account        TEXT NOT NULL,
  issue_id       TEXT NOT NULL,
  article_id     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  since_ms       BIGINT NOT NULL,
  source         TEXT NOT NULL,
  article        BYTEA NOT NULL,
  PRIMARY KEY (account, issue_id, article_id)
);
CREATE TABLE IF NOT EXISTS article_hashes (
  article_id     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  revision       BIGINT NOT NULL,
  PRIMARY KEY (article_id, content_sha256)
);
CREATE TABLE IF NOT EXISTS feed_entries (
  account    TEXT NOT NULL,
  article_id TEXT NOT NULL,
  issue_date TEXT NOT NULL,
  sequence   BIGINT NOT NULL,
  added_at   BIGINT NOT NULL,
  PRIMARY KEY (account, article_id)
);
CREATE INDEX IF NOT EXISTS feed_order ON feed_entries (account, issue_date DESC, sequence ASC);
CREATE INDEX IF NOT EXISTS articles_issue ON articles (issue_id, language);
CREATE TABLE IF NOT EXISTS quota_pauses (
  account  TEXT NOT NULL,
  api      TEXT NOT NULL,
  until_ms BIGINT NOT NULL,
  errcode  BIGINT NOT NULL,
  reason   TEXT NOT NULL,
  since_ms BIGINT NOT NULL,
  PRIMARY KEY (account, api)
);
CREATE TABLE IF NOT EXISTS api_calls (
  account TEXT NOT NULL,
  api     TEXT NOT NULL,
  day     TEXT NOT NULL,
  ok      BIGINT NOT NULL DEFAULT 0,
  refused BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (account, api, day)
);
CREATE TABLE IF NOT EXISTS account_errors (
  account TEXT NOT NULL,
  at      BIGINT NOT NULL,
  message TEXT NOT NULL,
  seq     BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX IF NOT EXISTS account_errors_by ON account_errors (account, at);
CREATE TABLE IF NOT EXISTS app_covers (
  app_id       TEXT NOT NULL,
  image_sha256 TEXT NOT NULL,
  media_id     TEXT NOT NULL,
  url          TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (app_id, image_sha256)
);
CREATE TABLE IF NOT EXISTS app_images (
  app_id       TEXT NOT NULL,
  image_sha256 TEXT NOT NULL,
  url          TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (app_id, image_sha256)
);
CREATE TABLE IF NOT EXISTS account_apps (
  account TEXT PRIMARY KEY,
  app_id  TEXT NOT NULL,
  seen_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS submit_intents (
  media_id TEXT PRIMARY KEY,
  since    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS operator_actions (
  at      BIGINT NOT NULL,
  action  TEXT NOT NULL,
  account TEXT NOT NULL,
  detail  TEXT NOT NULL,
  seq     BIGINT GENERATED ALWAYS AS IDENTITY
);
)sql";

/// The writer lock of a PostgreSQL state (lock_writer()): a session advisory lock, the bytes of
/// "synfeedw". Instances on any host share it the way instances on one host share the flock.
constexpr std::int64_t pg_writer_lock_key = 8315161358823240567;

/// The statements, by index into `texts` below.
enum class q : std::size_t {
  pushed_exists,
  superseded_exists,
  superseded_mark,
  pushed_revisions,
  pushed_media,
  draft_by_media,
  draft_insert,
  pushed_insert,
  ambiguous_delete,
  draft_submitted,
  draft_account_by_publish,
  draft_status_by_publish,
  publish_result_upsert,
  publish_results_of,
  unsettled,
  touch_publish,
  drafts_of,
  draft_articles,
  ambiguous_mark,
  ambiguous_exists,
  article_head,
  hash_insert,
  hash_exists,
  article_upsert,
  feed_entry_upsert,
  held_upsert,
  held_of,
  held_groups,
  held_groups_from,
  held_release,
  page,
  issue_articles,
  feed,
  feed_accounts,
  quota_pause_upsert,
  quota_pauses,
  quota_clear,
  count_calls,
  calls_on,
  error_insert,
  error_trim,
  last_errors,
  app_cover,
  app_cover_upsert,
  app_cover_forget,
  app_image,
  app_image_upsert,
  account_app_get,
  account_app_upsert,
  drafts_waiting,
  submit_intent_mark,
  submit_intent_exists,
  submit_intent_clear,
  draft_set_status,
  pushed_forget,
  superseded_forget,
  action_insert,
  actions,
  writer_try_lock,
  writer_unlock,
  count_,
};

/// One statement: its SQLite text and, where PostgreSQL's differs, that one (empty: the same).
struct text_pair {
  q id;
  std::string_view sqlite;
  std::string_view postgres;
};

// SQLite keeps its statements as they were (INSERT OR REPLACE, rowid order); PostgreSQL gets the
// ON CONFLICT and `seq` equivalents.
constexpr text_pair texts[] = {
    {q::pushed_exists,
     "SELECT 1 FROM pushed WHERE account = $1 AND article_id = $2 AND content_sha256 = $3 LIMIT 1",
     {}},
    {q::superseded_exists,
     "SELECT 1 FROM superseded WHERE account = $1 AND article_id = $2 AND content_sha256 = $3",
     {}},
    {q::superseded_mark,
     "INSERT OR IGNORE INTO superseded (account, article_id, content_sha256, at) VALUES ($1,$2,$3,$4)",
     "INSERT INTO superseded (account, article_id, content_sha256, at) VALUES ($1,$2,$3,$4) ON CONFLICT DO "
     "NOTHING"},
    {q::pushed_revisions,
     "SELECT COUNT(DISTINCT content_sha256) FROM pushed WHERE account = $1 AND article_id = $2",
     {}},
    {q::pushed_media,
     "SELECT media_id FROM pushed WHERE account = $1 AND article_id = $2 AND content_sha256 = $3 LIMIT 1",
     {}},
    {q::draft_by_media,
     "SELECT media_id, account, issue_id, status, publish_id FROM drafts WHERE media_id = $1",
     {}},
    {q::draft_insert,
     "INSERT OR REPLACE INTO drafts (media_id, account, app_id, issue_id, status, publish_id, created_at, "
     "updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
     "INSERT INTO drafts (media_id, account, app_id, issue_id, status, publish_id, created_at, updated_at) "
     "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (media_id) DO UPDATE SET account = excluded.account, "
     "app_id = excluded.app_id, issue_id = excluded.issue_id, status = excluded.status, "
     "publish_id = excluded.publish_id, msg_data_id = '', created_at = excluded.created_at, "
     "updated_at = excluded.updated_at"},
    {q::pushed_insert,
     "INSERT OR REPLACE INTO pushed (account, article_id, content_sha256, media_id, part, parts, position, "
     "pushed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
     "INSERT INTO pushed (account, article_id, content_sha256, media_id, part, parts, position, pushed_at) "
     "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (account, article_id, content_sha256, part) DO UPDATE SET "
     "media_id = excluded.media_id, parts = excluded.parts, position = excluded.position, "
     "pushed_at = excluded.pushed_at"},
    {q::ambiguous_delete, "DELETE FROM ambiguous WHERE account = $1 AND draft_key = $2", {}},
    {q::draft_submitted,
     "UPDATE drafts SET status = 'submitted', publish_id = $1, msg_data_id = $2, updated_at = $3 WHERE "
     "media_id = $4",
     {}},
    {q::draft_account_by_publish,
     "SELECT account FROM drafts WHERE publish_id = $1 AND publish_id != ''",
     {}},
    {q::draft_status_by_publish, "UPDATE drafts SET status = $1, updated_at = $2 WHERE publish_id = $3", {}},
    {q::publish_result_upsert,
     "INSERT OR REPLACE INTO publish_results (publish_id, account, publish_status, article_id, fail_idx, "
     "source, "
     "received_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
     "INSERT INTO publish_results (publish_id, account, publish_status, article_id, fail_idx, source, "
     "received_at) "
     "VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (publish_id) DO UPDATE SET account = excluded.account, "
     "publish_status = excluded.publish_status, article_id = excluded.article_id, fail_idx = "
     "excluded.fail_idx, "
     "source = excluded.source, received_at = excluded.received_at"},
    {q::publish_results_of,
     "SELECT publish_id, publish_status, article_id, fail_idx, source, received_at FROM publish_results "
     "WHERE account = $1 ORDER BY received_at, rowid",
     "SELECT publish_id, publish_status, article_id, fail_idx, source, received_at FROM publish_results "
     "WHERE account = $1 ORDER BY received_at, seq"},
    {q::unsettled,
     "SELECT account, publish_id FROM drafts WHERE status IN ('submitted', 'publishing') AND publish_id != "
     "'' "
     "AND updated_at <= $1 ORDER BY updated_at, rowid",
     "SELECT account, publish_id FROM drafts WHERE status IN ('submitted', 'publishing') AND publish_id != "
     "'' "
     "AND updated_at <= $1 ORDER BY updated_at, seq"},
    {q::touch_publish, "UPDATE drafts SET updated_at = $1 WHERE publish_id = $2", {}},
    {q::drafts_of,
     "SELECT media_id, account, issue_id, status, publish_id FROM drafts WHERE account = $1 ORDER BY "
     "created_at, rowid",
     "SELECT media_id, account, issue_id, status, publish_id FROM drafts WHERE account = $1 ORDER BY "
     "created_at, seq"},
    {q::draft_articles,
     "SELECT article_id, content_sha256, part, parts FROM pushed WHERE media_id = $1 ORDER BY position",
     {}},
    {q::ambiguous_mark, "INSERT OR IGNORE INTO ambiguous (account, draft_key, since) VALUES ($1,$2,$3)",
     "INSERT INTO ambiguous (account, draft_key, since) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING"},
    {q::ambiguous_exists, "SELECT 1 FROM ambiguous WHERE account = $1 AND draft_key = $2", {}},
    {q::article_head, "SELECT content_sha256, revision FROM articles WHERE id = $1", {}},
    {q::hash_insert,
     "INSERT OR IGNORE INTO article_hashes (article_id, content_sha256, revision) VALUES ($1,$2,$3)",
     "INSERT INTO article_hashes (article_id, content_sha256, revision) VALUES ($1,$2,$3) ON CONFLICT DO "
     "NOTHING"},
    {q::hash_exists, "SELECT 1 FROM article_hashes WHERE article_id = $1 AND content_sha256 = $2", {}},
    {q::article_upsert,
     "INSERT INTO articles (id, content_sha256, issue_id, issue_date, paper, language, sequence, page, "
     "headline, kicker, summary, revision, updated_at, article, html) "
     "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT(id) DO UPDATE SET "
     "content_sha256=excluded.content_sha256, issue_id=excluded.issue_id, issue_date=excluded.issue_date, "
     "paper=excluded.paper, language=excluded.language, sequence=excluded.sequence, page=excluded.page, "
     "headline=excluded.headline, kicker=excluded.kicker, summary=excluded.summary, "
     "revision=excluded.revision, updated_at=excluded.updated_at, article=excluded.article, "
     "html=excluded.html",
     {}},
    {q::feed_entry_upsert,
     "INSERT INTO feed_entries (account, article_id, issue_date, sequence, added_at) VALUES ($1,$2,$3,$4,$5) "
     "ON CONFLICT(account, article_id) DO UPDATE SET issue_date=excluded.issue_date, "
     "sequence=excluded.sequence",
     {}},
    // The first arrival keeps its time (the grace window runs from it); a newer revision of an
    // article held replaces the older one. Held again without a batch record of its issue (an
    // incomplete issue re-examined), the group keeps the partition it came from.
    {q::held_upsert,
     "INSERT INTO held (account, issue_id, article_id, content_sha256, since_ms, source, article) "
     "VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(account, issue_id, article_id) DO UPDATE SET "
     "content_sha256=excluded.content_sha256, article=excluded.article, "
     "source=CASE excluded.source WHEN '' THEN held.source ELSE excluded.source END",
     {}},
    {q::held_of, "SELECT article FROM held WHERE account = $1 AND issue_id = $2 ORDER BY article_id", {}},
    {q::held_groups,
     "SELECT account, issue_id FROM held GROUP BY account, issue_id HAVING MIN(since_ms) <= $1 ORDER BY "
     "MIN(since_ms)",
     {}},
    {q::held_groups_from, "SELECT DISTINCT account, issue_id FROM held WHERE source = $1", {}},
    {q::held_release, "DELETE FROM held WHERE account = $1 AND issue_id = $2", {}},
    {q::page,
     "SELECT id, content_sha256, html, revision, updated_at, article FROM articles WHERE id = $1",
     {}},
    {q::issue_articles,
     "SELECT count(*) FROM articles a JOIN feed_entries f ON f.article_id = a.id AND f.account = $1 "
     "WHERE a.issue_id = $2 AND a.language = $3",
     {}},
    {q::feed,
     "SELECT a.id, a.headline, a.kicker, a.summary, a.issue_id, a.issue_date, a.paper, a.language, "
     "a.sequence, "
     "a.page, a.updated_at, a.revision FROM feed_entries f JOIN articles a ON a.id = f.article_id "
     "WHERE f.account = $1 ORDER BY f.issue_date DESC, f.sequence ASC, a.id ASC LIMIT $2",
     {}},
    {q::feed_accounts, "SELECT DISTINCT account FROM feed_entries ORDER BY account", {}},
    {q::quota_pause_upsert,
     "INSERT OR REPLACE INTO quota_pauses (account, api, until_ms, errcode, reason, since_ms) VALUES "
     "($1,$2,$3,$4,$5,$6)",
     "INSERT INTO quota_pauses (account, api, until_ms, errcode, reason, since_ms) VALUES "
     "($1,$2,$3,$4,$5,$6) "
     "ON CONFLICT (account, api) DO UPDATE SET until_ms = excluded.until_ms, errcode = excluded.errcode, "
     "reason = excluded.reason, since_ms = excluded.since_ms"},
    {q::quota_pauses,
     "SELECT account, api, until_ms, errcode, reason, since_ms FROM quota_pauses WHERE $1 = '' OR account = "
     "$2 "
     "ORDER BY account, api",
     "SELECT account, api, until_ms, errcode, reason, since_ms FROM quota_pauses WHERE $1::text = '' "
     "OR account = $2 ORDER BY account, api"},
    {q::quota_clear, "DELETE FROM quota_pauses WHERE account = $1", {}},
    {q::count_calls,
     "INSERT INTO api_calls (account, api, day, ok, refused) VALUES ($1,$2,$3,$4,$5) ON CONFLICT(account, "
     "api, day) "
     "DO UPDATE SET ok = ok + excluded.ok, refused = refused + excluded.refused",
     "INSERT INTO api_calls (account, api, day, ok, refused) VALUES ($1,$2,$3,$4,$5) ON CONFLICT(account, "
     "api, day) "
     "DO UPDATE SET ok = api_calls.ok + excluded.ok, refused = api_calls.refused + excluded.refused"},
    {q::calls_on, "SELECT api, ok, refused FROM api_calls WHERE account = $1 AND day = $2 ORDER BY api", {}},
    {q::error_insert, "INSERT INTO account_errors (account, at, message) VALUES ($1,$2,$3)", {}},
    // Only the last few are shown: keep 20 per account.
    {q::error_trim,
     "DELETE FROM account_errors WHERE account = $1 AND rowid NOT IN (SELECT rowid FROM account_errors WHERE "
     "account = $2 ORDER BY at DESC, rowid DESC LIMIT 20)",
     "DELETE FROM account_errors WHERE account = $1 AND seq NOT IN (SELECT seq FROM account_errors WHERE "
     "account = $2 ORDER BY at DESC, seq DESC LIMIT 20)"},
    {q::last_errors,
     "SELECT at, message FROM account_errors WHERE account = $1 ORDER BY at DESC, rowid DESC LIMIT $2",
     "SELECT at, message FROM account_errors WHERE account = $1 ORDER BY at DESC, seq DESC LIMIT $2"},
    {q::app_cover, "SELECT media_id FROM app_covers WHERE app_id = $1 AND image_sha256 = $2", {}},
    {q::app_cover_upsert,
     "INSERT OR REPLACE INTO app_covers (app_id, image_sha256, media_id, url, created_at) VALUES "
     "($1,$2,$3,$4,$5)",
     "INSERT INTO app_covers (app_id, image_sha256, media_id, url, created_at) VALUES ($1,$2,$3,$4,$5) "
     "ON CONFLICT (app_id, image_sha256) DO UPDATE SET media_id = excluded.media_id, url = excluded.url, "
     "created_at = excluded.created_at"},
    {q::app_cover_forget, "DELETE FROM app_covers WHERE app_id = $1 AND media_id = $2", {}},
    {q::app_image, "SELECT url FROM app_images WHERE app_id = $1 AND image_sha256 = $2", {}},
    {q::app_image_upsert,
     "INSERT INTO app_images (app_id, image_sha256, url, created_at) VALUES ($1,$2,$3,$4) "
     "ON CONFLICT (app_id, image_sha256) DO UPDATE SET url = excluded.url, created_at = excluded.created_at",
     {}},
    {q::account_app_get, "SELECT app_id FROM account_apps WHERE account = $1", {}},
    {q::account_app_upsert,
     "INSERT INTO account_apps (account, app_id, seen_at) VALUES ($1,$2,$3) ON CONFLICT(account) DO UPDATE "
     "SET "
     "app_id = excluded.app_id, seen_at = excluded.seen_at",
     {}},
    {q::drafts_waiting,
     "SELECT media_id, account, issue_id, status, publish_id FROM drafts WHERE account = $1 AND status = "
     "'added' "
     "ORDER BY created_at, rowid",
     "SELECT media_id, account, issue_id, status, publish_id FROM drafts WHERE account = $1 AND status = "
     "'added' "
     "ORDER BY created_at, seq"},
    {q::submit_intent_mark, "INSERT OR IGNORE INTO submit_intents (media_id, since) VALUES ($1,$2)",
     "INSERT INTO submit_intents (media_id, since) VALUES ($1,$2) ON CONFLICT DO NOTHING"},
    {q::submit_intent_exists, "SELECT 1 FROM submit_intents WHERE media_id = $1", {}},
    {q::submit_intent_clear, "DELETE FROM submit_intents WHERE media_id = $1", {}},
    {q::draft_set_status,
     "UPDATE drafts SET status = $1, publish_id = CASE $2 WHEN '' THEN publish_id ELSE $3 END, updated_at = "
     "$4 "
     "WHERE media_id = $5",
     "UPDATE drafts SET status = $1, publish_id = CASE $2::text WHEN '' THEN publish_id ELSE $3::text END, "
     "updated_at = $4 WHERE media_id = $5"},
    {q::pushed_forget, "DELETE FROM pushed WHERE account = $1 AND article_id = $2", {}},
    {q::superseded_forget, "DELETE FROM superseded WHERE account = $1 AND article_id = $2", {}},
    {q::action_insert, "INSERT INTO operator_actions (at, action, account, detail) VALUES ($1,$2,$3,$4)", {}},
    {q::actions,
     "SELECT at, action, account, detail FROM operator_actions ORDER BY at DESC, rowid DESC LIMIT $1",
     "SELECT at, action, account, detail FROM operator_actions ORDER BY at DESC, seq DESC LIMIT $1"},
    {q::writer_try_lock, {}, "SELECT CASE WHEN pg_try_advisory_lock($1) THEN 1 ELSE 0 END"},
    {q::writer_unlock, {}, "SELECT pg_advisory_unlock($1)"},
};

static_assert(std::size(texts) == static_cast<std::size_t>(q::count_), "one text per statement");

sql::statements statements_for(bool postgres) {
  sql::statements out(static_cast<std::size_t>(q::count_));
  for (const auto& t : texts) {
    out[static_cast<std::size_t>(t.id)] =
        std::string(postgres && !t.postgres.empty() ? t.postgres : t.sqlite);
  }
  return out;
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t i64(std::size_t v) { return static_cast<std::int64_t>(v); }

/// A draft from `SELECT media_id, account, issue_id, status, publish_id`.
draft_record draft_row(const sql::row& r) {
  draft_record d;
  d.media_id = r.text(0), d.account = r.text(1), d.issue_id = r.text(2), d.status = r.text(3),
  d.publish_id = r.text(4);
  return d;
}

bool is_file(const std::string& path) { return path != ":memory:" && !path.starts_with("file:"); }

}  // namespace

state_backend state_backend_of(std::string_view backend, const std::string& path, const std::string& pg_env) {
  if (backend == "sqlite") return {state_backend::sqlite, path, {}};
  if (backend != "postgres") {
    throw std::invalid_argument("--state-backend: expected sqlite or postgres, got '" + std::string(backend) +
                                "'");
  }
  const char* conninfo = pg_env.empty() ? nullptr : std::getenv(pg_env.c_str());
  if (conninfo == nullptr || *conninfo == '\0') {
    throw std::invalid_argument("feed state: the variable " + pg_env +
                                " (feed.state.postgres.conninfo_env, or --state-pg-env) is not set (the "
                                "PostgreSQL conninfo comes from the environment)");
  }
  return {state_backend::postgres, {}, conninfo};
}

struct state_store::impl {
  std::string path;  ///< the SQLite path, or the PostgreSQL connection's "postgres host:port/db"
  std::unique_ptr<sql::connection> conn;
  bool postgres = false;
  std::mutex mu;
  int writer_fd = -1;  ///< SQLite: `<path>.writer-lock`, for lock_writer(); -1 when there is none

  [[noreturn]] static void fail(const sql::error& e) {
    throw std::runtime_error("feed state: " + e.message());
  }

  std::int64_t run(q id, std::initializer_list<sql::param> params, const sql::row_fn& on_row = {}) {
    auto r = conn->run(id, std::span<const sql::param>(params.begin(), params.size()), on_row);
    if (!r) fail(r.error());
    return r.value();
  }

  /// Whether `id` returns a row.
  bool exists(q id, std::initializer_list<sql::param> params) { return run(id, params) > 0; }

  void exec(std::string_view text) {
    if (auto r = conn->execute(text); !r) fail(r.error());
  }

  /// One write transaction, rolled back if the body throws. Inside a batch_transaction the body
  /// joins it (and a throw rolls the whole batch back, through its owner).
  template <class F>
  void transaction(F&& body) {
    if (conn->in_transaction()) {
      body();
      return;
    }
    if (auto r = conn->begin(); !r) fail(r.error());
    try {
      body();
      if (auto r = conn->commit(); !r) fail(r.error());
    } catch (...) {
      conn->rollback();
      throw;
    }
  }

  /// The articles of each draft, in draft order (caller holds mu).
  void fill_articles(std::vector<draft_record>& drafts) {
    for (auto& d : drafts) {
      run(q::draft_articles, {d.media_id}, [&](const sql::row& a) {
        d.articles.push_back({a.text(0), a.text(1), static_cast<std::size_t>(a.int64(2)),
                              static_cast<std::size_t>(a.int64(3))});
      });
    }
  }

  void store_one(const syndication::v1::Article& a, std::string_view html,
                 const std::vector<std::string>& accounts, std::int64_t now) {
    int revision = 1;
    bool same = false;
    bool stored = false;
    std::string stored_hash;
    std::int64_t stored_revision = 0;
    run(q::article_head, {a.id()}, [&](const sql::row& r) {
      stored = true;
      stored_hash = r.text(0);
      stored_revision = r.int64(1);
    });
    if (stored) {
      same = stored_hash == a.content_sha256();
      revision = static_cast<int>(stored_revision) + (same ? 0 : 1);
      if (!same) {  // a db from before article_hashes: the current hash was not recorded there
        run(q::hash_insert, {a.id(), stored_hash, stored_revision});
      }
    }
    if (!same) {
      // A hash stored before, but not the current one, is an older revision coming back (a
      // replay): the page keeps the newer text. (Same text => same hash, so a correction that
      // reverts to earlier text is indistinguishable from a replay; the WeChat ledger, keyed on
      // the hash too, does not post it again either.)
      same = exists(q::hash_exists, {a.id(), a.content_sha256()});
    }
    if (!same) {
      run(q::hash_insert, {a.id(), a.content_sha256(), std::int64_t{revision}});
      std::string summary;
      for (const auto& b : a.blocks()) {
        if (b.kind() == syndication::v1::Block::PARAGRAPH) {
          summary = b.text();
          break;
        }
      }
      const std::string bytes = a.SerializeAsString();
      const std::string_view language =
          a.language().empty() ? std::string_view("zh-Hans") : std::string_view(a.language());
      run(q::article_upsert, {a.id(), a.content_sha256(), a.issue_id(), a.issue_date(), a.paper(), language,
                              std::int64_t{a.sequence()}, std::int64_t{a.page()}, a.headline(), a.kicker(),
                              summary, std::int64_t{revision}, now, sql::blob{bytes}, html});
    }
    for (const auto& acc : accounts) {
      run(q::feed_entry_upsert, {acc, a.id(), a.issue_date(), std::int64_t{a.sequence()}, now});
    }
  }

  /// A draft's head and articles from the drafts query `id` with `params`.
  std::vector<draft_record> drafts_by(q id, std::initializer_list<sql::param> params) {
    std::vector<draft_record> out;
    run(id, params, [&](const sql::row& r) { out.push_back(draft_row(r)); });
    fill_articles(out);
    return out;
  }
};

state_store::state_store(const std::string& path, bool read_only, bool durable)
    : state_store(state_backend{state_backend::sqlite, path, {}}, read_only, durable) {}

state_store::state_store(const state_backend& where, bool read_only, bool durable)
    : impl_(std::make_unique<impl>()) {
  if (where.kind == state_backend::postgres) {
    sql::postgres_options po;
    po.conninfo = where.conninfo;
    po.application_name = "syndicate-feed";
    po.read_only = read_only;
    // Its tables in a schema of their own (`where.schema`, "feed" by default), apart from the
    // archive's in the same database (both have an `articles` table), unless the conninfo chooses
    // one (options='-c search_path=…').
    const bool own_schema = where.conninfo.find("search_path") == std::string::npos;
    if (own_schema) {
      po.schema = where.schema;
      po.create_schema = true;  // under the schema's advisory lock (sql_postgres.cpp)
    }
    auto c = sql::open_postgres(po, statements_for(true));
    if (!c) impl::fail(c.error());
    impl_->conn = std::move(c).value();
    impl_->postgres = true;
    impl_->path = impl_->conn->where();
    if (!read_only) {
      impl_->transaction([&] { impl_->exec(schema_postgres); });
    }
    return;
  }
  const std::string& path = where.path;
  impl_->path = path;
  sql::sqlite_options so;
  so.path = path;
  so.read_only = read_only;
  so.synchronous = durable ? "FULL" : "NORMAL";
  auto c = sql::open_sqlite(so, statements_for(false));
  if (!c) impl::fail(c.error());
  impl_->conn = std::move(c).value();
  if (!read_only) {
    impl_->exec(schema);
    impl_->exec(schema_accounts);
    if (is_file(path)) {
      const auto lock_path = path + ".writer-lock";
      impl_->writer_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (impl_->writer_fd < 0) {
        throw std::runtime_error("feed state " + path + ": cannot open " + lock_path + ": " +
                                 std::strerror(errno));
      }
    }
  }
}

state_store::~state_store() {
  if (impl_ && impl_->writer_fd >= 0) ::close(impl_->writer_fd);
}

const std::string& state_store::path() const noexcept { return impl_->path; }

std::string_view state_store::backend() const noexcept { return impl_->conn->backend(); }

state_store::writer_guard::writer_guard(int fd) : fd_(fd) {
  if (fd_ < 0) return;
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR)
      throw std::runtime_error(std::string("feed state: cannot take the writer lock: ") +
                               std::strerror(errno));
  }
}

state_store::writer_guard::writer_guard(state_store& pg) : pg_(&pg) {
  // pg_try_advisory_lock in a loop rather than pg_advisory_lock: a wait inside the server would
  // hold this store's connection (and its mutex) and run into lock_timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  for (;;) {
    {
      const std::lock_guard lock(pg.impl_->mu);
      bool got = false;
      pg.impl_->run(q::writer_try_lock, {pg_writer_lock_key},
                    [&](const sql::row& r) { got = r.int64(0) == 1; });
      if (got) return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      pg_ = nullptr;
      throw std::runtime_error("feed state " + pg.impl_->path +
                               ": the writer lock is held by another instance for "
                               "more than 2 minutes");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

state_store::writer_guard::~writer_guard() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
  if (pg_ != nullptr) {
    const std::lock_guard lock(pg_->impl_->mu);
    // A lost connection has released the lock already; nothing to report then.
    const sql::param key[] = {pg_writer_lock_key};
    if (auto r = pg_->impl_->conn->run(q::writer_unlock, key, {}); !r) {
      log::get("feed").debug("feed state: writer unlock: {}", r.error().message());
    }
  }
}

state_store::writer_guard state_store::lock_writer() {
  if (impl_->postgres) return writer_guard(*this);
  return writer_guard(impl_->writer_fd);
}

state_store::batch_transaction::batch_transaction(state_store& s) : s_(&s) {
  const std::lock_guard lock(s_->impl_->mu);
  if (auto r = s_->impl_->conn->begin(); !r) impl::fail(r.error());
}

state_store::batch_transaction::~batch_transaction() {
  if (s_ == nullptr) return;
  const std::lock_guard lock(s_->impl_->mu);
  s_->impl_->conn->rollback();
}

void state_store::batch_transaction::commit() {
  const std::lock_guard lock(s_->impl_->mu);
  auto r = s_->impl_->conn->commit();
  if (!r) {
    s_->impl_->conn->rollback();
    s_ = nullptr;
    impl::fail(r.error());
  }
  s_ = nullptr;
}

bool state_store::pushed(std::string_view account, std::string_view article_id, std::string_view sha256) {
  const std::lock_guard lock(impl_->mu);
  return impl_->exists(q::pushed_exists, {account, article_id, sha256});
}

bool state_store::superseded(std::string_view account, std::string_view article_id, std::string_view sha256) {
  const std::lock_guard lock(impl_->mu);
  return impl_->exists(q::superseded_exists, {account, article_id, sha256});
}

void state_store::mark_superseded(std::string_view account, std::string_view article_id,
                                  std::string_view sha256) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::superseded_mark, {account, article_id, sha256, now_s()});
}

int state_store::pushed_revisions(std::string_view account, std::string_view article_id) {
  const std::lock_guard lock(impl_->mu);
  int n = 0;
  impl_->run(q::pushed_revisions, {account, article_id},
             [&](const sql::row& r) { n = static_cast<int>(r.int64(0)); });
  return n;
}

std::optional<draft_record> state_store::draft_of(std::string_view account, std::string_view article_id,
                                                  std::string_view sha256) {
  const std::lock_guard lock(impl_->mu);
  std::optional<std::string> media_id;
  impl_->run(q::pushed_media, {account, article_id, sha256},
             [&](const sql::row& r) { media_id = r.text(0); });
  if (!media_id) return std::nullopt;
  std::optional<draft_record> d;
  impl_->run(q::draft_by_media, {*media_id}, [&](const sql::row& r) { d = draft_row(r); });
  return d;
}

void state_store::record_draft(const draft_record& d, std::string_view app_id,
                               std::string_view resolved_draft_key) {
  const std::lock_guard lock(impl_->mu);
  const auto now = now_s();
  impl_->transaction([&] {
    impl_->run(q::draft_insert,
               {d.media_id, d.account, app_id, d.issue_id, d.status, d.publish_id, now, now});
    std::int64_t position = 0;
    for (const auto& a : d.articles) {
      impl_->run(q::pushed_insert, {d.account, a.article_id, a.content_sha256, d.media_id, i64(a.part),
                                    i64(a.parts), position++, now});
    }
    if (!resolved_draft_key.empty()) impl_->run(q::ambiguous_delete, {d.account, resolved_draft_key});
  });
}

void state_store::record_submitted(std::string_view media_id, std::string_view publish_id,
                                   std::string_view msg_data_id) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::draft_submitted, {publish_id, msg_data_id, now_s(), media_id});
}

std::string_view publish_status_name(int status) noexcept {
  switch (status) {
    case 0:
      return "published";
    case 1:
      return "publishing";
    case 2:
      return "original_check_failed";
    case 3:
      return "failed";
    case 4:
      return "rejected";
    case 5:
      return "deleted";
    case 6:
      return "banned";
    default:
      return "unknown";
  }
}

std::optional<std::string> state_store::record_publish_result(const publish_result& r) {
  const std::lock_guard lock(impl_->mu);
  std::optional<std::string> account;
  impl_->run(q::draft_account_by_publish, {r.publish_id},
             [&](const sql::row& row) { account = row.text(0); });
  if (!account) return std::nullopt;
  const std::int64_t now = now_s();
  impl_->transaction([&] {
    impl_->run(q::draft_status_by_publish, {publish_status_name(r.status), now, r.publish_id});
    impl_->run(q::publish_result_upsert,
               {r.publish_id, *account, std::int64_t{r.status}, r.article_id, r.fail_idx, r.source, now});
  });
  return account;
}

std::vector<publish_result> state_store::publish_results(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  std::vector<publish_result> out;
  impl_->run(q::publish_results_of, {account}, [&](const sql::row& x) {
    publish_result r;
    r.publish_id = x.text(0), r.status = static_cast<int>(x.int64(1)), r.article_id = x.text(2);
    r.fail_idx = x.text(3), r.source = x.text(4), r.received_at = x.int64(5);
    out.push_back(std::move(r));
  });
  return out;
}

std::vector<std::pair<std::string, std::string>> state_store::unsettled_publishes(
    std::int64_t submitted_at_most) {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::string, std::string>> out;
  impl_->run(q::unsettled, {submitted_at_most},
             [&](const sql::row& r) { out.emplace_back(r.text(0), r.text(1)); });
  return out;
}

void state_store::touch_publish(std::string_view publish_id) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::touch_publish, {now_s(), publish_id});
}

std::vector<draft_record> state_store::drafts(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  return impl_->drafts_by(q::drafts_of, {account});
}

void state_store::mark_ambiguous(std::string_view account, std::string_view key) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::ambiguous_mark, {account, key, now_s()});
}

bool state_store::is_ambiguous(std::string_view account, std::string_view key) {
  const std::lock_guard lock(impl_->mu);
  return impl_->exists(q::ambiguous_exists, {account, key});
}

void state_store::clear_ambiguous(std::string_view account, std::string_view key) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::ambiguous_delete, {account, key});
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
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  impl_->transaction([&] {
    for (const auto* a : articles) {
      const std::string bytes = a->SerializeAsString();
      impl_->run(q::held_upsert,
                 {account, a->issue_id(), a->id(), a->content_sha256(), now, source, sql::blob{bytes}});
    }
  });
}

std::vector<syndication::v1::Article> state_store::held(std::string_view account, std::string_view issue_id) {
  const std::lock_guard lock(impl_->mu);
  std::vector<syndication::v1::Article> out;
  impl_->run(q::held_of, {account, issue_id}, [&](const sql::row& r) {
    out.emplace_back();
    if (!out.back().ParseFromString(r.bytes(0)))
      log::get("feed").warn("feed state: a held article of {} in issue {} does not decode", account,
                            issue_id);
  });
  return out;
}

std::vector<std::pair<std::string, std::string>> state_store::held_groups(std::int64_t since_ms_at_most) {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::string, std::string>> out;
  impl_->run(q::held_groups, {since_ms_at_most},
             [&](const sql::row& r) { out.emplace_back(r.text(0), r.text(1)); });
  return out;
}

std::vector<std::pair<std::string, std::string>> state_store::held_groups_from(std::string_view source) {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::string, std::string>> out;
  impl_->run(q::held_groups_from, {source},
             [&](const sql::row& r) { out.emplace_back(r.text(0), r.text(1)); });
  return out;
}

void state_store::release(std::string_view account, std::string_view issue_id) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::held_release, {account, issue_id});
}

std::optional<article_page> state_store::page(std::string_view article_id) {
  const std::lock_guard lock(impl_->mu);
  std::optional<article_page> out;
  impl_->run(q::page, {article_id}, [&](const sql::row& r) {
    article_page p;
    p.article_id = r.text(0), p.content_sha256 = r.text(1), p.html = r.text(2);
    p.revision = static_cast<int>(r.int64(3)), p.updated_at = r.int64(4);
    if (!p.article.ParseFromString(r.bytes(5)))
      log::get("feed").warn("feed state: the page of {} holds an article that does not decode", article_id);
    out = std::move(p);
  });
  return out;
}

std::optional<std::pair<std::string, int>> state_store::article_version(std::string_view article_id) {
  const std::lock_guard lock(impl_->mu);
  std::optional<std::pair<std::string, int>> out;
  impl_->run(q::article_head, {article_id},
             [&](const sql::row& r) { out = std::make_pair(r.text(0), static_cast<int>(r.int64(1))); });
  return out;
}

std::size_t state_store::issue_articles(std::string_view account, std::string_view issue_id,
                                        std::string_view language) {
  const std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  impl_->run(q::issue_articles, {account, issue_id, language},
             [&](const sql::row& r) { n = static_cast<std::size_t>(r.int64(0)); });
  return n;
}

std::vector<feed_entry> state_store::feed(std::string_view account, int limit) {
  const std::lock_guard lock(impl_->mu);
  std::vector<feed_entry> out;
  impl_->run(q::feed, {account, std::int64_t{limit}}, [&](const sql::row& x) {
    feed_entry e;
    e.article_id = x.text(0), e.headline = x.text(1), e.kicker = x.text(2), e.summary = x.text(3);
    e.issue_id = x.text(4), e.issue_date = x.text(5), e.paper = x.text(6), e.language = x.text(7);
    e.sequence = static_cast<std::uint32_t>(x.int64(8)), e.page = static_cast<std::uint32_t>(x.int64(9));
    e.updated_at = x.int64(10), e.revision = static_cast<int>(x.int64(11));
    out.push_back(std::move(e));
  });
  return out;
}

std::vector<std::string> state_store::feed_accounts() {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  impl_->run(q::feed_accounts, {}, [&](const sql::row& r) { out.push_back(r.text(0)); });
  return out;
}

// ---- WeChat account state ----

void state_store::pause_quota(const quota_pause& p) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::quota_pause_upsert,
             {p.account, p.api, p.until_ms, std::int64_t{p.errcode}, p.reason, p.since_ms});
}

std::vector<state_store::quota_pause> state_store::quota_pauses(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  std::vector<quota_pause> out;
  impl_->run(q::quota_pauses, {account, account}, [&](const sql::row& r) {
    out.push_back({r.text(0), r.text(1), r.int64(2), static_cast<int>(r.int64(3)), r.text(4), r.int64(5)});
  });
  return out;
}

std::size_t state_store::clear_quota_pauses(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  return static_cast<std::size_t>(impl_->run(q::quota_clear, {account}));
}

void state_store::count_calls(std::string_view account, std::string_view api, std::string_view day,
                              std::uint64_t ok, std::uint64_t refused) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::count_calls,
             {account, api, day, static_cast<std::int64_t>(ok), static_cast<std::int64_t>(refused)});
}

std::vector<state_store::call_count> state_store::calls_on(std::string_view account, std::string_view day) {
  const std::lock_guard lock(impl_->mu);
  std::vector<call_count> out;
  impl_->run(q::calls_on, {account, day}, [&](const sql::row& r) {
    out.push_back(
        {r.text(0), static_cast<std::uint64_t>(r.int64(1)), static_cast<std::uint64_t>(r.int64(2))});
  });
  return out;
}

void state_store::note_error(std::string_view account, std::string_view message) {
  const std::lock_guard lock(impl_->mu);
  impl_->transaction([&] {
    impl_->run(q::error_insert, {account, now_s(), message});
    impl_->run(q::error_trim, {account, account});
  });
}

std::vector<std::pair<std::int64_t, std::string>> state_store::last_errors(std::string_view account, int n) {
  const std::lock_guard lock(impl_->mu);
  std::vector<std::pair<std::int64_t, std::string>> out;
  impl_->run(q::last_errors, {account, std::int64_t{n}},
             [&](const sql::row& r) { out.emplace_back(r.int64(0), r.text(1)); });
  return out;
}

std::optional<std::string> state_store::app_cover(std::string_view app_id, std::string_view image_sha256) {
  const std::lock_guard lock(impl_->mu);
  std::optional<std::string> out;
  impl_->run(q::app_cover, {app_id, image_sha256}, [&](const sql::row& r) { out = r.text(0); });
  return out;
}

void state_store::store_app_cover(std::string_view app_id, std::string_view image_sha256,
                                  std::string_view media_id, std::string_view url) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::app_cover_upsert, {app_id, image_sha256, media_id, url, now_s()});
}

void state_store::forget_app_cover(std::string_view app_id, std::string_view media_id) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::app_cover_forget, {app_id, media_id});
}

std::optional<std::string> state_store::app_image(std::string_view app_id, std::string_view image_sha256) {
  const std::lock_guard lock(impl_->mu);
  std::optional<std::string> out;
  impl_->run(q::app_image, {app_id, image_sha256}, [&](const sql::row& r) { out = r.text(0); });
  return out;
}

void state_store::store_app_image(std::string_view app_id, std::string_view image_sha256,
                                  std::string_view url) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::app_image_upsert, {app_id, image_sha256, url, now_s()});
}

std::optional<std::string> state_store::remember_app_id(std::string_view account, std::string_view app_id) {
  const std::lock_guard lock(impl_->mu);
  std::optional<std::string> before;
  impl_->run(q::account_app_get, {account}, [&](const sql::row& r) {
    if (r.text(0) != app_id) before = r.text(0);
  });
  impl_->run(q::account_app_upsert, {account, app_id, now_s()});
  return before;
}

std::vector<draft_record> state_store::drafts_waiting(std::string_view account) {
  const std::lock_guard lock(impl_->mu);
  return impl_->drafts_by(q::drafts_waiting, {account});
}

void state_store::mark_submit_intent(std::string_view media_id) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::submit_intent_mark, {media_id, now_s()});
}

bool state_store::submit_intent(std::string_view media_id) {
  const std::lock_guard lock(impl_->mu);
  return impl_->exists(q::submit_intent_exists, {media_id});
}

void state_store::clear_submit_intent(std::string_view media_id) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::submit_intent_clear, {media_id});
}

void state_store::set_draft_status(std::string_view media_id, std::string_view status,
                                   std::string_view publish_id) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::draft_set_status, {status, publish_id, publish_id, now_s(), media_id});
}

std::size_t state_store::forget_pushed(std::string_view account, std::string_view article_id) {
  const std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  impl_->transaction([&] {
    n = static_cast<std::size_t>(impl_->run(q::pushed_forget, {account, article_id}));
    impl_->run(q::superseded_forget, {account, article_id});
  });
  return n;
}

void state_store::log_action(std::string_view what, std::string_view account, std::string_view detail) {
  const std::lock_guard lock(impl_->mu);
  impl_->run(q::action_insert, {now_s(), what, account, detail});
}

std::vector<state_store::operator_action> state_store::actions(int limit) {
  const std::lock_guard lock(impl_->mu);
  std::vector<operator_action> out;
  impl_->run(q::actions, {std::int64_t{limit}}, [&](const sql::row& r) {
    out.push_back({r.int64(0), r.text(1), r.text(2), r.text(3)});
  });
  return out;
}

}  // namespace syn::feed
