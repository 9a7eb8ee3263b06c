#include "migrations.hpp"

#include <array>

#include "syn/archive/store.hpp"

namespace syn::archive {
namespace {

// 1: the record tables. Timestamps: `*_published_us` is Article/IssueManifest.published_at in
// microseconds since the epoch (NULL when absent); `stored_at`/`updated_at` are ISO 8601 UTC text
// written by the archive, identical on both backends.
constexpr std::string_view v1_sqlite = R"sql(
CREATE TABLE raw_issues (
  sha256      TEXT PRIMARY KEY,
  size        INTEGER NOT NULL,
  source_name TEXT NOT NULL,
  stored_at   TEXT NOT NULL,
  bytes       BLOB NOT NULL
);
CREATE TABLE issues (
  issue_id             TEXT PRIMARY KEY,
  current_revision     INTEGER NOT NULL,
  revision_count       INTEGER NOT NULL,
  current_published_us INTEGER,
  updated_at           TEXT NOT NULL
);
CREATE TABLE issue_revisions (
  issue_id      TEXT NOT NULL,
  revision      INTEGER NOT NULL,
  content_key   TEXT NOT NULL,
  paper         TEXT NOT NULL,
  issue_date    TEXT NOT NULL,
  source_sha256 TEXT NOT NULL,
  article_count INTEGER NOT NULL,
  published_us  INTEGER,
  stored_at     TEXT NOT NULL,
  manifest      BLOB NOT NULL,
  PRIMARY KEY (issue_id, revision),
  UNIQUE (issue_id, content_key)
);
CREATE INDEX issue_revisions_source ON issue_revisions (source_sha256);
CREATE TABLE articles (
  article_key          INTEGER PRIMARY KEY,
  id                   TEXT NOT NULL UNIQUE,
  current_revision     INTEGER NOT NULL,
  revision_count       INTEGER NOT NULL,
  current_published_us INTEGER,
  updated_at           TEXT NOT NULL
);
CREATE TABLE article_revisions (
  article_id            TEXT NOT NULL,
  revision              INTEGER NOT NULL,
  content_sha256        TEXT NOT NULL,
  issue_id              TEXT NOT NULL,
  paper                 TEXT NOT NULL,
  issue_date            TEXT NOT NULL,
  language              TEXT NOT NULL,
  page                  INTEGER NOT NULL,
  sequence              INTEGER NOT NULL,
  headline              TEXT NOT NULL,
  translation_of        TEXT NOT NULL,
  translation_of_sha256 TEXT NOT NULL,
  published_us          INTEGER,
  stored_at             TEXT NOT NULL,
  article               BLOB NOT NULL,
  PRIMARY KEY (article_id, revision),
  UNIQUE (article_id, content_sha256)
);
CREATE INDEX article_revisions_issue ON article_revisions (issue_id);
CREATE INDEX article_revisions_translation_of ON article_revisions (translation_of, translation_of_sha256)
  WHERE translation_of <> '';
)sql";

constexpr std::string_view v1_postgres = R"sql(
CREATE TABLE raw_issues (
  sha256      TEXT PRIMARY KEY,
  size        BIGINT NOT NULL,
  source_name TEXT NOT NULL,
  stored_at   TEXT NOT NULL,
  bytes       BYTEA NOT NULL
);
CREATE TABLE issues (
  issue_id             TEXT PRIMARY KEY,
  current_revision     INTEGER NOT NULL,
  revision_count       INTEGER NOT NULL,
  current_published_us BIGINT,
  updated_at           TEXT NOT NULL
);
CREATE TABLE issue_revisions (
  issue_id      TEXT NOT NULL,
  revision      INTEGER NOT NULL,
  content_key   TEXT NOT NULL,
  paper         TEXT NOT NULL,
  issue_date    TEXT NOT NULL,
  source_sha256 TEXT NOT NULL,
  article_count INTEGER NOT NULL,
  published_us  BIGINT,
  stored_at     TEXT NOT NULL,
  manifest      BYTEA NOT NULL,
  PRIMARY KEY (issue_id, revision),
  UNIQUE (issue_id, content_key)
);
CREATE INDEX issue_revisions_source ON issue_revisions (source_sha256);
CREATE TABLE articles (
  article_key          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                   TEXT NOT NULL UNIQUE,
  current_revision     INTEGER NOT NULL,
  revision_count       INTEGER NOT NULL,
  current_published_us BIGINT,
  updated_at           TEXT NOT NULL
);
CREATE TABLE article_revisions (
  article_id            TEXT NOT NULL,
  revision              INTEGER NOT NULL,
  content_sha256        TEXT NOT NULL,
  issue_id              TEXT NOT NULL,
  paper                 TEXT NOT NULL,
  issue_date            TEXT NOT NULL,
  language              TEXT NOT NULL,
  page                  INTEGER NOT NULL,
  sequence              INTEGER NOT NULL,
  headline              TEXT NOT NULL,
  translation_of        TEXT NOT NULL,
  translation_of_sha256 TEXT NOT NULL,
  published_us          BIGINT,
  stored_at             TEXT NOT NULL,
  article               BYTEA NOT NULL,
  PRIMARY KEY (article_id, revision),
  UNIQUE (article_id, content_sha256)
);
CREATE INDEX article_revisions_issue ON article_revisions (issue_id);
CREATE INDEX article_revisions_translation_of ON article_revisions (translation_of, translation_of_sha256)
  WHERE translation_of <> '';
)sql";

// 2: full-text search over the current revision of every article (one row per article).
// SQLite: FTS5 with the trigram tokenizer (any language, substrings of >= 3 characters; shorter
// terms fall back to LIKE over the same table). rowid = articles.article_key.
constexpr std::string_view v2_sqlite = R"sql(
CREATE VIRTUAL TABLE article_search USING fts5 (
  article_id UNINDEXED,
  issue_id   UNINDEXED,
  paper      UNINDEXED,
  issue_date UNINDEXED,
  language   UNINDEXED,
  headline,
  body,
  tokenize = 'trigram'
);
)sql";

// PostgreSQL: pg_trgm GIN indexes serve ILIKE '%term%' (terms of >= 3 characters use the index
// selectively). pg_trgm keeps only characters the database's LC_CTYPE calls alphanumeric: Chinese
// needs a UTF-8 locale (C.UTF-8, zh_CN.UTF-8...), see docs/ARCHIVE.md.
constexpr std::string_view v2_postgres = R"sql(
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE article_search (
  article_key BIGINT PRIMARY KEY REFERENCES articles (article_key),
  article_id  TEXT NOT NULL,
  issue_id    TEXT NOT NULL,
  paper       TEXT NOT NULL,
  issue_date  TEXT NOT NULL,
  language    TEXT NOT NULL,
  headline    TEXT NOT NULL,
  body        TEXT NOT NULL
);
CREATE INDEX article_search_headline_trgm ON article_search USING gin (headline gin_trgm_ops);
CREATE INDEX article_search_body_trgm ON article_search USING gin (body gin_trgm_ops);
CREATE INDEX article_search_paper_date ON article_search (paper, issue_date);
)sql";

// 3: SQLite indexes search text behind the writes. The write transaction puts the current text
// of each changed article in search_pending (one row per article, a plain b-tree insert); a
// background indexer moves pending rows into article_search in larger transactions
// (index_pending), and search reads pending rows by LIKE until then. PostgreSQL keeps its GIN
// maintenance in the write transaction: the version is recorded, nothing changes.
constexpr std::string_view v3_sqlite = R"sql(
CREATE TABLE search_pending (
  article_key INTEGER PRIMARY KEY,
  article_id  TEXT NOT NULL,
  issue_id    TEXT NOT NULL,
  paper       TEXT NOT NULL,
  issue_date  TEXT NOT NULL,
  language    TEXT NOT NULL,
  headline    TEXT NOT NULL,
  body        TEXT NOT NULL
);
)sql";

constexpr std::string_view v3_postgres = "SELECT 1";

constexpr std::array<migration, 3> all{{
    {1, "records: raw issues, issue and article revisions", v1_sqlite, v1_postgres},
    {2, "search: current articles, trigram-indexed", v2_sqlite, v2_postgres},
    {3, "search: index behind the writes (SQLite search_pending)", v3_sqlite, v3_postgres},
}};

}  // namespace

std::span<const migration> migrations() noexcept { return all; }

int latest_schema_version() noexcept { return all.back().version; }

}  // namespace syn::archive
