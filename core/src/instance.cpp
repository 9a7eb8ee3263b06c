#include "syn/core/instance.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace syn::instance {
namespace {

/// Keeps an id usable in a file name and a transactional.id: [A-Za-z0-9._-], others become '_'.
std::string safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out;
}

std::string errno_text() { return std::strerror(errno); }

/// Creates `dir` 0700 if missing; refuses a symlink or a folder of another user (another user
/// could otherwise hold our slots or swap lock files under us).
void prepare_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("instance lock dir " + dir.string() + ": " + errno_text());
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    throw std::runtime_error("instance lock dir " + dir.string() + ": " + errno_text());
  if (!S_ISDIR(st.st_mode))
    throw std::runtime_error("instance lock dir " + dir.string() + " is not a directory");
  if (st.st_uid != ::geteuid()) {
    throw std::runtime_error("instance lock dir " + dir.string() +
                             " belongs to another user (set SYNDICATE_LOCK_DIR)");
  }
}

/// Opens and locks `file`; -1 if another process holds it.
int try_lock(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error("instance lock " + file.string() + ": " + errno_text());
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    // The holder's pid, for an operator who wonders who has the slot (informational only).
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] const auto n = ::pwrite(fd, pid.data(), pid.size(), 0);
    }
    return fd;
  }
  const int err = errno;
  ::close(fd);
  if (err == EWOULDBLOCK) return -1;
  errno = err;
  throw std::runtime_error("instance lock " + file.string() + ": " + errno_text());
}

}  // namespace

lease& lease::operator=(lease&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    id_ = std::move(o.id_);
    given_ = o.given_;
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

lease::~lease() {
  if (fd_ >= 0) ::close(fd_);
}

std::filesystem::path lock_dir() {
  if (const char* d = std::getenv("SYNDICATE_LOCK_DIR"); d != nullptr && *d != '\0') return d;
  return std::filesystem::path("/tmp") / ("syndicate-" + std::to_string(::geteuid()));
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

lease acquire(const std::string& role, const std::string& explicit_id, const std::filesystem::path& dir) {
  prepare_dir(dir);
  std::string given = explicit_id;
  if (given.empty()) {
    if (const char* e = std::getenv("SYNDICATE_INSTANCE"); e != nullptr) given = e;
  }
  if (!given.empty()) {
    const auto file = dir / (safe(role) + "@" + safe(given) + ".lock");
    const int fd = try_lock(file);
    if (fd < 0) {
      throw std::runtime_error("instance \"" + given + "\" of " + role +
                               " is already running on this host (lock " + file.string() +
                               "); give each process its own --instance");
    }
    return {given, true, fd};
  }
  const std::string host = safe(host_name());
  for (int slot = 0; slot < max_slots; ++slot) {
    const std::string id = host + "-" + std::to_string(slot);
    const int fd = try_lock(dir / (safe(role) + "-" + id + ".lock"));
    if (fd >= 0) return {id, false, fd};
  }
  throw std::runtime_error("every one of the " + std::to_string(max_slots) + " instance slots of " + role +
                           " on this host is taken (lock dir " + dir.string() + ")");
}

}  // namespace syn::instance
