#pragma once
/// The instance id of a transactional role (`publish`, `serve trigger`, `consume translation`,
/// `translate`): the suffix of its `transactional.id`, so it must be
///   - different for every process of the role that runs at the same time (two processes with one
///     transactional.id fence each other: the older one fails "fenced ... must be restarted");
///   - the same across restarts of one instance (a restart with the same id fences its dead
///     predecessor and aborts the transaction it left open at once, instead of waiting for
///     `transaction.timeout.ms`).
///
/// Where no id is given, `acquire()` takes the lowest free slot N of the role on this host,
/// id `<hostname>-<N>`, and holds an exclusive `flock` on a lock file for that slot while
/// the process lives. The kernel drops the lock when the process dies (kill -9 included), so a
/// restarted instance takes the same slot again; a second process running meanwhile takes N+1.
/// An explicit id (flag, or the `SYNDICATE_INSTANCE` environment variable) is locked the same
/// way, so a second process started with the same explicit id is refused before it touches Kafka.
///
/// Lock files live in `SYNDICATE_LOCK_DIR`, default `/tmp/syndicate-<uid>` (created 0700; refused
/// if it is a symlink or owned by another user). Containers and hosts each have their own
/// hostname, so ids never collide across machines.

#include <filesystem>
#include <string>
#include <utility>

namespace syn::instance {

/// A held instance id. Move-only; releases the lock (closes the file) when destroyed.
/// Not thread-safe; create once per process and role.
class lease {
 public:
  lease() = default;
  lease(std::string id, bool given, int fd) : id_(std::move(id)), given_(given), fd_(fd) {}
  lease(lease&& o) noexcept : id_(std::move(o.id_)), given_(o.given_), fd_(o.fd_) { o.fd_ = -1; }
  lease& operator=(lease&& o) noexcept;
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  ~lease();

  /// The instance id: the one given (flag or `SYNDICATE_INSTANCE`), or `<hostname>-<slot>`.
  /// The caller puts it into the transactional.id, e.g. `<prefix>-translator-<id>`.
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  /// Whether the id was given by the operator rather than taken from a free slot.
  [[nodiscard]] bool given() const noexcept { return given_; }

 private:
  std::string id_;
  bool given_ = false;
  int fd_ = -1;
};

/// How many slots `acquire` tries per role before giving up.
inline constexpr int max_slots = 64;

/// The lock directory: `SYNDICATE_LOCK_DIR` or `/tmp/syndicate-<uid>`.
[[nodiscard]] std::filesystem::path lock_dir();

/// Takes the instance id of `role` ("cli", "trigger", "translation", "translator"):
/// `explicit_id` if not empty, else the `SYNDICATE_INSTANCE` environment variable if set, else
/// the lowest free slot. Errors (as `std::runtime_error`, for the CLI to print): the explicit id
/// is held by another live process (names the lock file), every slot is taken, or the lock
/// directory cannot be used.
[[nodiscard]] lease acquire(const std::string& role, const std::string& explicit_id,
                            const std::filesystem::path& dir = lock_dir());

/// This host's name (gethostname), "localhost" if it cannot be read.
[[nodiscard]] std::string host_name();

}  // namespace syn::instance
