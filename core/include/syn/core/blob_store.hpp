#pragma once
/// Content-addressed storage for the bytes that never ride inside Kafka records (photos, issue
/// bundles): the claim check of docs/DESIGN.md. A blob is stored once under the lowercase hex
/// SHA-256 of its bytes; a record carries only that reference.
///
/// Two backends behind one interface, both passing the same contract tests
/// (core/tests/blob_store_test.cpp):
/// - **folder** (the default; `syndicate run`, tests, one host): `<root>/sha256/ab/cd/<hex>`,
///   written to a temporary file, fsync'd, renamed into place and the directory fsync'd, so a
///   blob that `put` returned for survives a crash;
/// - **s3** (production: AWS S3, MinIO, Ceph RGW): objects `<prefix>sha256/<hex>` in one bucket,
///   requests signed with AWS Signature Version 4 by libcurl (`CURLOPT_AWS_SIGV4`), never by hand.
///   An S3 PUT answered 200 is durable (the S3 consistency model); the request carries the
///   payload's SHA-256 (`x-amz-content-sha256`, part of the signature), so the store refuses bytes
///   damaged on the way.
///
/// `put` is idempotent: a blob already stored is not written again. `get` verifies the bytes
/// against their name and reads at most `max_bytes`. Thread-safe: one store may be shared.
///
/// Errors: `syn::blob::errc`, one line naming the blob (and the file, for `put_file`); nothing
/// throws.

#include <boost/outcome/try.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "syn/core/component_error.hpp"
#include "syn/core/config.hpp"

namespace syn::blob {

enum class errc : int {
  ok = 0,
  /// No blob with that SHA-256.
  not_found = 1,
  /// The store cannot be reached now: connection refused or reset, timeout, S3 5xx or 429
  /// (SlowDown), a local I/O error that may pass (disk full).
  unavailable = 2,
  /// The store refused the request for good: bad credentials or signature (403), no such
  /// bucket, a folder that cannot be created; fixing the configuration is the remedy.
  refused = 3,
  /// Bytes that do not hash to their name (damaged in the store or on the way).
  corrupt = 4,
  /// Larger than the caller's limit.
  too_large = 5,
  /// Not a SHA-256 (64 lowercase hex digits), or a file to store that cannot be read.
  invalid = 6,
};

/// The `blob` error category.
const std::error_category& blob_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), blob_category()}; }
/// unavailable: a later attempt can succeed.
[[nodiscard]] bool is_retriable(std::error_code ec) noexcept;

using error = component_error<errc>;
template <class T>
using result = component_result<T, error>;
using boost::outcome_v2::success;

/// What a stored blob is known by.
struct ref {
  std::string sha256;  ///< 64 lowercase hex digits
  std::uint64_t bytes = 0;
};

/// Whether `s` is 64 lowercase hex digits.
[[nodiscard]] bool is_sha256_hex(std::string_view s) noexcept;

class store {
 public:
  virtual ~store() = default;
  store() = default;
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Stores `bytes`; durable when it returns.
  [[nodiscard]] virtual result<ref> put(std::string_view bytes) = 0;
  /// Stores the bytes of `file`, read in pieces (never whole in memory); durable when it returns.
  [[nodiscard]] virtual result<ref> put_file(const std::filesystem::path& file) = 0;
  /// Whether a blob is stored (its size, or not_found).
  [[nodiscard]] virtual result<std::uint64_t> size(std::string_view sha256) = 0;
  /// The bytes of a blob, verified against its name; too_large past `max_bytes`.
  [[nodiscard]] virtual result<std::string> get(std::string_view sha256, std::uint64_t max_bytes) = 0;
  /// "folder /var/lib/syndicate/blobs" or "s3 https://host/bucket/prefix": for logs and errors.
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// The folder backend rooted at `root` (created with its parents when missing).
[[nodiscard]] result<std::unique_ptr<store>> open_folder(const std::filesystem::path& root);

struct s3_options {
  /// `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000` (MinIO): scheme, host, port.
  std::string endpoint;
  std::string bucket;
  /// Signing region (`us-east-1` for MinIO and most S3-compatible stores).
  std::string region = "us-east-1";
  /// Key prefix inside the bucket, e.g. `syndicate/` (empty: the bucket's root).
  std::string prefix;
  std::string access_key_id;
  std::string secret_access_key;
  /// Path-style URLs (`endpoint/bucket/key`, MinIO and Ceph) or virtual-hosted
  /// (`bucket.endpoint/key`, AWS's default).
  bool path_style = true;
  /// Per request: connecting, and the whole transfer.
  std::uint32_t connect_timeout_ms = 5000;
  std::uint32_t request_timeout_ms = 60000;
};

/// The S3 backend. Checks nothing over the network: the first request does.
[[nodiscard]] result<std::unique_ptr<store>> open_s3(s3_options options);

/// The store the `blobs` config section names (credentials read from their environment
/// variables now; a missing one is `refused`, naming the variable).
[[nodiscard]] result<std::unique_ptr<store>> open(const config::blobs_config& config);

}  // namespace syn::blob

template <>
struct std::is_error_code_enum<syn::blob::errc> : std::true_type {};
