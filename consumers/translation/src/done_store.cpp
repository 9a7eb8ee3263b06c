#include "syn/translation/done_store.hpp"

#include <boost/outcome/try.hpp>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "syn/core/sql.hpp"
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

/// core's database errors as the translation component's store errors.
error adopt(const sql::error& e) {
  switch (e.value()) {
    case sql::errc::busy:
      return {errc::store_busy, "done store " + e.message()};
    case sql::errc::unavailable:
    case sql::errc::read_only:
      return {errc::store_unavailable, "done store " + e.message()};
    case sql::errc::ok:
    case sql::errc::storage:
      break;
  }
  return {errc::store_corrupt, "done store " + e.message()};
}

template <class T>
result<T> adopt(sql::result<T>&& r) {
  if (!r) return adopt(r.error());
  if constexpr (std::is_void_v<T>) {
    return success();
  } else {
    return std::move(r).value();
  }
}

std::int64_t to_ms(std::chrono::system_clock::time_point tp) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
}

/// The statements, by index.
enum class q : std::size_t {
  user_version,
  upsert_done,
  advance,
  find,
  resume_offset,
  size,
  forget,
  prune,
  count_
};

sql::statements statements() {
  sql::statements out(static_cast<std::size_t>(q::count_));
  const auto set = [&](q id, const char* text) { out[static_cast<std::size_t>(id)] = text; };
  set(q::user_version, "PRAGMA user_version");
  set(q::upsert_done,
      "INSERT INTO done (source_id, source_sha256, target_language, translated_id, translated_sha256, "
      "done_at_ms) VALUES ($1, $2, $3, $4, $5, $6) "
      "ON CONFLICT (source_id, source_sha256, target_language) DO UPDATE SET "
      "translated_id = excluded.translated_id, translated_sha256 = excluded.translated_sha256, "
      "done_at_ms = excluded.done_at_ms");
  set(q::advance,
      "INSERT INTO positions (topic, partition, next_offset) VALUES ($1, $2, $3) "
      "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)");
  set(q::find,
      "SELECT translated_id, translated_sha256, done_at_ms FROM done "
      "WHERE source_id = $1 AND source_sha256 = $2 AND target_language = $3");
  set(q::resume_offset, "SELECT next_offset FROM positions WHERE topic = $1 AND partition = $2");
  set(q::size, "SELECT count(*) FROM done");
  set(q::forget, "DELETE FROM done WHERE target_language = $1");
  set(q::prune, "DELETE FROM done WHERE done_at_ms < $1");
  return out;
}

}  // namespace

struct done_store::impl {
  std::unique_ptr<sql::connection> db;
  mutable std::mutex mutex;

  result<std::int64_t> run(q id, std::initializer_list<sql::param> params,
                           const sql::row_fn& on_row = {}) const {
    return adopt(db->run(id, std::span<const sql::param>(params.begin(), params.size()), on_row));
  }

  result<void> upsert_done(const done_key& key, std::string_view translated_id,
                           std::string_view translated_sha256, std::int64_t done_at_ms) const {
    const std::string language = detail::ascii_lower(key.target_language);
    BOOST_OUTCOME_TRY(run(q::upsert_done, {key.source_id, key.source_sha256, language, translated_id,
                                           translated_sha256, done_at_ms}));
    return success();
  }

  result<void> advance(std::string_view topic, std::int32_t partition, std::int64_t next) const {
    BOOST_OUTCOME_TRY(run(q::advance, {topic, std::int64_t{partition}, next}));
    return success();
  }
};

done_store::done_store(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
done_store::done_store(done_store&&) noexcept = default;
done_store& done_store::operator=(done_store&&) noexcept = default;
done_store::~done_store() = default;

result<done_store> done_store::open(const std::string& path) {
  auto p = std::make_unique<impl>();
  // The store is rebuilt from the translated topic if lost: WAL + synchronous=NORMAL is durable
  // enough (a crash may lose the last transactions, never corrupt the file).
  sql::sqlite_options o;
  o.path = path;
  o.busy_timeout = std::chrono::milliseconds(kBusyTimeoutMs);
  o.synchronous = "NORMAL";
  o.create_directories = false;  // a missing directory is a misconfiguration, reported as such
  BOOST_OUTCOME_TRY(db, adopt(sql::open_sqlite(o, statements())));
  p->db = std::move(db);

  int version = 0;
  BOOST_OUTCOME_TRY(
      p->run(q::user_version, {}, [&](const sql::row& r) { version = static_cast<int>(r.int64(0)); }));
  if (version > kSchemaVersion) {
    return error(errc::store_corrupt, "done store " + path + ": schema version " + std::to_string(version) +
                                          " is newer than this build's " + std::to_string(kSchemaVersion));
  }
  if (version < kSchemaVersion) {
    auto migrated = adopt(sql::transaction(*p->db, [](sql::connection& c) -> sql::result<void> {
      BOOST_OUTCOME_TRY(c.execute(kSchema));
      return c.execute("PRAGMA user_version = 1");
    }));
    if (!migrated) return migrated.error();
  }
  return done_store(std::move(p));
}

result<bool> done_store::contains(const done_key& key) const {
  BOOST_OUTCOME_TRY(found, find(key));
  return found.has_value();
}

result<std::optional<done_record>> done_store::find(const done_key& key) const {
  const std::lock_guard lock(impl_->mutex);
  const std::string language = detail::ascii_lower(key.target_language);
  std::optional<done_record> out;
  BOOST_OUTCOME_TRY(
      impl_->run(q::find, {key.source_id, key.source_sha256, language}, [&](const sql::row& row) {
        done_record r;
        r.key = key;
        r.translated_id = row.text(0);
        r.translated_sha256 = row.text(1);
        r.done_at = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::milliseconds(row.int64(2))));
        out = std::move(r);
      }));
  return out;
}

result<void> done_store::mark_done(const done_record& record) {
  const std::lock_guard lock(impl_->mutex);
  return impl_->upsert_done(record.key, record.translated_id, record.translated_sha256,
                            to_ms(record.done_at));
}

result<std::size_t> done_store::learn(std::span<const translated_record> records) {
  const std::lock_guard lock(impl_->mutex);
  const auto now_ms = to_ms(std::chrono::system_clock::now());
  std::size_t translations = 0;
  std::optional<error> failed;  // the translation component's error of a failed step, if any
  auto body = [&](sql::connection&) -> sql::result<void> {
    for (const auto& r : records) {
      if (r.article != nullptr && !r.article->translation_of().empty()) {
        const auto& a = *r.article;
        std::int64_t done_at = now_ms;
        if (a.has_published_at() && a.published_at().seconds() > 0)
          done_at = to_ms(detail::from_timestamp(a.published_at()));
        const done_key key{a.translation_of(), a.translation_of_sha256(), a.language()};
        if (auto u = impl_->upsert_done(key, a.id(), a.content_sha256(), done_at); !u) {
          failed = u.error();
          return sql::error(sql::errc::storage, "");
        }
        ++translations;
      }
      if (!r.topic.empty()) {
        if (auto u = impl_->advance(r.topic, r.partition, r.offset + 1); !u) {
          failed = u.error();
          return sql::error(sql::errc::storage, "");
        }
      }
    }
    return sql::success();
  };
  if (auto r = sql::transaction(*impl_->db, body); !r) {
    if (failed) return *failed;
    return adopt(r.error());
  }
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
  std::optional<std::int64_t> out;
  BOOST_OUTCOME_TRY(impl_->run(q::resume_offset, {topic, std::int64_t{partition}},
                               [&](const sql::row& r) { out = r.int64(0); }));
  return out;
}

result<std::uint64_t> done_store::size() const {
  const std::lock_guard lock(impl_->mutex);
  std::uint64_t n = 0;
  BOOST_OUTCOME_TRY(
      impl_->run(q::size, {}, [&](const sql::row& r) { n = static_cast<std::uint64_t>(r.int64(0)); }));
  return n;
}

result<std::uint64_t> done_store::forget(std::string_view target_language) {
  const std::lock_guard lock(impl_->mutex);
  const std::string lang = detail::ascii_lower(target_language);
  BOOST_OUTCOME_TRY(n, impl_->run(q::forget, {lang}));
  return static_cast<std::uint64_t>(n);
}

result<std::uint64_t> done_store::prune(std::chrono::system_clock::time_point before) {
  const std::lock_guard lock(impl_->mutex);
  BOOST_OUTCOME_TRY(n, impl_->run(q::prune, {to_ms(before)}));
  return static_cast<std::uint64_t>(n);
}

}  // namespace syn::translation
