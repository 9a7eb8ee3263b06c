// The blob store's error category, SHA-256 helpers and the folder backend (syn/core/blob_store.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

#include "syn/core/blob_store.hpp"
#include "syn/core/sha256.hpp"

namespace syn::blob {
namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "blob"; }
  [[nodiscard]] std::string message(int c) const override {
    switch (static_cast<errc>(c)) {
      case errc::ok:
        return "ok";
      case errc::not_found:
        return "no such blob";
      case errc::unavailable:
        return "blob store unavailable";
      case errc::refused:
        return "blob store refused the request";
      case errc::corrupt:
        return "blob does not match its SHA-256";
      case errc::too_large:
        return "blob larger than allowed";
      case errc::invalid:
        return "not a blob reference";
    }
    return "unknown blob error";
  }
};

std::string errno_text(int e) { return std::system_category().message(e); }

// A file descriptor closed on every path.
class fd {
 public:
  explicit fd(int v) noexcept : v_(v) {}
  ~fd() {
    if (v_ >= 0) ::close(v_);
  }
  fd(const fd&) = delete;
  fd& operator=(const fd&) = delete;
  [[nodiscard]] int get() const noexcept { return v_; }
  [[nodiscard]] bool ok() const noexcept { return v_ >= 0; }
  // Closes now, reporting the error close() can carry (a delayed write failure).
  [[nodiscard]] int close_checked() noexcept {
    const int r = ::close(v_);
    v_ = -1;
    return r == 0 ? 0 : errno;
  }

 private:
  int v_;
};

// ENOSPC, EDQUOT, EIO may pass; EACCES, EROFS, ENOTDIR need an operator.
errc classify_errno(int e) noexcept {
  switch (e) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EAGAIN:
    case EINTR:
      return errc::unavailable;
    default:
      return errc::refused;
  }
}

result<void> write_all(int f, std::string_view bytes, const std::filesystem::path& where) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(f, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      return error(classify_errno(e), "cannot write " + where.string() + ": " + errno_text(e));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return success();
}

result<void> fsync_dir(const std::filesystem::path& dir) {
  const fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d.ok() || ::fsync(d.get()) != 0) {
    const int e = errno;
    return error(classify_errno(e), "cannot sync directory " + dir.string() + ": " + errno_text(e));
  }
  return success();
}

class folder_store final : public store {
 public:
  explicit folder_store(std::filesystem::path root) : root_(std::move(root)) {}

  result<ref> put(std::string_view bytes) override {
    return write_blob(
        [&](int f, sha256_stream& h, const std::filesystem::path& tmp) -> result<std::uint64_t> {
          h.update(bytes);
          BOOST_OUTCOME_TRY(write_all(f, bytes, tmp));
          return static_cast<std::uint64_t>(bytes.size());
        });
  }

  result<ref> put_file(const std::filesystem::path& file) override {
    const fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.ok()) {
      const int e = errno;
      return error(errc::invalid, "cannot read " + file.string() + ": " + errno_text(e));
    }
    return write_blob(
        [&](int f, sha256_stream& h, const std::filesystem::path& tmp) -> result<std::uint64_t> {
          std::array<char, 1 << 16> buf{};
          std::uint64_t total = 0;
          for (;;) {
            const ssize_t n = ::read(in.get(), buf.data(), buf.size());
            if (n < 0) {
              if (errno == EINTR) continue;
              const int e = errno;
              return error(errc::invalid, "cannot read " + file.string() + ": " + errno_text(e));
            }
            if (n == 0) break;
            const std::string_view piece(buf.data(), static_cast<std::size_t>(n));
            h.update(piece);
            BOOST_OUTCOME_TRY(write_all(f, piece, tmp));
            total += static_cast<std::uint64_t>(n);
          }
          return total;
        });
  }

  result<std::uint64_t> size(std::string_view sha256) override {
    BOOST_OUTCOME_TRY(check_name(sha256));
    std::error_code ec;
    const auto n = std::filesystem::file_size(path_of(sha256), ec);
    if (ec == std::errc::no_such_file_or_directory)
      return error(errc::not_found, "no blob " + std::string(sha256) + " in " + describe());
    if (ec)
      return error(classify_errno(ec.value()),
                   "cannot stat blob " + std::string(sha256) + ": " + ec.message());
    return static_cast<std::uint64_t>(n);
  }

  result<std::string> get(std::string_view sha256, std::uint64_t max_bytes) override {
    BOOST_OUTCOME_TRY(check_name(sha256));
    const auto path = path_of(sha256);
    const fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.ok()) {
      const int e = errno;
      if (e == ENOENT) return error(errc::not_found, "no blob " + std::string(sha256) + " in " + describe());
      return error(classify_errno(e), "cannot read blob " + path.string() + ": " + errno_text(e));
    }
    std::string out;
    std::array<char, 1 << 16> buf{};
    sha256_stream h;
    for (;;) {
      const ssize_t n = ::read(in.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        const int e = errno;
        return error(classify_errno(e), "cannot read blob " + path.string() + ": " + errno_text(e));
      }
      if (n == 0) break;
      if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
        return error(errc::too_large, "blob " + std::string(sha256) + " is larger than " +
                                          std::to_string(max_bytes) + " bytes");
      }
      out.append(buf.data(), static_cast<std::size_t>(n));
      h.update({buf.data(), static_cast<std::size_t>(n)});
    }
    if (h.hex() != sha256)
      return error(errc::corrupt, "blob " + path.string() + " does not match its SHA-256");
    return out;
  }

  [[nodiscard]] std::string describe() const override { return "folder " + root_.string(); }

 private:
  static result<void> check_name(std::string_view sha256) {
    if (!is_sha256_hex(sha256))
      return error(errc::invalid, "not a SHA-256: '" + std::string(sha256.substr(0, 80)) + "'");
    return success();
  }

  [[nodiscard]] std::filesystem::path path_of(std::string_view sha256) const {
    return root_ / "sha256" / std::string(sha256.substr(0, 2)) / std::string(sha256.substr(2, 2)) /
           std::string(sha256);
  }

  // Writes a blob through `fill` into a temporary file of the store, then moves it to its name.
  template <class Fill>
  result<ref> write_blob(Fill&& fill) {
    const auto tmp_dir = root_ / "tmp";
    const auto tmp =
        tmp_dir / ("put-" + std::to_string(::getpid()) + "-" + std::to_string(counter_.fetch_add(1)) + "-" +
                   std::to_string(std::random_device{}()));
    fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!out.ok()) {
      const int e = errno;
      return error(classify_errno(e), "cannot create " + tmp.string() + ": " + errno_text(e));
    }
    struct remove_tmp {
      const std::filesystem::path& p;
      bool keep = false;
      ~remove_tmp() {
        if (!keep) ::unlink(p.c_str());
      }
    } guard{tmp};
    sha256_stream h;
    BOOST_OUTCOME_TRY(n, fill(out.get(), h, tmp));
    if (::fsync(out.get()) != 0) {
      const int e = errno;
      return error(classify_errno(e), "cannot sync " + tmp.string() + ": " + errno_text(e));
    }
    if (const int e = out.close_checked(); e != 0) {
      return error(classify_errno(e), "cannot close " + tmp.string() + ": " + errno_text(e));
    }
    ref r{h.hex(), n};
    const auto final_path = path_of(r.sha256);
    std::error_code ec;
    std::filesystem::create_directories(final_path.parent_path(), ec);
    if (ec)
      return error(classify_errno(ec.value()),
                   "cannot create " + final_path.parent_path().string() + ": " + ec.message());
    // rename() replaces an existing blob with the same bytes: idempotent, and atomic.
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      const int e = errno;
      return error(classify_errno(e),
                   "cannot move " + tmp.string() + " to " + final_path.string() + ": " + errno_text(e));
    }
    guard.keep = true;
    BOOST_OUTCOME_TRY(fsync_dir(final_path.parent_path()));
    return r;
  }

  std::filesystem::path root_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace

const std::error_category& blob_category() noexcept {
  static const category c;
  return c;
}

bool is_retriable(std::error_code ec) noexcept {
  return ec.category() == blob_category() && static_cast<errc>(ec.value()) == errc::unavailable;
}

bool is_sha256_hex(std::string_view s) noexcept {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

result<std::unique_ptr<store>> open_folder(const std::filesystem::path& root) {
  if (root.empty()) return error(errc::refused, "the blob folder is not configured");
  std::error_code ec;
  std::filesystem::create_directories(root / "tmp", ec);
  if (ec) return error(errc::refused, "cannot create the blob folder " + root.string() + ": " + ec.message());
  return std::unique_ptr<store>(std::make_unique<folder_store>(root));
}

}  // namespace syn::blob
