#include "sql_store.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <set>
#include <utility>

#include "syn/archive/text.hpp"
#include "syn/archive/validate.hpp"
#include "syn/core/sha256.hpp"

namespace syn::archive {

using sql::param;
using sql::row;
using sql::stmt;

std::string_view dialect::sql(stmt s) const noexcept {
  switch (s) {
    case stmt::migrations_applied:
      return "SELECT version FROM schema_migrations ORDER BY version";
    case stmt::migration_record:
      return "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";
    case stmt::article_head:
      return "SELECT article_key, current_revision, revision_count, current_published_us FROM articles "
             "WHERE id = $1";
    case stmt::article_find_revision:
      return "SELECT revision FROM article_revisions WHERE article_id = $1 AND content_sha256 = $2";
    case stmt::article_insert_revision:
      return "INSERT INTO article_revisions (article_id, revision, content_sha256, issue_id, paper, "
             "issue_date, "
             "language, page, sequence, headline, translation_of, translation_of_sha256, published_us, "
             "stored_at, "
             "article) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
    case stmt::article_upsert:
      return "INSERT INTO articles (id, current_revision, revision_count, current_published_us, updated_at) "
             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET "
             "current_revision = excluded.current_revision, revision_count = excluded.revision_count, "
             "current_published_us = excluded.current_published_us, updated_at = excluded.updated_at";
    case stmt::article_key:
      return "SELECT article_key FROM articles WHERE id = $1";
    case stmt::search_delete:
    case stmt::search_insert:
      return {};  // dialect-specific
    case stmt::issue_head:
      return "SELECT current_revision, revision_count, current_published_us FROM issues WHERE issue_id = $1";
    case stmt::issue_find_revision:
      return "SELECT revision FROM issue_revisions WHERE issue_id = $1 AND content_key = $2";
    case stmt::issue_insert_revision:
      return "INSERT INTO issue_revisions (issue_id, revision, content_key, paper, issue_date, "
             "source_sha256, "
             "article_count, published_us, stored_at, manifest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
             "$10)";
    case stmt::issue_upsert:
      return "INSERT INTO issues (issue_id, current_revision, revision_count, current_published_us, "
             "updated_at) "
             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issue_id) DO UPDATE SET "
             "current_revision = excluded.current_revision, revision_count = excluded.revision_count, "
             "current_published_us = excluded.current_published_us, updated_at = excluded.updated_at";
    case stmt::raw_insert:
      return "INSERT INTO raw_issues (sha256, size, source_name, stored_at, bytes) VALUES ($1, $2, $3, $4, "
             "$5) "
             "ON CONFLICT (sha256) DO NOTHING";
    case stmt::raw_get:
      return "SELECT bytes FROM raw_issues WHERE sha256 = $1";
    case stmt::article_load_current:
      return "SELECT r.revision, r.stored_at, r.article, a.current_revision, a.revision_count "
             "FROM articles a JOIN article_revisions r ON r.article_id = a.id AND r.revision = "
             "a.current_revision "
             "WHERE a.id = $1";
    case stmt::article_load_revision:
      return "SELECT r.revision, r.stored_at, r.article, a.current_revision, a.revision_count "
             "FROM articles a JOIN article_revisions r ON r.article_id = a.id "
             "WHERE a.id = $1 AND r.revision = $2";
    case stmt::article_history:
      return "SELECT revision, content_sha256, stored_at, published_us FROM article_revisions "
             "WHERE article_id = $1 ORDER BY revision";
    case stmt::article_translations:
      return "SELECT article_id, language, revision FROM article_revisions "
             "WHERE translation_of = $1 AND translation_of_sha256 = $2 ORDER BY article_id, revision";
    case stmt::issue_load_current:
      return "SELECT r.revision, r.stored_at, r.manifest, i.revision_count, "
             "CASE WHEN EXISTS (SELECT 1 FROM raw_issues w WHERE w.sha256 = r.source_sha256) THEN 1 ELSE 0 "
             "END "
             "FROM issues i JOIN issue_revisions r ON r.issue_id = i.issue_id AND r.revision = "
             "i.current_revision "
             "WHERE i.issue_id = $1";
    case stmt::count_:
      break;
  }
  return {};
}

syn::sql::statements statements_of(const dialect& d) {
  syn::sql::statements out;
  out.reserve(sql::stmt_count);
  for (std::size_t i = 0; i < sql::stmt_count; ++i) out.emplace_back(d.sql(static_cast<stmt>(i)));
  return out;
}

std::string like_pattern(std::string_view term) {
  std::string out = "%";
  for (const char c : term) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string like_score(std::string_view pos_fn, std::string_view headline, std::string_view body,
                       const std::string& p) {
  const std::string fn(pos_fn);
  const std::string h = "lower(" + std::string(headline) + ")";
  const std::string b = "lower(" + std::string(body) + ")";
  const std::string count =
      "((length(" + b + ") - length(replace(" + b + ", " + p + ", ''))) * 1.0 / length(" + p + "))";
  const std::string first = fn + "(" + b + ", " + p + ")";
  return "(CASE WHEN " + fn + "(" + h + ", " + p + ") > 0 THEN 3.0 ELSE 0.0 END + " + count + " * 2.2 / (" +
         count + " + 1.2) + CASE WHEN " + first + " > 0 THEN 1.0 / (1.0 + " + first +
         " / 100.0) ELSE 0.0 END)";
}

namespace {

constexpr int max_search_limit = 1000;

/// Now, ISO 8601 UTC with milliseconds.
std::string now_iso() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  const int n =
      std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return {buf.data(), static_cast<std::size_t>(n)};
}

std::int64_t micros(const google::protobuf::Timestamp& ts) noexcept {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

/// NULL for "unknown" (0).
param nullable(std::int64_t v) {
  if (v == 0) return nullptr;
  return v;
}

/// A newer record wins; when either side has no publish time, arrival order decides.
bool supersedes(std::int64_t incoming, std::int64_t current) noexcept {
  return incoming == 0 || current == 0 || incoming >= current;
}

std::string serialize_deterministic(const google::protobuf::MessageLite& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    m.SerializeWithCachedSizes(&coded);
  }
  return out;
}

/// What identifies a manifest's content: the manifest with its publication metadata cleared
/// (published_at, source_name, splitter_version), serialised deterministically, hashed.
std::string manifest_content_key(const syndication::v1::IssueManifest& m) {
  syndication::v1::IssueManifest copy = m;
  copy.clear_published_at();
  copy.clear_source_name();
  copy.clear_splitter_version();
  (void)copy.ByteSizeLong();  // caches sizes for SerializeWithCachedSizes
  return sha256_hex(serialize_deterministic(copy));
}

struct head {
  std::int64_t key = 0;
  int current = 0;
  int count = 0;
  std::int64_t current_published_us = 0;
};

int to_int(std::int64_t v) noexcept { return static_cast<int>(v); }

class sql_store final : public store {
 public:
  sql_store(std::unique_ptr<sql::connection> conn, const dialect& d, const store_options& options,
            int version, std::vector<std::string> notices)
      : conn_(std::move(conn)),
        dialect_(d),
        options_(options),
        version_(version),
        notices_(std::move(notices)) {}

  result<std::vector<record_outcome>> write(std::span<const record> batch) override {
    if (options_.mode == open_mode::read_only)
      return error(errc::read_only, "cannot write: archive opened read-only");
    std::vector<record_outcome> out(batch.size());
    bool any = false;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::optional<std::string> why = std::visit(
          [](const auto* r) -> std::optional<std::string> {
            if (r == nullptr) return "null record";
            return validate(*r);
          },
          batch[i]);
      if (why) {
        out[i] = {record_outcome::rejected, 0, std::move(*why)};
      } else {
        any = true;
      }
    }
    if (!any) return out;

    const std::string now = now_iso();
    BOOST_OUTCOME_TRY(conn_->begin());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (out[i].kind == record_outcome::rejected) continue;
      auto r = std::visit([&](const auto* rec) { return put(*rec, now); }, batch[i]);
      if (!r) {
        conn_->rollback();
        return std::move(r).error();
      }
      out[i] = std::move(r).value();
    }
    if (auto c = conn_->commit(); !c) {
      conn_->rollback();
      return std::move(c).error();
    }
    return out;
  }

  result<bool> put_raw(std::string_view sha256, std::string_view bytes,
                       std::string_view source_name) override {
    if (options_.mode == open_mode::read_only)
      return error(errc::read_only, "cannot write: archive opened read-only");
    if (!is_sha256_hex(sha256)) {
      return error(errc::invalid_record, "raw issue: sha256 is not 64 lowercase hex digits: \"" +
                                             std::string(sha256.substr(0, 80)) + "\"");
    }
    if (const std::string actual = sha256_hex(bytes); actual != sha256) {
      return error(errc::invalid_record,
                   "raw issue: the bytes hash to " + actual + ", not " + std::string(sha256));
    }
    const std::string now = now_iso();
    const std::array<param, 5> p{sha256, static_cast<std::int64_t>(bytes.size()), source_name,
                                 std::string_view(now), sql::blob{bytes}};
    BOOST_OUTCOME_TRY(changed, conn_->run(stmt::raw_insert, p, {}));
    return changed > 0;
  }

  result<std::string> raw(std::string_view sha256) override {
    std::optional<std::string> bytes;
    const std::array<param, 1> p{sha256};
    BOOST_OUTCOME_TRY(conn_->run(stmt::raw_get, p, [&](const row& r) { bytes = r.bytes(0); }));
    if (!bytes) return error(errc::not_found, "no raw issue " + std::string(sha256) + " in the archive");
    return std::move(*bytes);
  }

  result<stored_article> get(std::string_view id, std::optional<int> revision) override {
    std::optional<stored_article> found;
    std::string blob;
    const auto on_row = [&](const row& r) {
      found.emplace();
      found->revision = to_int(r.int64(0));
      found->stored_at = r.text(1);
      blob = r.bytes(2);
      found->current_revision = to_int(r.int64(3));
      found->revision_count = to_int(r.int64(4));
    };
    if (revision) {
      const std::array<param, 2> p{id, static_cast<std::int64_t>(*revision)};
      BOOST_OUTCOME_TRY(conn_->run(stmt::article_load_revision, p, on_row));
    } else {
      const std::array<param, 1> p{id};
      BOOST_OUTCOME_TRY(conn_->run(stmt::article_load_current, p, on_row));
    }
    if (!found) {
      if (revision) {
        // Say whether the article exists at all.
        auto any = get(id, std::nullopt);
        if (any) {
          return error(errc::not_found, "article " + std::string(id) + " has no revision " +
                                            std::to_string(*revision) + " (revisions 1.." +
                                            std::to_string(any.value().revision_count) + ")");
        }
      }
      return error(errc::not_found, "no article " + std::string(id) + " in the archive");
    }
    if (!found->article.ParseFromString(blob)) {
      return error(errc::storage, "article " + std::string(id) + " revision " +
                                      std::to_string(found->revision) +
                                      ": stored bytes are not a valid Article");
    }
    const std::array<param, 1> pid{id};
    BOOST_OUTCOME_TRY(conn_->run(stmt::article_history, pid, [&](const row& r) {
      found->history.push_back({to_int(r.int64(0)), r.text(1), r.text(2), r.is_null(3) ? 0 : r.int64(3)});
    }));
    const auto& a = found->article;
    if (!a.translation_of().empty()) {
      const std::array<param, 2> p{std::string_view(a.translation_of()),
                                   std::string_view(a.translation_of_sha256())};
      BOOST_OUTCOME_TRY(conn_->run(stmt::article_find_revision, p, [&](const row& r) {
        found->translation_of_revision = to_int(r.int64(0));
      }));
    }
    const std::array<param, 2> pt{std::string_view(a.id()), std::string_view(a.content_sha256())};
    BOOST_OUTCOME_TRY(conn_->run(stmt::article_translations, pt, [&](const row& r) {
      found->translations.push_back({r.text(0), r.text(1), to_int(r.int64(2))});
    }));
    return std::move(*found);
  }

  result<stored_issue> issue(std::string_view issue_id) override {
    std::optional<stored_issue> found;
    std::string blob;
    const std::array<param, 1> p{issue_id};
    BOOST_OUTCOME_TRY(conn_->run(stmt::issue_load_current, p, [&](const row& r) {
      found.emplace();
      found->revision = to_int(r.int64(0));
      found->stored_at = r.text(1);
      blob = r.bytes(2);
      found->revision_count = to_int(r.int64(3));
      found->raw_available = r.int64(4) != 0;
    }));
    if (!found) return error(errc::not_found, "no issue " + std::string(issue_id) + " in the archive");
    if (!found->manifest.ParseFromString(blob)) {
      return error(errc::storage,
                   "issue " + std::string(issue_id) + ": stored bytes are not a valid IssueManifest");
    }
    return std::move(*found);
  }

  result<issue_export> export_issue(std::string_view issue_id) override {
    issue_export out;
    auto head_issue = issue(issue_id);
    if (!head_issue) return std::move(head_issue).error();
    out.issue = std::move(head_issue).value();
    const auto& m = out.issue.manifest;
    for (int i = 0; i < m.article_ids_size(); ++i) {
      const std::string& id = m.article_ids(i);
      std::optional<int> rev;
      const std::array<param, 2> p{std::string_view(id), std::string_view(m.article_hashes(i))};
      BOOST_OUTCOME_TRY(
          conn_->run(stmt::article_find_revision, p, [&](const row& r) { rev = to_int(r.int64(0)); }));
      auto a = get(id, rev);
      if (!a) {
        if (a.error() == errc::not_found) {
          out.missing.push_back(id);
          continue;
        }
        return std::move(a).error();
      }
      if (!rev) out.hash_mismatch.push_back(id);
      out.articles.push_back(std::move(a).value());
    }
    return out;
  }

  result<std::vector<search_hit>> search(const search_query& q) override {
    const std::vector<std::string> terms = query_terms(q.text);
    if (terms.empty()) return error(errc::bad_argument, "empty search query");
    if (q.limit < 1 || q.limit > max_search_limit) {
      return error(errc::bad_argument, "limit must be 1.." + std::to_string(max_search_limit) + ", got " +
                                           std::to_string(q.limit));
    }
    for (const auto* d : {&q.from, &q.to}) {
      if (!d->empty() && !is_iso_date(*d)) {
        return error(errc::bad_argument, "not an ISO date (YYYY-MM-DD): \"" + *d + "\"");
      }
    }
    const search_sql s = dialect_.search(q, terms);
    std::vector<search_hit> hits;
    BOOST_OUTCOME_TRY(conn_->run_text(s.text, s.params, [&](const row& r) {
      search_hit h;
      h.id = r.text(0);
      h.issue_id = r.text(1);
      h.paper = r.text(2);
      h.issue_date = r.text(3);
      h.language = r.text(4);
      h.headline = r.text(5);
      const std::string body = r.text(6);
      h.revision = to_int(r.int64(7));
      h.score = r.real(8);
      h.snippet = make_snippet(body, terms);
      if (h.snippet.empty()) h.snippet = make_snippet(h.headline, terms);
      hits.push_back(std::move(h));
    }));
    return hits;
  }

  [[nodiscard]] bool indexes_behind() const noexcept override { return !dialect_.index_pending(1).empty(); }

  result<std::int64_t> index_pending(std::int64_t max_articles) override {
    if (options_.mode == open_mode::read_only)
      return error(errc::read_only, "cannot index: archive opened read-only");
    const std::vector<std::string> steps = dialect_.index_pending(max_articles);
    if (steps.empty()) return 0;
    BOOST_OUTCOME_TRY(conn_->begin());
    std::int64_t moved = 0;
    for (const auto& text : steps) {
      auto r = conn_->run_text(text, {}, {});
      if (!r) {
        conn_->rollback();
        return std::move(r).error();
      }
      moved = r.value();
    }
    if (auto c = conn_->commit(); !c) {
      conn_->rollback();
      return std::move(c).error();
    }
    return moved;
  }

  result<std::int64_t> queued_for_index() override {
    const auto text = dialect_.count_pending();
    if (text.empty()) return 0;
    std::int64_t n = 0;
    BOOST_OUTCOME_TRY(conn_->run_text(text, {}, [&](const sql::row& r) { n = r.int64(0); }));
    return n;
  }

  [[nodiscard]] std::string_view backend() const noexcept override { return dialect_.name(); }
  [[nodiscard]] int schema_version() const noexcept override { return version_; }
  [[nodiscard]] std::vector<std::string> notices() const override { return notices_; }

 private:
  result<record_outcome> put(const syndication::v1::Article& a, const std::string& now) {
    const std::string_view id = a.id();
    const std::string_view sha = a.content_sha256();
    std::optional<head> h;
    const std::array<param, 1> pid{id};
    BOOST_OUTCOME_TRY(conn_->run(stmt::article_head, pid, [&](const row& r) {
      h = head{r.int64(0), to_int(r.int64(1)), to_int(r.int64(2)), r.is_null(3) ? 0 : r.int64(3)};
    }));
    std::optional<int> existing;
    if (h) {
      const std::array<param, 2> p{id, sha};
      BOOST_OUTCOME_TRY(
          conn_->run(stmt::article_find_revision, p, [&](const row& r) { existing = to_int(r.int64(0)); }));
    }
    const std::int64_t published = a.has_published_at() ? micros(a.published_at()) : 0;

    if (existing) {
      if (*existing == h->current || !supersedes(published, h->current_published_us)) {
        return record_outcome{record_outcome::unchanged, *existing, {}};
      }
      BOOST_OUTCOME_TRY(key, upsert_article(id, *existing, h->count, published, now, h->key));
      BOOST_OUTCOME_TRY(index_current(key, a, true));
      return record_outcome{record_outcome::made_current, *existing, {}};
    }

    const int rev = h ? h->count + 1 : 1;
    const std::string bytes = a.SerializeAsString();
    const std::array<param, 15> p{id,
                                  std::int64_t{rev},
                                  sha,
                                  std::string_view(a.issue_id()),
                                  std::string_view(a.paper()),
                                  std::string_view(a.issue_date()),
                                  std::string_view(a.language()),
                                  std::int64_t{a.page()},
                                  std::int64_t{a.sequence()},
                                  std::string_view(a.headline()),
                                  std::string_view(a.translation_of()),
                                  std::string_view(a.translation_of_sha256()),
                                  nullable(published),
                                  std::string_view(now),
                                  sql::blob{bytes}};
    BOOST_OUTCOME_TRY(conn_->run(stmt::article_insert_revision, p, {}));
    const bool current = !h || supersedes(published, h->current_published_us);
    BOOST_OUTCOME_TRY(key, upsert_article(id, current ? rev : h->current, rev,
                                          current ? published : h->current_published_us, now,
                                          h ? std::optional<std::int64_t>(h->key) : std::nullopt));
    if (current) {
      BOOST_OUTCOME_TRY(index_current(key, a, h.has_value()));
    }
    return record_outcome{current ? record_outcome::added : record_outcome::added_not_current, rev, {}};
  }

  /// Inserts or updates the article's row; returns its key (`known_key` when it had a row).
  result<std::int64_t> upsert_article(std::string_view id, int current, int count, std::int64_t published,
                                      const std::string& now, std::optional<std::int64_t> known_key) {
    const std::array<param, 5> p{id, std::int64_t{current}, std::int64_t{count}, nullable(published),
                                 std::string_view(now)};
    BOOST_OUTCOME_TRY(conn_->run(stmt::article_upsert, p, {}));
    if (known_key) return *known_key;
    // Not `RETURNING article_key`: in SQLite a RETURNING statement opens a statement savepoint,
    // and every savepoint makes FTS5 flush its pending terms into a new index segment, which made
    // each article cost a segment write and its merges (2x slower batches).
    std::int64_t key = 0;
    const std::array<param, 1> pid{id};
    BOOST_OUTCOME_TRY(conn_->run(stmt::article_key, pid, [&](const row& r) { key = r.int64(0); }));
    return key;
  }

  /// Makes `a` the searchable text of the article with key `key` (SQLite: queues it in
  /// search_pending for index_pending); `replace`: the article has a row to replace (a first
  /// revision has none: skipping the delete saves an index lookup). A dialect whose search_insert
  /// replaces by itself has no search_delete.
  result<void> index_current(std::int64_t key, const syndication::v1::Article& a, bool replace) {
    if (replace && !dialect_.sql(stmt::search_delete).empty()) {
      const std::array<param, 1> pk{key};
      BOOST_OUTCOME_TRY(conn_->run(stmt::search_delete, pk, {}));
    }
    const std::string body = search_body(a);
    const std::array<param, 8> p{key,
                                 std::string_view(a.id()),
                                 std::string_view(a.issue_id()),
                                 std::string_view(a.paper()),
                                 std::string_view(a.issue_date()),
                                 std::string_view(a.language()),
                                 std::string_view(a.headline()),
                                 std::string_view(body)};
    BOOST_OUTCOME_TRY(conn_->run(stmt::search_insert, p, {}));
    return success();
  }

  result<record_outcome> put(const syndication::v1::IssueManifest& m, const std::string& now) {
    const std::string_view id = m.issue_id();
    const std::string key = manifest_content_key(m);
    std::optional<head> h;
    const std::array<param, 1> pid{id};
    BOOST_OUTCOME_TRY(conn_->run(stmt::issue_head, pid, [&](const row& r) {
      h = head{0, to_int(r.int64(0)), to_int(r.int64(1)), r.is_null(2) ? 0 : r.int64(2)};
    }));
    std::optional<int> existing;
    if (h) {
      const std::array<param, 2> p{id, std::string_view(key)};
      BOOST_OUTCOME_TRY(
          conn_->run(stmt::issue_find_revision, p, [&](const row& r) { existing = to_int(r.int64(0)); }));
    }
    const std::int64_t published = m.has_published_at() ? micros(m.published_at()) : 0;
    if (existing) {
      if (*existing == h->current || !supersedes(published, h->current_published_us)) {
        return record_outcome{record_outcome::unchanged, *existing, {}};
      }
      BOOST_OUTCOME_TRY(upsert_issue(id, *existing, h->count, published, now));
      return record_outcome{record_outcome::made_current, *existing, {}};
    }
    const int rev = h ? h->count + 1 : 1;
    const std::string bytes = m.SerializeAsString();
    const std::array<param, 10> p{id,
                                  std::int64_t{rev},
                                  std::string_view(key),
                                  std::string_view(m.paper().code()),
                                  std::string_view(m.issue_date()),
                                  std::string_view(m.source_sha256()),
                                  std::int64_t{m.article_ids_size()},
                                  nullable(published),
                                  std::string_view(now),
                                  sql::blob{bytes}};
    BOOST_OUTCOME_TRY(conn_->run(stmt::issue_insert_revision, p, {}));
    const bool current = !h || supersedes(published, h->current_published_us);
    BOOST_OUTCOME_TRY(upsert_issue(id, current ? rev : h->current, rev,
                                   current ? published : h->current_published_us, now));
    return record_outcome{current ? record_outcome::added : record_outcome::added_not_current, rev, {}};
  }

  result<void> upsert_issue(std::string_view id, int current, int count, std::int64_t published,
                            const std::string& now) {
    const std::array<param, 5> p{id, std::int64_t{current}, std::int64_t{count}, nullable(published),
                                 std::string_view(now)};
    BOOST_OUTCOME_TRY(conn_->run(stmt::issue_upsert, p, {}));
    return success();
  }

  std::unique_ptr<sql::connection> conn_;
  const dialect& dialect_;
  store_options options_;
  int version_;
  std::vector<std::string> notices_;
};

}  // namespace

result<int> migrate(sql::connection& conn, const dialect& d, open_mode mode) {
  const int latest = latest_schema_version();
  const auto applied_versions = [&]() -> result<std::set<int>> {
    std::set<int> applied;
    BOOST_OUTCOME_TRY(
        conn.run(stmt::migrations_applied, {}, [&](const row& r) { applied.insert(to_int(r.int64(0))); }));
    return applied;
  };
  const auto too_new = [&](const std::set<int>& applied) -> std::optional<error> {
    if (!applied.empty() && *applied.rbegin() > latest) {
      return error(errc::schema, "the archive's schema is at version " + std::to_string(*applied.rbegin()) +
                                     ", newer than this syndicate knows (" + std::to_string(latest) +
                                     "): upgrade syndicate");
    }
    return std::nullopt;
  };

  if (mode == open_mode::read_only) {
    auto applied = applied_versions();
    if (!applied) {
      return error(errc::schema, "not an archive (no schema_migrations table): " + applied.error().message());
    }
    if (auto e = too_new(applied.value())) return *e;
    for (const auto& m : migrations()) {
      if (applied.value().count(m.version) == 0) {
        return error(errc::schema, "the archive's schema lacks migration " + std::to_string(m.version) +
                                       " (" + std::string(m.name) +
                                       "): open it once read-write (the archive consumer migrates on start)");
      }
    }
    return latest;
  }

  // Lock first, then create: two PostgreSQL sessions racing on CREATE TABLE IF NOT EXISTS can
  // both miss the table and one fails on the catalog's unique index.
  BOOST_OUTCOME_TRY(conn.begin());
  const auto fail = [&](error e) -> result<int> {
    conn.rollback();
    return e;
  };
  if (const auto lock = d.migration_lock(); !lock.empty()) {
    if (auto r = conn.execute(lock); !r) return fail(r.error());
  }
  if (auto r = conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                            "name TEXT NOT NULL, applied_at TEXT NOT NULL)");
      !r) {
    return fail(r.error());
  }
  auto applied = applied_versions();
  if (!applied) return fail(applied.error());
  if (auto e = too_new(applied.value())) return fail(*e);
  const std::string now = now_iso();
  for (const auto& m : migrations()) {
    if (applied.value().count(m.version) != 0) continue;
    if (auto r = conn.execute(d.script(m)); !r) {
      return fail(error(r.error().value() == errc::storage ? errc::schema : r.error().value(),
                        "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                            ") failed: " + r.error().message()));
    }
    const std::array<param, 3> p{std::int64_t{m.version}, m.name, std::string_view(now)};
    if (auto r = conn.run(stmt::migration_record, p, {}); !r) return fail(r.error());
  }
  if (auto r = conn.commit(); !r) return fail(r.error());
  return latest;
}

std::unique_ptr<store> make_sql_store(std::unique_ptr<sql::connection> conn, const dialect& d,
                                      const store_options& options, int schema_version,
                                      std::vector<std::string> notices) {
  return std::make_unique<sql_store>(std::move(conn), d, options, schema_version, std::move(notices));
}

}  // namespace syn::archive
