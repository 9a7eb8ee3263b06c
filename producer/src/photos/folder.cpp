// The files of a bundle folder (syn/producer/photos.hpp): its text, its sidecar, its images.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "syn/producer/photos.hpp"

namespace syn::producer::photos {
namespace {

namespace fs = std::filesystem;

/// The regular files of `dir` not starting with `.`, sorted by name. Symbolic links and
/// sub-folders are refused (nothing outside the folder is read).
result<std::vector<fs::path>> list_files(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_symlink(dir, ec) || !fs::is_directory(dir, ec)) {
    return error(errc::unreadable, dir.string() + ": not a folder");
  }
  std::vector<fs::path> out;
  fs::directory_iterator it(dir, ec);
  if (ec) return error(errc::unreadable, dir.string() + ": cannot list: " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.empty() || name.front() == '.') continue;  // .ready markers, editors' swap files
    const auto st = it->symlink_status(ec);
    if (ec) return error(errc::unreadable, it->path().string() + ": " + ec.message());
    if (fs::is_symlink(st))
      return error(errc::unreadable, it->path().string() + ": a symbolic link, refused");
    if (!fs::is_regular_file(st))
      return error(errc::unreadable, it->path().string() + ": not a regular file");
    out.push_back(it->path());
  }
  if (ec) return error(errc::unreadable, dir.string() + ": cannot list: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

result<folder_bundle> read_folder(const fs::path& dir) {
  auto files = list_files(dir);
  if (!files) return files.error();
  folder_bundle out;
  for (auto& f : files.value()) {
    const auto name = f.filename().string();
    if (name == export_record_name) continue;
    if (name == sidecar_name) {
      out.photos.sidecar = f;
    } else if (f.extension() == ".txt") {
      if (!out.text.empty()) {
        return error(errc::unreadable, dir.string() + ": two issue texts (" + out.text.filename().string() +
                                           ", " + name + "); a bundle folder holds one *.txt");
      }
      out.text = f;
    } else {
      out.photos.images.push_back(f);
    }
  }
  if (out.text.empty())
    return error(errc::unreadable, dir.string() + ": no issue text (*.txt) in the folder");
  return out;
}

result<bundle> read_photo_folder(const fs::path& dir) {
  auto files = list_files(dir);
  if (!files) return files.error();
  bundle out;
  for (auto& f : files.value()) {
    if (f.filename() == export_record_name) continue;
    if (f.filename() == sidecar_name) {
      out.sidecar = f;
    } else {
      out.images.push_back(f);
    }
  }
  return out;
}

namespace {

/// A directory opened relative to `dirfd` without following a link, listed on its descriptor.
class dir_listing {
 public:
  dir_listing(int dirfd, const std::string& name) {
    fd_ = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) return;
    const int dup = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    dir_ = dup < 0 ? nullptr : ::fdopendir(dup);
    if (dir_ == nullptr && dup >= 0) ::close(dup);
  }
  ~dir_listing() {
    if (dir_ != nullptr) ::closedir(dir_);
    if (fd_ >= 0) ::close(fd_);
  }
  dir_listing(const dir_listing&) = delete;
  dir_listing& operator=(const dir_listing&) = delete;
  [[nodiscard]] bool ok() const noexcept { return dir_ != nullptr; }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// The next name not starting with `.`, or empty at the end.
  std::string next() {
    while (const dirent* e = ::readdir(dir_)) {
      if (e->d_name[0] != '.') return e->d_name;
    }
    return {};
  }

 private:
  int fd_ = -1;
  DIR* dir_ = nullptr;
};

result<std::string> read_text_at(int dirfd, const std::string& name, const std::string& shown,
                                 std::uintmax_t max) {
  const int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return error(errc::unreadable, shown + ": cannot open: " + std::strerror(errno));
  std::string out;
  std::array<char, 65536> buf{};
  while (true) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf.data(), static_cast<std::size_t>(n));
    if (out.size() > max) {
      ::close(fd);
      return error(errc::too_large,
                   shown + ": over " + std::to_string(max) + " bytes (producer.hot_folder.max_file_bytes)");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

result<taken_folder> take_folder(int dirfd, const std::string& name, const fs::path& incoming,
                                 std::uintmax_t max_text_bytes) {
  dir_listing dir(dirfd, name);
  if (!dir.ok()) {
    const int err = errno;
    return error(errc::unreadable, name + (err == ELOOP || err == ENOTDIR
                                               ? ": a symbolic link; the hot folder never follows links"
                                               : ": cannot open: " + std::string(std::strerror(err))));
  }
  taken_folder out;
  std::vector<std::string> names;
  for (std::string entry = dir.next(); !entry.empty(); entry = dir.next()) names.push_back(entry);
  std::sort(names.begin(), names.end());
  for (const auto& entry : names) {
    std::string shown = name;
    shown.append("/").append(entry);
    struct stat st {};
    if (::fstatat(dir.fd(), entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return error(errc::unreadable, shown + ": cannot stat: " + std::strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
      return error(errc::unreadable, shown + ": a symbolic link; the hot folder never follows links");
    if (!S_ISREG(st.st_mode)) return error(errc::unreadable, shown + ": not a regular file");
    if (st.st_nlink != 1) return error(errc::unreadable, shown + ": has other hard links (copy it in)");
    if (entry == export_record_name) continue;
    if (entry == sidecar_name) {
      out.photos.sidecar = incoming / name / entry;
    } else if (fs::path(entry).extension() == ".txt") {
      if (!out.text_name.empty()) {
        std::string why = name;
        why.append(": two issue texts (").append(out.text_name).append(", ").append(entry);
        return error(errc::unreadable, why.append("); a bundle folder holds one *.txt"));
      }
      auto text = read_text_at(dir.fd(), entry, shown, max_text_bytes);
      if (!text) return text.error();
      out.text = std::move(text).value();
      out.text_name = entry;
    } else {
      out.photos.images.push_back(incoming / name / entry);
    }
  }
  if (out.text_name.empty())
    return error(errc::unreadable, name + ": no issue text (*.txt) in the bundle folder");
  return out;
}

std::optional<folder_state> state_of_folder(int dirfd, const std::string& name) {
  dir_listing dir(dirfd, name);
  if (!dir.ok()) return std::nullopt;
  folder_state s;
  for (std::string entry = dir.next(); !entry.empty(); entry = dir.next()) {
    struct stat st {};
    if (::fstatat(dir.fd(), entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    ++s.entries;
    s.bytes += static_cast<std::uintmax_t>(st.st_size);
    s.latest_mtime_ns =
        std::max<std::int64_t>(s.latest_mtime_ns, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
  }
  return s;
}

}  // namespace syn::producer::photos
