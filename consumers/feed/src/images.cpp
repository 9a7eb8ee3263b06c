// Photo conversion with libvips (syn/feed/images.hpp). The C API: it reports failures through
// return codes and vips_error_buffer(), so nothing throws across our calls.
#include "syn/feed/images.hpp"

#include <glib-object.h>
#include <vips/vips.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "syn/core/log.hpp"

namespace syn::feed::images {
namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "images"; }
  [[nodiscard]] std::string message(int c) const override {
    switch (static_cast<errc>(c)) {
      case errc::ok:
        return "ok";
      case errc::invalid:
        return "not a decodable image";
      case errc::cannot_fit:
        return "cannot be brought within the platform's limits";
    }
    return "images error " + std::to_string(c);
  }
};

/// libvips is initialised once per process; its caches are kept small (one conversion at a time
/// per worker, nothing reused across photos).
bool init_vips() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = VIPS_INIT("syndicate") == 0;
    if (!ok) {
      log::get("feed").error("libvips failed to start: {}", vips_error_buffer());
      return;
    }
    vips_cache_set_max(0);
    vips_concurrency_set(1);
  });
  return ok;
}

struct unref {
  void operator()(VipsImage* i) const noexcept { g_object_unref(i); }
};
using image_ptr = std::unique_ptr<VipsImage, unref>;

std::string take_error() {
  std::string e = vips_error_buffer();
  vips_error_clear();
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  if (const auto nl = e.find('\n'); nl != std::string::npos) e.resize(nl);  // one line
  return e.empty() ? std::string("libvips failed") : e;
}

/// Width and height from the header (nothing decoded yet), refused past `max_pixels`.
result<std::pair<std::uint32_t, std::uint32_t>> header(std::string_view bytes, std::uint64_t max_pixels) {
  if (!init_vips()) return error{errc::invalid, "libvips is not available"};
  if (sniff(bytes).empty()) return error{errc::invalid, "not a JPEG, PNG, GIF, BMP or WebP image"};
  image_ptr img(vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr));
  if (!img) return error{errc::invalid, take_error()};
  const auto w = static_cast<std::uint64_t>(vips_image_get_width(img.get()));
  const auto h = static_cast<std::uint64_t>(vips_image_get_height(img.get()));
  if (w == 0 || h == 0 || w * h > max_pixels) {
    return error{errc::invalid, std::to_string(w) + "x" + std::to_string(h) + " pixels, over the limit of " +
                                    std::to_string(max_pixels)};
  }
  return std::make_pair(static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h));
}

/// A JPEG of `bytes` at most `width` wide: shrink-on-load, EXIF orientation applied, alpha
/// flattened on white, metadata stripped.
result<fitted> encode_jpeg(std::string_view bytes, std::uint32_t width, int quality) {
  VipsImage* raw = nullptr;
  if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &raw, static_cast<int>(width),
                            "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, nullptr) != 0) {
    return error{errc::invalid, take_error()};
  }
  image_ptr img(raw);
  if (vips_image_hasalpha(img.get()) != 0) {
    VipsArrayDouble* white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
    VipsImage* flat = nullptr;
    const int rc = vips_flatten(img.get(), &flat, "background", white, nullptr);
    vips_area_unref(VIPS_AREA(white));
    if (rc != 0) return error{errc::invalid, take_error()};
    img.reset(flat);
  }
  void* buf = nullptr;
  std::size_t len = 0;
  if (vips_jpegsave_buffer(img.get(), &buf, &len, "Q", quality, "strip", TRUE, nullptr) != 0) {
    return error{errc::invalid, take_error()};
  }
  fitted out;
  out.bytes.assign(static_cast<const char*>(buf), len);
  g_free(buf);
  out.format = "jpeg";
  out.extension = "jpg";
  out.width = static_cast<std::uint32_t>(vips_image_get_width(img.get()));
  out.height = static_cast<std::uint32_t>(vips_image_get_height(img.get()));
  out.converted = true;
  return out;
}

bool within(std::uint64_t size, const target& t) {
  return t.strictly_under ? size < t.max_bytes : size <= t.max_bytes;
}

}  // namespace

const std::error_category& images_category() noexcept {
  static const category c;
  return c;
}

target wechat_body_image() { return {{"jpeg", "png"}, 1U << 20U, true}; }

target wechat_material_image() { return {{"bmp", "png", "jpeg", "gif"}, 10U << 20U, false}; }

std::string_view sniff(std::string_view b) noexcept {
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return "jpeg";
  if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1A\n") return "png";
  if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) return "gif";
  if (b.size() >= 2 && b.substr(0, 2) == "BM") return "bmp";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "webp";
  return {};
}

result<fitted> fit(std::string_view bytes, const target& t) {
  auto dims = header(bytes, t.max_pixels);
  if (!dims) return dims.error();
  const std::string format(sniff(bytes));
  if (std::find(t.formats.begin(), t.formats.end(), format) != t.formats.end() && within(bytes.size(), t)) {
    fitted same;
    same.bytes.assign(bytes);
    same.format = format;
    same.extension = format == "jpeg" ? "jpg" : format;
    same.width = dims.value().first;
    same.height = dims.value().second;
    return same;
  }
  // A JPEG at the full width first, then 3/4 of the width at each step: the size falls roughly
  // with the area, so a few steps bring even a large photo under 1 MB.
  auto width = dims.value().first;
  while (true) {
    auto jpeg = encode_jpeg(bytes, width, 85);
    if (!jpeg) return jpeg.error();
    if (within(jpeg.value().bytes.size(), t)) return jpeg;
    if (width <= t.min_width) {
      return error{errc::cannot_fit, "still " + std::to_string(jpeg.value().bytes.size()) + " bytes at " +
                                         std::to_string(width) + " pixels wide"};
    }
    width = std::max(t.min_width, width * 3 / 4);
  }
}

result<fitted> scale_to_width(std::string_view bytes, std::uint32_t width, std::uint64_t max_pixels) {
  auto dims = header(bytes, max_pixels);
  if (!dims) return dims.error();
  return encode_jpeg(bytes, std::min(width, dims.value().first), 82);
}

}  // namespace syn::feed::images
