#include "syn/feed/nonce_journal.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "syn/core/log.hpp"

namespace syn::feed::callback {
namespace {

std::string errno_text() { return std::error_code(errno, std::system_category()).message(); }

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

int open_append(const std::filesystem::path& file) {
  return ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

}  // namespace

nonce_journal::nonce_journal(std::filesystem::path file, std::int64_t now,
                             std::map<std::string, std::int64_t>& live)
    : file_(std::move(file)) {
  // Its folder as the SQLite state's is made (a fresh `var/`), then the file (O_NOFOLLOW: a
  // symlink planted in its place is refused, never written through).
  if (const auto dir = file_.parent_path(); !dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);  // a failure shows in the open below
  }
  fd_ = open_append(file_);
  if (fd_ < 0) throw std::runtime_error("callback nonce journal " + file_.string() + ": " + errno_text());
  {
    std::ifstream in(file_);
    std::string line;
    while (std::getline(in, line)) {
      // A line cut short by a crash mid-append has no newline and no valid form: skipped.
      const auto space = line.find(' ');
      if (space == std::string::npos || space + 1 >= line.size()) continue;
      const std::string key = line.substr(space + 1);
      if (line.compare(0, space, "-") == 0) {
        live.erase(key);
        continue;
      }
      std::int64_t expiry = 0;
      const auto [end, ec] = std::from_chars(line.data(), line.data() + space, expiry);
      if (ec != std::errc() || end != line.data() + space) continue;
      if (expiry >= now) live[key] = expiry;
    }
    if (in.bad()) throw std::runtime_error("callback nonce journal " + file_.string() + ": read error");
  }
  rewrite(live);
  if (fd_ < 0) throw std::runtime_error("callback nonce journal " + file_.string() + ": " + errno_text());
}

nonce_journal::~nonce_journal() {
  if (fd_ >= 0) ::close(fd_);
}

bool nonce_journal::append(const std::string& line) {
  if (fd_ < 0) fd_ = open_append(file_);
  if (fd_ >= 0 && write_all(fd_, line) && ::fdatasync(fd_) == 0) {
    ++lines_;
    return true;
  }
  log::get("feed-server")
      .error("callback nonce journal {}: cannot record a nonce: {}", file_.string(), errno_text());
  return false;
}

bool nonce_journal::add(std::string_view key, std::int64_t expiry) {
  return append(std::to_string(expiry) + " " + std::string(key) + "\n");
}

bool nonce_journal::remove(std::string_view key) { return append("- " + std::string(key) + "\n"); }

void nonce_journal::maybe_compact(const std::map<std::string, std::int64_t>& live) {
  if (lines_ > 1024 && lines_ > 2 * live.size()) rewrite(live);
}

void nonce_journal::rewrite(const std::map<std::string, std::int64_t>& live) {
  // Write beside, sync, rename over: a crash leaves the old file or the new one, never half.
  const std::filesystem::path tmp = file_.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  std::string body;
  for (const auto& [key, expiry] : live) body += std::to_string(expiry) + " " + key + "\n";
  const bool ok = fd >= 0 && write_all(fd, body) && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok || std::rename(tmp.c_str(), file_.c_str()) != 0) {
    log::get("feed-server").error("callback nonce journal {}: compacting: {}", file_.string(), errno_text());
    return;
  }
  // The directory entry too, so the rename survives a power cut.
  if (const int dir =
          ::open(file_.parent_path().empty() ? "." : file_.parent_path().c_str(), O_RDONLY | O_CLOEXEC);
      dir >= 0) {
    if (::fsync(dir) != 0) {
      log::get("feed-server")
          .warn("callback nonce journal {}: syncing its directory: {}", file_.string(), errno_text());
    }
    ::close(dir);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = open_append(file_);
  lines_ = live.size();
}

}  // namespace syn::feed::callback
