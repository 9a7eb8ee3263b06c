#include "syn/translation/done_store.hpp"

#include <sqlite3.h>

#include <boost/outcome/try.hpp>
#include <mutex>
#include <utility>

#include "text.hpp"

namespace syn::translation {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS done (
  source_id         TEXT    NOT NULL,
  source_sha256     TEXT    NOT NULL,
  target_language   TEXT    NOT NULL,  -- lower-case BCP 47
  translated_id     TEXT    NOT NULL,
  translated_sha256 TEXT    NOT NULL,
  done_at_ms        INTEGER NOT NULL,  -- Unix time, milliseconds
  PRIMARY KEY (source_id, source_sha256, target_language)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS done_by_time ON done (done_at_ms);
CREATE TABLE IF NOT EXISTS positions (
  topic       TEXT    NOT NULL,
  partition   INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
)sql";

errc classify(int rc) noexcept {
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return errc::store_busy;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
      return errc::store_unavailable;
    default:
      return errc::store_corrupt;
  }
}

std::int64_t to_ms(std::chrono::system_clock::time_point tp) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
}

/// A prepared statement, finalized on scope exit.
class statement {
 public:
  statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~statement() { sqlite3_finalize(stmt_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  [[nodiscard]] int prepared() const noexcept { return rc_; }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  [[nodiscard]] std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  [[nodiscard]] std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

}  // namespace

struct done_store::impl {
  sqlite3* db = nullptr;
  std::string path;
  mutable std::mutex mutex;

  ~impl() {
    if (db != nullptr) sqlite3_close_v2(db);
  }

  [[nodiscard]] error fail(int rc, std::string_view what) const {
    const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return {classify(rc),
            "done store " + path + ": " + std::string(what) + ": " + (msg != nullptr ? msg : "?")};
  }

  result<void> exec(const char* sql, std::string_view what) const {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return error(classify(rc), "done store " + path + ": " + std::string(what) + ": " + msg);
    }
    return success();
  }

  result<void> upsert_done(const done_key& key, std::string_view translated_id,
                           std::string_view translated_sha256, std::int64_t done_at_ms) const {
    statement st(
        db,
        "INSERT INTO done (source_id, source_sha256, target_language, translated_id, translated_sha256, "
        "done_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (source_id, source_sha256, target_language) DO UPDATE SET "
        "translated_id = excluded.translated_id, translated_sha256 = excluded.translated_sha256, "
        "done_at_ms = excluded.done_at_ms");
    if (st.prepared() != SQLITE_OK) return fail(st.prepared(), "prepare insert");
    st.bind(1, key.source_id);
    st.bind(2, key.source_sha256);
    st.bind(3, detail::ascii_lower(key.target_language));
    st.bind(4, translated_id);
    st.bind(5, translated_sha256);
    st.bind(6, done_at_ms);
    if (const int rc = st.step(); rc != SQLITE_DONE) return fail(rc, "insert");
    return success();
  }

  result<void> advance(std::string_view topic, std::int32_t partition, std::int64_t next) const {
    statement st(
        db,
        "INSERT INTO positions (topic, partition, next_offset) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)");
    if (st.prepared() != SQLITE_OK) return fail(st.prepared(), "prepare position");
    st.bind(1, topic);
    st.bind(2, std::int64_t{partition});
    st.bind(3, next);
    if (const int rc = st.step(); rc != SQLITE_DONE) return fail(rc, "update position");
    return success();
  }

  result<std::uint64_t> remove(const char* sql, const auto& bind_args, std::string_view what) const {
    statement st(db, sql);
    if (st.prepared() != SQLITE_OK) return fail(st.prepared(), what);
    bind_args(st);
    if (const int rc = st.step(); rc != SQLITE_DONE) return fail(rc, what);
    return static_cast<std::uint64_t>(sqlite3_changes(db));
  }
};

done_store::done_store(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
done_store::done_store(done_store&&) noexcept = default;
done_store& done_store::operator=(done_store&&) noexcept = default;
done_store::~done_store() = default;

result<done_store> done_store::open(const std::string& path) {
  auto p = std::make_unique<impl>();
  p->path = path;
  const int rc = sqlite3_open_v2(path.c_str(), &p->db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return p->fail(rc, "cannot open");
  sqlite3_busy_timeout(p->db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(p->db, 1);

  // The store is rebuilt from the translated topic if lost: WAL + synchronous=NORMAL is durable
  // enough (a crash may lose the last transactions, never corrupt the file).
  if (path != ":memory:") {
    BOOST_OUTCOME_TRY(p->exec("PRAGMA journal_mode=WAL", "set journal mode"));
  }
  BOOST_OUTCOME_TRY(p->exec("PRAGMA synchronous=NORMAL", "set synchronous"));

  int version = 0;
  {
    statement st(p->db, "PRAGMA user_version");
    if (st.prepared() != SQLITE_OK) return p->fail(st.prepared(), "read schema version");
    if (const int s = st.step(); s == SQLITE_ROW) {
      version = static_cast<int>(st.int64(0));
    } else {
      return p->fail(s, "read schema version");
    }
  }
  if (version > kSchemaVersion) {
    return error(errc::store_corrupt, "done store " + path + ": schema version " + std::to_string(version) +
                                          " is newer than this build's " + std::to_string(kSchemaVersion));
  }
  if (version < kSchemaVersion) {
    BOOST_OUTCOME_TRY(p->exec("BEGIN IMMEDIATE", "begin migration"));
    auto migrated = p->exec(kSchema, "create schema");
    if (migrated) migrated = p->exec("PRAGMA user_version = 1", "set schema version");
    if (migrated) migrated = p->exec("COMMIT", "commit migration");
    if (!migrated) {
      (void)p->exec("ROLLBACK", "rollback migration");
      return migrated.error();
    }
  }
  return done_store(std::move(p));
}

result<bool> done_store::contains(const done_key& key) const {
  BOOST_OUTCOME_TRY(found, find(key));
  return found.has_value();
}

result<std::optional<done_record>> done_store::find(const done_key& key) const {
  const std::lock_guard lock(impl_->mutex);
  statement st(impl_->db,
               "SELECT translated_id, translated_sha256, done_at_ms FROM done "
               "WHERE source_id = ?1 AND source_sha256 = ?2 AND target_language = ?3");
  if (st.prepared() != SQLITE_OK) return impl_->fail(st.prepared(), "prepare lookup");
  st.bind(1, key.source_id);
  st.bind(2, key.source_sha256);
  st.bind(3, detail::ascii_lower(key.target_language));
  const int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<done_record>();
  if (rc != SQLITE_ROW) return impl_->fail(rc, "lookup");
  done_record r;
  r.key = key;
  r.translated_id = st.text(0);
  r.translated_sha256 = st.text(1);
  r.done_at =
      std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::milliseconds(st.int64(2))));
  return std::optional<done_record>(std::move(r));
}

result<void> done_store::mark_done(const done_record& record) {
  const std::lock_guard lock(impl_->mutex);
  return impl_->upsert_done(record.key, record.translated_id, record.translated_sha256,
                            to_ms(record.done_at));
}

result<std::size_t> done_store::learn(std::span<const translated_record> records) {
  const std::lock_guard lock(impl_->mutex);
  const auto now_ms = to_ms(std::chrono::system_clock::now());
  BOOST_OUTCOME_TRY(impl_->exec("BEGIN IMMEDIATE", "begin"));
  std::size_t translations = 0;
  auto body = [&]() -> result<void> {
    for (const auto& r : records) {
      if (r.article != nullptr && !r.article->translation_of().empty()) {
        const auto& a = *r.article;
        std::int64_t done_at = now_ms;
        if (a.has_published_at() && a.published_at().seconds() > 0)
          done_at = to_ms(detail::from_timestamp(a.published_at()));
        const done_key key{a.translation_of(), a.translation_of_sha256(), a.language()};
        BOOST_OUTCOME_TRY(impl_->upsert_done(key, a.id(), a.content_sha256(), done_at));
        ++translations;
      }
      if (!r.topic.empty()) {
        BOOST_OUTCOME_TRY(impl_->advance(r.topic, r.partition, r.offset + 1));
      }
    }
    return success();
  };
  if (auto r = body(); !r) {
    (void)impl_->exec("ROLLBACK", "rollback");
    return r.error();
  }
  BOOST_OUTCOME_TRY(impl_->exec("COMMIT", "commit"));
  return translations;
}

result<bool> done_store::learn(const syndication::v1::Article& translated, std::string_view topic,
                               std::int32_t partition, std::int64_t offset) {
  const translated_record r{&translated, topic, partition, offset};
  BOOST_OUTCOME_TRY(n, learn(std::span<const translated_record>(&r, 1)));
  return n == 1;
}

result<std::optional<std::int64_t>> done_store::resume_offset(std::string_view topic,
                                                              std::int32_t partition) const {
  const std::lock_guard lock(impl_->mutex);
  statement st(impl_->db, "SELECT next_offset FROM positions WHERE topic = ?1 AND partition = ?2");
  if (st.prepared() != SQLITE_OK) return impl_->fail(st.prepared(), "prepare position lookup");
  st.bind(1, topic);
  st.bind(2, std::int64_t{partition});
  const int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
  if (rc != SQLITE_ROW) return impl_->fail(rc, "position lookup");
  return std::optional<std::int64_t>(st.int64(0));
}

result<std::uint64_t> done_store::size() const {
  const std::lock_guard lock(impl_->mutex);
  statement st(impl_->db, "SELECT count(*) FROM done");
  if (st.prepared() != SQLITE_OK) return impl_->fail(st.prepared(), "prepare count");
  const int rc = st.step();
  if (rc != SQLITE_ROW) return impl_->fail(rc, "count");
  return static_cast<std::uint64_t>(st.int64(0));
}

result<std::uint64_t> done_store::forget(std::string_view target_language) {
  const std::lock_guard lock(impl_->mutex);
  const std::string lang = detail::ascii_lower(target_language);
  return impl_->remove(
      "DELETE FROM done WHERE target_language = ?1", [&](statement& st) { st.bind(1, lang); }, "forget");
}

result<std::uint64_t> done_store::prune(std::chrono::system_clock::time_point before) {
  const std::lock_guard lock(impl_->mutex);
  const auto ms = to_ms(before);
  return impl_->remove(
      "DELETE FROM done WHERE done_at_ms < ?1", [&](statement& st) { st.bind(1, ms); }, "prune");
}

}  // namespace syn::translation
