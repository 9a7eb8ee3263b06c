// One image checked (syn/producer/photos.hpp): type by content, size, pixels from the header,
// then a full decode by libvips that fails on any error.
#include <vips/vips.h>

#include <array>
#include <fstream>
#include <mutex>

#include "syn/core/log.hpp"
#include "syn/producer/photos.hpp"

namespace syn::producer::photos {
namespace {

/// libvips, set up once per process: no operation cache (a file checked twice is read twice, and
/// nothing of an image stays in memory after its check).
void init_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("syndicate") != 0) {
      log::get("photos").error("libvips failed to initialise: {}", vips_error_buffer());
      vips_error_clear();
    }
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
  });
}

/// The last libvips error of this thread, on one line, and clears it.
std::string vips_message() {
  char* raw = vips_error_buffer_copy();
  std::string s = raw != nullptr ? raw : "";
  g_free(raw);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ';';
  }
  return s.empty() ? "unknown libvips error" : s;
}

struct vips_ref {
  VipsImage* image = nullptr;
  vips_ref() = default;
  vips_ref(const vips_ref&) = delete;
  vips_ref& operator=(const vips_ref&) = delete;
  ~vips_ref() {
    if (image != nullptr) g_object_unref(image);
  }
};

/// Opens `file` with the loader of `media_type` only (never libvips's guess: no SVG, PDF or TIFF
/// loader ever sees outside input). Lazy: reads the header, not the pixels.
int open_lazily(const std::string& file, std::string_view media_type, VipsImage** out) {
  const char* f = file.c_str();
  if (media_type == "image/jpeg") {
    return vips_jpegload(f, out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  }
  if (media_type == "image/png") {
    return vips_pngload(f, out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  }
  if (media_type == "image/gif") {
    return vips_gifload(f, out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  }
  return vips_webpload(f, out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
}

error fail(errc code, const std::filesystem::path& file, const std::string& what) {
  return {code, file.string() + ": " + what};
}

}  // namespace

std::string sniff(std::string_view h) noexcept {
  if (h.size() >= 3 && h.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (h.size() >= 8 && h.substr(0, 8) == "\x89PNG\r\n\x1A\n") return "image/png";
  if (h.size() >= 6 && (h.substr(0, 6) == "GIF87a" || h.substr(0, 6) == "GIF89a")) return "image/gif";
  if (h.size() >= 12 && h.substr(0, 4) == "RIFF" && h.substr(8, 4) == "WEBP") return "image/webp";
  return {};
}

result<image_info> check_image(const std::filesystem::path& file, const config::blobs_config& limits) {
  image_info info;
  std::error_code ec;
  if (std::filesystem::is_symlink(file, ec) || !std::filesystem::is_regular_file(file, ec)) {
    return fail(errc::unreadable, file, "not a regular file");
  }
  info.bytes = std::filesystem::file_size(file, ec);
  if (ec) return fail(errc::unreadable, file, "cannot read: " + ec.message());
  if (info.bytes > limits.max_image_bytes) {
    return fail(errc::too_large, file,
                std::to_string(info.bytes) + " bytes, over blobs.max_image_bytes (" +
                    std::to_string(limits.max_image_bytes) + ")");
  }
  std::array<char, 12> head{};
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(errc::unreadable, file, "cannot read");
    in.read(head.data(), head.size());
    info.media_type = sniff(std::string_view(head.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (info.media_type.empty()) {
    return fail(errc::not_an_image, file, "not a JPEG, PNG, GIF or WebP image (by its content)");
  }
  init_vips();
  vips_ref img;
  if (open_lazily(file.string(), info.media_type, &img.image) != 0) {
    return fail(errc::corrupt, file,
                std::string(info.media_type) + " header does not decode: " + vips_message());
  }
  const auto width = static_cast<std::uint64_t>(vips_image_get_width(img.image));
  const auto height = static_cast<std::uint64_t>(vips_image_get_height(img.image));
  if (width == 0 || height == 0) return fail(errc::corrupt, file, "no pixels");
  if (width * height > limits.max_image_pixels) {
    return fail(errc::too_large, file,
                std::to_string(width) + "x" + std::to_string(height) +
                    " pixels, over blobs.max_image_pixels (" + std::to_string(limits.max_image_pixels) +
                    "); not decoded");
  }
  info.width = static_cast<std::uint32_t>(width);
  info.height = static_cast<std::uint32_t>(height);
  // Every pixel decoded once (the average needs them all), failing on a truncated or damaged file.
  double average = 0;
  if (vips_avg(img.image, &average, nullptr) != 0) {
    return fail(errc::corrupt, file, std::string(info.media_type) + " does not decode: " + vips_message());
  }
  return info;
}

}  // namespace syn::producer::photos
