#pragma once
/// Which jobs the translator has already done: a job for (source id, source hash, target
/// language) that is done is not translated again.
///
/// The translated topic is the record of truth; this store is a local SQLite index of it, one per
/// translator instance (docs/TRANSLATION.md has the reasoning):
/// - after producing a translated article (committed in the same Kafka transaction as the job's
///   offset) the worker calls mark_done();
/// - on start, and continuously in the background, the worker reads the translated topic from
///   resume_offset() onwards (all partitions: jobs of one article may have been done by another
///   instance before a rebalance) and feeds every record to learn(), which records the article's
///   (translation_of, translation_of_sha256, language) and the position in one transaction;
/// - before translating, contains() answers "done already?". A lost or deleted store is rebuilt
///   from the topic: nothing here must survive, so `synchronous=NORMAL` suffices.
///
/// A false "not done" (store behind the topic) costs one redundant translation whose output has
/// the same id and, for a deterministic engine, the same hash: sinks ignore it. A false "done" can
/// only come from a record of the translated topic, i.e. the translation exists.
///
/// Languages are compared case-insensitively (stored lower-case). Thread-safe: calls are
/// serialised on the store's one connection. Errors: errc::store_unavailable (cannot open, I/O,
/// disk full, read-only), errc::store_busy (locked by another connection past the busy timeout),
/// both retriable; errc::store_corrupt (corrupt file, schema newer than this build), permanent.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "syn/translation/error.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::translation {

/// What identifies a job's work (its job id is derived from the same three).
struct done_key {
  std::string source_id;
  std::string source_sha256;
  std::string target_language;
};

struct done_record {
  done_key key;
  std::string translated_id;
  std::string translated_sha256;
  std::chrono::system_clock::time_point done_at;
};

/// A record read from the translated topic.
struct translated_record {
  const syndication::v1::Article* article = nullptr;
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

class done_store {
 public:
  /// Opens or creates the store at `path` (parent directory must exist; `:memory:` for a private
  /// in-memory store) and migrates its schema.
  [[nodiscard]] static result<done_store> open(const std::string& path);

  done_store(done_store&&) noexcept;
  done_store& operator=(done_store&&) noexcept;
  ~done_store();

  [[nodiscard]] result<bool> contains(const done_key& key) const;
  [[nodiscard]] result<std::optional<done_record>> find(const done_key& key) const;

  /// Records `record` (replacing an older record of the same key).
  [[nodiscard]] result<void> mark_done(const done_record& record);

  /// Records each translation (an article with translation_of set; other records only advance the
  /// position) and the topic positions after them, in one transaction. Returns how many were
  /// translations.
  [[nodiscard]] result<std::size_t> learn(std::span<const translated_record> records);
  /// One record; true when it was a translation.
  [[nodiscard]] result<bool> learn(const syndication::v1::Article& translated, std::string_view topic,
                                   std::int32_t partition, std::int64_t offset);

  /// The offset to resume reading `topic`/`partition` from (one past the last learned record), or
  /// nullopt when nothing was learned from it (read from the beginning).
  [[nodiscard]] result<std::optional<std::int64_t>> resume_offset(std::string_view topic,
                                                                  std::int32_t partition) const;

  /// Number of done records.
  [[nodiscard]] result<std::uint64_t> size() const;

  /// Forgets every record for `target_language` (after its engine or variant changed, to have the
  /// articles translated again). Returns how many were removed.
  [[nodiscard]] result<std::uint64_t> forget(std::string_view target_language);

  /// Forgets records done before `before` (to bound the file). A job replayed after that is
  /// translated again: harmless, the sinks are idempotent. Returns how many were removed.
  [[nodiscard]] result<std::uint64_t> prune(std::chrono::system_clock::time_point before);

 private:
  struct impl;
  explicit done_store(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::translation
