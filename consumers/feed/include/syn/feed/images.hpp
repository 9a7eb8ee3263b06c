#pragma once
/// Photo conversion for the feed (issue 18): fits a stored photo to what a platform takes
/// (WeChat's media/uploadimg: jpg/png under 1 MB; material/add_material: bmp/png/jpeg/gif up to
/// 10 MB) and makes the down-scaled variants the feed pages serve. Decoding, scaling and encoding
/// are libvips' (Debian libvips-dev), never ours: shrink-on-load for JPEG, EXIF orientation
/// applied, metadata stripped from what it writes.
///
/// Bytes that already fit are returned unchanged (no re-encoding, no quality lost). Otherwise the
/// photo is written as a JPEG (transparency flattened on white), down-scaled by steps of 3/4 until
/// it is under the size limit. Never throws; thread-safe (libvips is initialised once).
///
/// Errors: `syn::feed::images::errc`, one line naming what was refused.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "syn/core/component_error.hpp"

namespace syn::feed::images {

enum class errc : int {
  ok = 0,
  /// Not an image libvips can decode (or corrupt), or over `max_pixels`.
  invalid = 1,
  /// Could not be brought under the size limit (even down-scaled to `min_width`).
  cannot_fit = 2,
};

const std::error_category& images_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), images_category()}; }
/// Nothing here is retriable: the same bytes give the same answer.
[[nodiscard]] inline bool is_retriable(std::error_code /*ec*/) noexcept { return false; }

using error = component_error<errc>;
template <class T>
using result = component_result<T, error>;

/// What a platform takes.
struct target {
  /// Formats taken as they are: `jpeg`, `png`, `gif`, `bmp`, `webp` (by content).
  std::vector<std::string> formats;
  std::uint64_t max_bytes = 0;
  /// The size must be strictly under `max_bytes` (uploadimg: "1MB以下").
  bool strictly_under = false;
  /// Down-scaling stops here (and the photo is refused as cannot_fit).
  std::uint32_t min_width = 160;
  /// Decompression bombs: images with more pixels are refused unread.
  std::uint64_t max_pixels = 50'000'000;
};

/// media/uploadimg: jpg/png, under 1 MB (docs/FEED.md [4]).
[[nodiscard]] target wechat_body_image();
/// material/add_material type=image: bmp/png/jpeg/jpg/gif, at most 10 MB ([3][14]).
[[nodiscard]] target wechat_material_image();

/// A photo ready for a platform.
struct fitted {
  std::string bytes;
  std::string format;     ///< `jpeg`, `png`, ...
  std::string extension;  ///< the file name's extension for it: `jpg`, `png`, `gif`, `bmp`, `webp`
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  bool converted = false;  ///< re-encoded or down-scaled (false: the input bytes)
};

/// The format of `bytes` by its magic: `jpeg`, `png`, `gif`, `bmp`, `webp`, or "".
[[nodiscard]] std::string_view sniff(std::string_view bytes) noexcept;

/// `bytes` as `t` takes them: unchanged when they already fit, else a JPEG down-scaled as needed.
[[nodiscard]] result<fitted> fit(std::string_view bytes, const target& t);

/// A JPEG of `bytes` at most `width` pixels wide (never up-scaled), quality 82: the feed pages'
/// responsive variants.
[[nodiscard]] result<fitted> scale_to_width(std::string_view bytes, std::uint32_t width,
                                            std::uint64_t max_pixels = 50'000'000);

}  // namespace syn::feed::images

template <>
struct std::is_error_code_enum<syn::feed::images::errc> : std::true_type {};
