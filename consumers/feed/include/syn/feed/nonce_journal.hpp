#pragma once
/// The WeChat callback's replay guard on disk (issue 16: with the nonce cache in memory only, a
/// signed callback replayed after a restart of `serve feeds`, within the ±300 s window, was
/// taken). One line per reservation, `<expiry> <key>`, and `- <key>` when one is released;
/// each append is fdatasync'd before the request it covers is taken. Opening reads what is still
/// live and rewrites the file with only that; the file is rewritten again whenever its lines
/// outnumber the live entries, so it stays bounded by the rate of signed callbacks times the
/// window. Keys are the guard's digests (hex, no spaces or newlines). Not thread-safe: the
/// replay guard calls it under its lock.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace syn::feed::callback {

class nonce_journal {
 public:
  /// Opens `file` (created 0600; a symlink is refused), loads into `live` every entry whose
  /// expiry is at or after `now`, and compacts the file to those. Throws std::runtime_error
  /// naming the file and the system error.
  nonce_journal(std::filesystem::path file, std::int64_t now, std::map<std::string, std::int64_t>& live);
  ~nonce_journal();
  nonce_journal(const nonce_journal&) = delete;
  nonce_journal& operator=(const nonce_journal&) = delete;

  /// Appends a reservation and syncs it to disk; false (logged) when it could not be written.
  [[nodiscard]] bool add(std::string_view key, std::int64_t expiry);
  /// Appends a release; false (logged) when it could not be written.
  bool remove(std::string_view key);
  /// Rewrites the file with `live` once it holds more than twice as many lines (and over 1,024);
  /// a failure is logged and the file kept as it is.
  void maybe_compact(const std::map<std::string, std::int64_t>& live);

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

 private:
  void rewrite(const std::map<std::string, std::int64_t>& live);
  bool append(const std::string& line);

  std::filesystem::path file_;
  int fd_ = -1;
  std::size_t lines_ = 0;
};

}  // namespace syn::feed::callback
