#pragma once
/// Photos in (issue 18): an issue's image files checked, matched to the captions the splitter
/// found, stored in the blob store by SHA-256 and referenced from `Article.photos[]` (the claim
/// check: the bytes never ride in a record). docs/OPERATIONS.md "Photos with an issue" says what an
/// operator sees; docs/TOPICS.md "Photos" what a subscriber reads.
///
/// Every image is checked before anything is stored, and nothing is stored before every image
/// passed, in this order: the type by content (JPEG, PNG, GIF or WebP; the file name's extension
/// does not count), its size (`blobs.max_image_bytes`, and all images together
/// `blobs.max_issue_bytes`, at most `blobs.max_images_per_issue` of them), its pixel count read from
/// the header BEFORE decoding (`blobs.max_image_pixels`: a decompression bomb is refused without
/// allocating its pixels), then a full decode by libvips that fails on any error (a truncated or
/// corrupt file is refused). A refused image is one error naming the file; the caller publishes
/// nothing of that issue.
///
/// Matching, for each image in file name order: the caption embedded by the photo desk (IPTC
/// `Iptc.Application2.Caption`, else XMP `Xmp.dc.description`, read with Exiv2) equal to a caption
/// of the text; else the sidecar's entry for its file name (`photos.yaml`, format in
/// docs/OPERATIONS.md); then the images still unmatched take the captions still without an image
/// in order of appearance. An image left over, or a caption left without an image, becomes a
/// manifest warning (`SplitWarning`), never a silent drop.
///
/// Thread-safety: every function may be called from several threads at once (libvips and Exiv2
/// are initialised once, on first use).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "syn/core/blob_store.hpp"
#include "syn/core/component_error.hpp"
#include "syn/core/config.hpp"
#include "syn/producer/splitter.hpp"

namespace syn::producer::photos {

enum class errc : int {
  ok = 0,
  /// Not a JPEG, PNG, GIF or WebP by its bytes.
  not_an_image = 1,
  /// Over `max_image_bytes`, `max_issue_bytes`, `max_images_per_issue` or `max_image_pixels`.
  too_large = 2,
  /// The header or the pixels do not decode (truncated, damaged).
  corrupt = 3,
  /// A file that cannot be read, a folder that cannot be listed.
  unreadable = 4,
  /// The sidecar file is malformed or names what is not there.
  bad_sidecar = 5,
  /// The blob store failed (`unavailable` there: a later attempt can succeed).
  store_failed = 6,
  /// The store is unavailable now (retriable).
  store_unavailable = 7,
};

const std::error_category& photos_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), photos_category()}; }
/// store_unavailable: a later attempt can succeed.
[[nodiscard]] bool is_retriable(std::error_code ec) noexcept;

using error = component_error<errc>;
template <class T>
using result = component_result<T, error>;

/// What the header of an image says.
struct image_info {
  std::string media_type;  ///< `image/jpeg`, `image/png`, `image/gif`, `image/webp`
  std::uint64_t bytes = 0;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

/// The media type of these first bytes of a file (12 are enough), or empty.
[[nodiscard]] std::string sniff(std::string_view head) noexcept;

/// Checks one image file: type by content, `max_image_bytes`, `max_image_pixels` from the header,
/// then a full decode. Errors name the file.
[[nodiscard]] result<image_info> check_image(const std::filesystem::path& file,
                                             const config::blobs_config& limits);

/// Caption and credit as a photo desk embeds them; empty when absent or unreadable.
struct embedded_text {
  std::string caption;  ///< Iptc.Application2.Caption, else Xmp.dc.description
  std::string credit;   ///< Iptc.Application2.Credit, Byline, Xmp.photoshop.Credit, Xmp.dc.creator
};
[[nodiscard]] embedded_text read_embedded(const std::filesystem::path& file);

/// One entry of a sidecar file: an image's file name and either the caption it illustrates or
/// the article id and the 1-based number of the photo in that article.
struct sidecar_entry {
  std::string file;
  std::string caption;
  std::string article;
  std::uint32_t photo = 0;
  std::uint32_t line = 0;  ///< 1-based, in the sidecar
};
/// Reads `photos.yaml` (docs/OPERATIONS.md; at most 1 MiB). Errors: `FILE:LINE: field: message`.
[[nodiscard]] result<std::vector<sidecar_entry>> read_sidecar(const std::filesystem::path& file);
/// The same on text already read (`file` names it in errors). Fuzzed: tests/fuzz/fuzz_sidecar.cpp.
[[nodiscard]] result<std::vector<sidecar_entry>> parse_sidecar(std::string_view text,
                                                               const std::filesystem::path& file);

/// The images of one issue.
struct bundle {
  std::vector<std::filesystem::path> images;
  std::optional<std::filesystem::path> sidecar;
};

/// The sidecar's file name inside a bundle folder.
inline constexpr std::string_view sidecar_name = "photos.yaml";
/// The issue as archived, which `archive export --format bundle` writes beside the text and the
/// images (consumers/archive/src/bundle.cpp): for people, ignored by intake, so an exported
/// bundle publishes again as it is (unchanged).
inline constexpr std::string_view export_record_name = "issue.json";

/// Splits the files of a bundle folder: the text (the one `*.txt`), `photos.yaml`, and every
/// other file not starting with `.` (nor `issue.json`) as an image (checked by content later). Errors name
/// the folder: no text or more than one, a sub-folder, a symbolic link.
struct folder_bundle {
  std::filesystem::path text;
  bundle photos;
};
[[nodiscard]] result<folder_bundle> read_folder(const std::filesystem::path& dir);
/// The images (and `photos.yaml`) of `dir`, for `publish FILE --photos DIR`.
[[nodiscard]] result<bundle> read_photo_folder(const std::filesystem::path& dir);

/// A bundle folder of the hot folder, `name` in the folder open as `dirfd` (incoming/), opened
/// relative to it without following a symbolic link, listed on its descriptor: every entry not
/// starting with `.` must be a regular file with no other hard link (a link, a sub-folder, a FIFO
/// is refused, naming it); its one `*.txt` is read (at most `max_text_bytes`), `photos.yaml` is
/// the sidecar, every other file an image, named by its path under `incoming`.
struct taken_folder {
  std::string text;
  std::string text_name;
  bundle photos;
};
[[nodiscard]] result<taken_folder> take_folder(int dirfd, const std::string& name,
                                               const std::filesystem::path& incoming,
                                               std::uintmax_t max_text_bytes);

/// What a bundle folder looks like now, to tell whether a writer is still at it: its entries'
/// count, total size and latest mtime (nanoseconds). nullopt if it cannot be listed.
struct folder_state {
  std::size_t entries = 0;
  std::uintmax_t bytes = 0;
  std::int64_t latest_mtime_ns = 0;
  bool operator==(const folder_state&) const = default;
};
[[nodiscard]] std::optional<folder_state> state_of_folder(int dirfd, const std::string& name);

/// What `attach` did.
struct attach_report {
  std::size_t stored = 0;      ///< images stored and referenced
  std::size_t unmatched = 0;   ///< images without a caption (warned)
  std::size_t uncaptured = 0;  ///< captions without an image (warned)
  std::uint64_t bytes = 0;     ///< of the stored images
};

/// Checks every image of `b`, matches them to the photos of `issue`, stores the matched ones in
/// `store` and fills their `Photo` fields, recomputes the content hashes of the articles that
/// gained an image and adds a warning per image or caption left over. On error `issue` and the
/// store are untouched, except that blobs stored before a store failure stay (harmless: content-
/// addressed, and a retry finds them).
[[nodiscard]] result<attach_report> attach(split_result& issue, const bundle& b, blob::store& store,
                                           const config::blobs_config& limits);

}  // namespace syn::producer::photos

template <>
struct std::is_error_code_enum<syn::producer::photos::errc> : std::true_type {};
