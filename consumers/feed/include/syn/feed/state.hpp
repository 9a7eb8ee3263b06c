#pragma once
/// The feed's state database (SQLite, the embedded default, or PostgreSQL for several instances):
/// what was pushed to which account, the drafts and their
/// publication, the cover materials uploaded, and the article pages the feed server serves.
///
/// Idempotence key: (account, article id, content sha256). A key present means "in a WeChat
/// draft" (or, for feed-only accounts, "in the feed"); the same article with a new hash is a
/// revision and is pushed again.
///
/// Durability: WAL journal; `synchronous=NORMAL` by default (a committed push survives a process
/// crash; a power loss may lose the last transactions, after which a replay can post them again),
/// `FULL` with `durable = true` (every commit fsynced).
///
/// On PostgreSQL (`--state-backend postgres`) commits are durable as the server's are,
/// and any number of `consume feed` and `serve feeds` instances share one database: the writer
/// lock (lock_writer()) is a session advisory lock there, so two instances never push the same
/// article (docs/FEED.md "Several instances").
///
/// Thread-safe (one connection behind a mutex; the SQL layer is syn/core/sql.hpp). Methods throw
/// std::runtime_error naming the database and its message on failure (callers on the message
/// path catch it).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "syndication/v1/article.pb.h"

namespace syn::feed {

/// One article of a recorded draft.
struct pushed_article {
  std::string article_id;
  std::string content_sha256;
  std::size_t part = 1;
  std::size_t parts = 1;
};

/// A draft as recorded.
struct draft_record {
  std::string media_id;
  std::string account;
  std::string issue_id;
  /// `added` (waiting for freepublish/submit), `submitted`, `kept` (publishing disabled); after
  /// WeChat's publish result, publish_status_name() of it (`published`, `failed`, ...).
  std::string status;
  std::string publish_id;
  std::vector<pushed_article> articles;
};

/// WeChat's publish result for one publish_id (PUBLISHJOBFINISH event or freepublish/get).
struct publish_result {
  std::string publish_id;
  /// WeChat publish_status: 0 success, 1 publishing, 2 original-check failed, 3 regular failure,
  /// 4 rejected by platform review, 5 deleted after success, 6 banned.
  int status = 0;
  std::string article_id;        ///< set on success
  std::string fail_idx;          ///< comma-separated 1-based indexes of the failed articles
  std::string source;            ///< `callback` or `poll`
  std::int64_t received_at = 0;  ///< unix seconds (read back only)
};

/// The ledger's draft status for a publish_status: published, publishing, original_check_failed,
/// failed, rejected, deleted, banned; `unknown` for any other value.
[[nodiscard]] std::string_view publish_status_name(int status) noexcept;

/// One entry of an account's feed, newest first.
struct feed_entry {
  std::string article_id;
  std::string headline;
  std::string kicker;
  std::string summary;
  std::string issue_id;
  std::string issue_date;
  std::string paper;
  std::string language;
  std::uint32_t sequence = 0;
  std::uint32_t page = 0;
  std::int64_t updated_at = 0;  ///< unix seconds
  int revision = 1;
  /// The article body as an HTML fragment (text escaped, no script): filled by the feed server for
  /// JSON Feed and Atom, empty from feed().
  std::string content_html;
  /// The article's photos that have an image (sha256 set), in order: filled by the feed server for
  /// RSS enclosures, Atom enclosure links and JSON Feed `image`/`attachments`; empty from feed().
  std::vector<syndication::v1::Photo> photos;
};

/// A stored article page.
struct article_page {
  std::string article_id;
  std::string content_sha256;
  std::string html;
  int revision = 1;
  std::int64_t updated_at = 0;
  syndication::v1::Article article;
};

/// Where the state lives.
struct state_backend {
  enum kind_t { sqlite, postgres } kind = sqlite;
  /// sqlite: the database file (`:memory:` for tests).
  std::string path;
  /// postgres: the libpq conninfo or postgresql:// URI (never printed).
  std::string conninfo;
  /// postgres: the schema of the feed's tables ([a-z_]+, created if missing; feed.state.postgres.schema)
  /// unless the conninfo sets a search_path.
  std::string schema = "feed";
};

/// The state the command line names: `--state-backend sqlite` (default) with the file `path`, or
/// `postgres` with the conninfo read now from the environment variable `pg_env`
/// (`--state-pg-env`, default SYNDICATE_FEED_PG). Throws std::invalid_argument naming the backend
/// or the variable when it is unknown, unset or empty.
[[nodiscard]] state_backend state_backend_of(std::string_view backend, const std::string& path,
                                             const std::string& pg_env);

class state_store {
 public:
  /// Opens (creating it and its parent directories if needed, unless `read_only`) the database at
  /// `path`; `:memory:` for tests.
  explicit state_store(const std::string& path, bool read_only = false, bool durable = false);
  /// Opens the SQLite or PostgreSQL state `where` names; read-write creates the schema (on
  /// PostgreSQL under an advisory lock, so that instances starting together create it once).
  /// `durable`: SQLite synchronous=FULL (PostgreSQL commits are durable anyway).
  explicit state_store(const state_backend& where, bool read_only = false, bool durable = false);
  ~state_store();
  state_store(const state_store&) = delete;
  state_store& operator=(const state_store&) = delete;

  /// The SQLite path, or "postgres HOST:PORT/DB".
  [[nodiscard]] const std::string& path() const noexcept;
  /// `sqlite` or `postgres`.
  [[nodiscard]] std::string_view backend() const noexcept;

  /// Holds the db's writer lock (an exclusive flock(2) on `<path>.writer-lock`) while alive.
  /// Several `consume feed` processes on one host may share a state db: each takes this lock
  /// around a whole batch (check the ledger, push, record), so two of them never push the same
  /// article. A no-op for `:memory:` and read-only stores. Not re-entrant within a process.
  /// On PostgreSQL: a session advisory lock, shared by the instances on every host (waits at most
  /// 2 minutes, then throws).
  class writer_guard {
   public:
    explicit writer_guard(int fd);
    explicit writer_guard(state_store& postgres);
    ~writer_guard();
    writer_guard(const writer_guard&) = delete;
    writer_guard& operator=(const writer_guard&) = delete;

   private:
    int fd_ = -1;
    state_store* pg_ = nullptr;
  };
  [[nodiscard]] writer_guard lock_writer();

  /// One write transaction (BEGIN IMMEDIATE) around many calls: the calls made while it is open
  /// join it instead of each being a transaction of its own. In WAL mode every transaction, a
  /// read too, takes and drops file locks; one per call cost ~50 syscalls per draft pushed
  /// (BENCHMARKS.md). Committed by commit(), rolled back if destroyed before. Not for calls that
  /// wait on the network: other writers of the db (`serve feeds`) wait for it.
  class batch_transaction {
   public:
    explicit batch_transaction(state_store& s);
    ~batch_transaction();
    batch_transaction(const batch_transaction&) = delete;
    batch_transaction& operator=(const batch_transaction&) = delete;
    void commit();

   private:
    state_store* s_;
  };

  /// Whether (account, article, hash) was pushed.
  [[nodiscard]] bool pushed(std::string_view account, std::string_view article_id, std::string_view sha256);
  /// Whether (account, article, hash) was overtaken by a later revision before it was pushed (a
  /// replay must not post the older text after the newer one).
  [[nodiscard]] bool superseded(std::string_view account, std::string_view article_id,
                                std::string_view sha256);
  void mark_superseded(std::string_view account, std::string_view article_id, std::string_view sha256);
  /// Hashes of `article_id` pushed to `account` before (the revision is their count + 1).
  [[nodiscard]] int pushed_revisions(std::string_view account, std::string_view article_id);
  /// The draft holding (account, article, hash), if any.
  [[nodiscard]] std::optional<draft_record> draft_of(std::string_view account, std::string_view article_id,
                                                     std::string_view sha256);

  /// Records a draft and its articles in one transaction; with `resolved_draft_key`, the same
  /// transaction clears that ambiguous draft/add intent (see mark_ambiguous()).
  void record_draft(const draft_record& d, std::string_view app_id, std::string_view resolved_draft_key = {});
  /// Marks a draft submitted for publication.
  void record_submitted(std::string_view media_id, std::string_view publish_id, std::string_view msg_data_id);
  /// Records WeChat's publish result for the draft submitted as `r.publish_id` (its status becomes
  /// publish_status_name(r.status)), in one transaction; the latest result per publish_id is
  /// kept. Returns the draft's account, nullopt when no draft has that publish_id.
  std::optional<std::string> record_publish_result(const publish_result& r);
  /// The publish results recorded for `account`, oldest first.
  [[nodiscard]] std::vector<publish_result> publish_results(std::string_view account);
  /// (account, publish_id) of drafts submitted (or still `publishing`) and not updated since
  /// `submitted_at_most` (unix seconds): the freepublish/get fallback's candidates.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> unsettled_publishes(
      std::int64_t submitted_at_most);
  /// Marks a poll of `publish_id` (its updated_at becomes now, so it waits another interval).
  void touch_publish(std::string_view publish_id);
  /// Every recorded draft of `account` (tests, tools).
  [[nodiscard]] std::vector<draft_record> drafts(std::string_view account);

  /// A draft/add whose outcome is unknown (timeout after sending): its key is remembered so the
  /// next attempt looks for the draft before adding it again.
  void mark_ambiguous(std::string_view account, std::string_view draft_key);
  [[nodiscard]] bool is_ambiguous(std::string_view account, std::string_view draft_key);
  void clear_ambiguous(std::string_view account, std::string_view draft_key);

  /// Articles held back for `account` until the rest of their issue arrives (the drafts group one
  /// issue's articles even when a consumer batch boundary splits the issue): stored durably, so
  /// the records' offsets may be committed. Keyed by (account, issue, article id); a newer
  /// revision replaces the held one, the time held runs from the first arrival. `source` names
  /// the topic partition the articles came from (`topic:partition`).
  void hold(std::string_view account, std::string_view source,
            const std::vector<const syndication::v1::Article*>& articles);
  /// The articles held for (account, issue).
  [[nodiscard]] std::vector<syndication::v1::Article> held(std::string_view account,
                                                           std::string_view issue_id);
  /// (account, issue) groups with an article held since `since_ms_at_most` (ms since the epoch) or
  /// earlier, oldest first; INT64_MAX: every held group.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> held_groups(std::int64_t since_ms_at_most);
  /// (account, issue) groups held from `source`.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> held_groups_from(std::string_view source);
  /// Forgets the held articles of (account, issue) (after their drafts are recorded).
  void release(std::string_view account, std::string_view issue_id);

  /// Stores the article and its rendered page and adds it to the feeds of `accounts`, in one
  /// transaction. A new hash replaces the page and counts a revision; the same hash is a no-op.
  void store_article(const syndication::v1::Article& a, std::string_view html,
                     const std::vector<std::string>& accounts);
  /// As store_article() for many articles in one transaction.
  struct article_to_store {
    const syndication::v1::Article* article;
    std::string html;
    std::vector<std::string> accounts;
  };
  void store_articles(const std::vector<article_to_store>& items);

  // ---- WeChat account state: daily-quota pauses, covers per AppID, submissions whose outcome
  // is unknown, the operator's actions (docs/FEED.md "Quotas", "Covers", "Re-posting") ----

  /// An account's calls of one API held back by a daily-quota answer until `until_ms`.
  struct quota_pause {
    std::string account;
    std::string api;            ///< `draft/add`, `freepublish/submit`, ...
    std::int64_t until_ms = 0;  ///< ms since the epoch (the next quota reset)
    int errcode = 0;
    std::string reason;
    std::int64_t since_ms = 0;
  };
  /// Records (replaces) the pause of (account, api).
  void pause_quota(const quota_pause& p);
  /// The pauses recorded for `account` (every account when empty), whatever their time.
  [[nodiscard]] std::vector<quota_pause> quota_pauses(std::string_view account = {});
  /// Forgets the pauses of `account` (an operator reset the quota); returns how many there were.
  std::size_t clear_quota_pauses(std::string_view account);
  /// Adds answered calls of `api` for `account` on quota day `day` (`refused`: quota answers).
  void count_calls(std::string_view account, std::string_view api, std::string_view day, std::uint64_t ok,
                   std::uint64_t refused);
  struct call_count {
    std::string api;
    std::uint64_t ok = 0;
    std::uint64_t refused = 0;
  };
  [[nodiscard]] std::vector<call_count> calls_on(std::string_view account, std::string_view day);
  /// The last `n` errors noted for `account`, newest first (`feed status`).
  void note_error(std::string_view account, std::string_view message);
  [[nodiscard]] std::vector<std::pair<std::int64_t, std::string>> last_errors(std::string_view account,
                                                                              int n = 3);

  /// Covers per (AppID, image sha256): a cover belongs to the AppID that uploaded it.
  [[nodiscard]] std::optional<std::string> app_cover(std::string_view app_id, std::string_view image_sha256);
  void store_app_cover(std::string_view app_id, std::string_view image_sha256, std::string_view media_id,
                       std::string_view url);
  /// Forgets a cover WeChat no longer knows (40007): the next push uploads it again.
  void forget_app_cover(std::string_view app_id, std::string_view media_id);
  /// Body images per (AppID, photo sha256): the URL media/uploadimg answered, so a photo is
  /// uploaded once per AppID (replays and restarts reuse it; the sha256 is the stored photo's).
  [[nodiscard]] std::optional<std::string> app_image(std::string_view app_id, std::string_view image_sha256);
  void store_app_image(std::string_view app_id, std::string_view image_sha256, std::string_view url);
  /// Records `app_id` as the account's AppID; returns the previous one when it was different.
  std::optional<std::string> remember_app_id(std::string_view account, std::string_view app_id);

  /// The drafts of `account` added and not submitted yet (status `added`), oldest first.
  [[nodiscard]] std::vector<draft_record> drafts_waiting(std::string_view account);
  /// A freepublish/submit about to be sent: remembered until its answer is recorded, so that an
  /// unknown outcome (timeout, 5xx, crash) is looked up before the draft is submitted again.
  void mark_submit_intent(std::string_view media_id);
  [[nodiscard]] bool submit_intent(std::string_view media_id);
  void clear_submit_intent(std::string_view media_id);
  /// Sets a draft's status (a recovered outcome: `published` with its article_id, `submitted`).
  void set_draft_status(std::string_view media_id, std::string_view status, std::string_view publish_id = {});

  /// Re-posting is an operator's act: forgets that (account, article) was pushed, every hash, so
  /// that its next delivery (a replay) posts it again as a new draft. Returns the rows forgotten.
  std::size_t forget_pushed(std::string_view account, std::string_view article_id);
  /// The operator's actions (`feed repost`, `feed quota reset`), kept in the db with the time.
  void log_action(std::string_view what, std::string_view account, std::string_view detail);
  struct operator_action {
    std::int64_t at = 0;
    std::string what, account, detail;
  };
  [[nodiscard]] std::vector<operator_action> actions(int limit = 50);

  [[nodiscard]] std::optional<article_page> page(std::string_view article_id);
  /// The stored hash and revision of an article, if stored.
  [[nodiscard]] std::optional<std::pair<std::string, int>> article_version(std::string_view article_id);
  /// How many articles of `issue_id` in `language` were stored for `account` (with a feed entry
  /// for it), whatever their revision.
  [[nodiscard]] std::size_t issue_articles(std::string_view account, std::string_view issue_id,
                                           std::string_view language);
  /// The newest `limit` entries of `account`'s feed (issue date, then sequence).
  [[nodiscard]] std::vector<feed_entry> feed(std::string_view account, int limit = 50);
  /// Accounts with at least one feed entry.
  [[nodiscard]] std::vector<std::string> feed_accounts();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::feed
