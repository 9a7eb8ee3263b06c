#pragma once
/// The trigger's durable spool: an issue accepted over HTTP is written here (one file per issue,
/// fsync'd, then renamed into place and the directory fsync'd) before the trigger answers 202,
/// and removed once its transaction has committed. At start-up every file left is published
/// again; that is idempotent (an issue the topic already holds is `unchanged`), so a kill -9
/// between the commit and the removal costs nothing. See docs/OPERATIONS.md, "The trigger".
///
/// Also keeps the `Idempotency-Key`s the trigger has answered (an append-only log, fsync'd with
/// the issue, compacted at start-up), so a client's retry gets the first answer even after a
/// restart.
///
/// Thread-safety: every member may be called from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syn::producer {

/// Writes `bytes` to `dir/name` so that it survives a crash: to a temporary name, fsync, rename,
/// fsync of `dir`. \throws std::runtime_error naming the file on any failure.
void write_durably(const std::filesystem::path& dir, const std::string& name, std::string_view bytes);

/// What a spooled issue carries besides its text: how it was asked for.
struct spooled_request {
  std::string paper;            ///< `paper` query parameter, or ""
  std::string date;             ///< `date` query parameter, or ""
  std::string source;           ///< source name for the manifest
  std::string who;              ///< client address
  std::string issue_id;         ///< as split when accepted
  std::string idempotency_key;  ///< or ""
};

struct spooled_issue {
  std::filesystem::path file;
  spooled_request request;
  std::string body;
};

/// An `Idempotency-Key` already answered: the request it came with and the issue it made.
struct idempotent_answer {
  std::string request_sha256;
  std::string issue_id;
  std::vector<std::string> article_ids;
};

class spool {
 public:
  /// Opens (creating) `dir`, its `failed/` subfolder and the idempotency log; keys older than
  /// `key_ttl` are dropped, at most `max_keys` newest kept. \throws std::runtime_error.
  spool(std::filesystem::path dir, std::chrono::seconds key_ttl, std::size_t max_keys);
  ~spool();
  spool(const spool&) = delete;
  spool& operator=(const spool&) = delete;

  /// Makes `body` durable; returns its file. \throws std::runtime_error (disk full, ...).
  std::filesystem::path put(const spooled_request& request, std::string_view body);
  /// The issue is published: forget it (not fsync'd: replaying it would be a no-op).
  void done(const std::filesystem::path& file);
  /// The issue can never be published: moved to `failed/` with a `.error` note beside it.
  void reject(const std::filesystem::path& file, const std::string& why);
  /// Every spooled issue, oldest first (start-up replay). Files that cannot be read or parsed
  /// are rejected to `failed/` with the reason, not returned.
  std::vector<spooled_issue> pending();

  /// The answer given for `key`, if any.
  std::optional<idempotent_answer> answered(const std::string& key);
  /// Records the answer for `key` durably (before the client sees it).
  void remember(const std::string& key, const idempotent_answer& answer);

  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  void compact_keys();  // rewrites the log from keys_; mu_ held
  void evict_keys(std::int64_t now);

  std::filesystem::path dir_;
  std::chrono::seconds key_ttl_;
  std::size_t max_keys_;
  std::mutex mu_;
  std::uint64_t seq_ = 0;
  struct key_entry {
    idempotent_answer answer;
    std::int64_t at = 0;  // unix seconds
  };
  std::map<std::string, key_entry> keys_;
  std::deque<std::pair<std::int64_t, std::string>> key_order_;  // (at, key), oldest first
  std::size_t key_log_lines_ = 0;
  int key_log_fd_ = -1;
};

}  // namespace syn::producer
