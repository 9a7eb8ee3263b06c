#pragma once
/// Image decoding for the local WeChat API, with the Debian libraries the platform's rules need:
/// libjpeg-turbo (libjpeg62-turbo-dev) and libpng (libpng-dev). The platform takes an upload
/// only if it is an image of an allowed format; the test server decodes the whole image, as a
/// magic-byte check lets a truncated or fake file through (issue 17). Also writes small real
/// JPEG and PNG images for the tests (`syndicate-wechat-testserver --write-jpeg FILE`).

#include <cstdint>
#include <string>
#include <string_view>

namespace syn::testing {

struct decoded_image {
  bool ok = false;
  std::string format;  ///< `jpeg`, `png`, `gif`, `bmp` (by its header; jpeg and png fully decoded)
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::string error;  ///< why it is not an image, when !ok
};

/// Decodes `bytes`: JPEG (libjpeg-turbo) and PNG (libpng) to the last pixel; GIF and BMP by their
/// header's dimensions only. Never throws; images over 50 megapixels are refused unread.
[[nodiscard]] decoded_image decode_image(std::string_view bytes);

/// A baseline JPEG of `width` x `height` (a gradient with a texture, so that the file has a realistic size),
/// `quality` 1-100.
[[nodiscard]] std::string make_test_jpeg(std::uint32_t width, std::uint32_t height, int quality = 85);
/// An 8-bit RGB PNG of `width` x `height`.
[[nodiscard]] std::string make_test_png(std::uint32_t width, std::uint32_t height);

}  // namespace syn::testing
