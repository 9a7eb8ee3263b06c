#include "images.hpp"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

// libjpeg's header needs FILE and size_t declared first.
#include <jpeglib.h>
#include <png.h>

namespace syn::testing {
namespace {

constexpr std::uint64_t max_pixels = 50'000'000;

/// libjpeg reports fatal errors through error_exit, which must not return: longjmp back to the
/// decoder (libjpeg's documented pattern, example.c). Only C objects live between the setjmp
/// and the longjmp.
struct jpeg_error {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void on_jpeg_error(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<jpeg_error*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

/// Quiet, but counts the warnings (level -1) as libjpeg's own emit_message does: a truncated or
/// corrupt file is only a warning to libjpeg (it pads the image), an error here.
extern "C" void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0) ++cinfo->err->num_warnings;
}

/// Decodes the JPEG; 0 on success, else fills `why`. A C-style function: nothing with a
/// destructor is alive across the longjmp.
int decode_jpeg(const unsigned char* data, unsigned long size, std::uint32_t* w, std::uint32_t* h, char* why,
                std::size_t why_size) {
  jpeg_decompress_struct cinfo;
  jpeg_error err;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  err.mgr.emit_message = on_jpeg_message;
  err.message[0] = '\0';
  JSAMPLE* row = nullptr;
  if (setjmp(err.jump) != 0) {
    std::snprintf(why, why_size, "jpeg: %s", err.message);
    jpeg_destroy_decompress(&cinfo);
    std::free(row);
    return 1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  if (static_cast<std::uint64_t>(cinfo.image_width) * cinfo.image_height > max_pixels) {
    std::snprintf(why, why_size, "jpeg: %ux%u is too large", cinfo.image_width, cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  jpeg_start_decompress(&cinfo);
  row = static_cast<JSAMPLE*>(
      std::malloc(static_cast<std::size_t>(cinfo.output_width) * cinfo.output_components));
  if (row == nullptr) {
    std::snprintf(why, why_size, "jpeg: out of memory");
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[1] = {row};
    jpeg_read_scanlines(&cinfo, rows, 1);
  }
  // A truncated file makes libjpeg pad with grey and warn: count that as broken.
  const bool truncated = err.mgr.num_warnings > 0;
  jpeg_finish_decompress(&cinfo);
  *w = cinfo.image_width;
  *h = cinfo.image_height;
  jpeg_destroy_decompress(&cinfo);
  std::free(row);
  if (truncated) {
    std::snprintf(why, why_size, "jpeg: corrupt or truncated data");
    return 1;
  }
  return 0;
}

std::uint32_t le16(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8U);
}

std::uint32_t le32(std::string_view b, std::size_t at) { return le16(b, at) | (le16(b, at + 2) << 16U); }

}  // namespace

decoded_image decode_image(std::string_view b) {
  decoded_image out;
  auto refuse = [&](std::string why) {
    out.error = std::move(why);
    return out;
  };
  auto starts = [&](std::string_view m) { return b.size() >= m.size() && b.substr(0, m.size()) == m; };
  if (starts("\xFF\xD8\xFF")) {
    out.format = "jpeg";
    char why[JMSG_LENGTH_MAX + 16];
    if (decode_jpeg(reinterpret_cast<const unsigned char*>(b.data()), static_cast<unsigned long>(b.size()),
                    &out.width, &out.height, why, sizeof why) != 0) {
      out.error = why;
      return out;
    }
  } else if (starts("\x89PNG\r\n\x1A\n")) {
    out.format = "png";
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_memory(&img, b.data(), b.size()) == 0) {
      out.error = std::string("png: ") + img.message;
      return out;
    }
    if (static_cast<std::uint64_t>(img.width) * img.height > max_pixels) {
      png_image_free(&img);
      out.error = "png: too large";
      return out;
    }
    img.format = PNG_FORMAT_RGBA;
    std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(img));
    if (png_image_finish_read(&img, nullptr, pixels.data(), 0, nullptr) == 0) {
      out.error = std::string("png: ") + img.message;
      return out;
    }
    out.width = img.width;
    out.height = img.height;
  } else if (starts("GIF87a") || starts("GIF89a")) {
    out.format = "gif";
    if (b.size() < 13) return refuse("gif: truncated header");
    out.width = le16(b, 6), out.height = le16(b, 8);
  } else if (starts("BM")) {
    out.format = "bmp";
    if (b.size() < 26) return refuse("bmp: truncated header");
    out.width = le32(b, 18), out.height = le32(b, 22) & 0x7FFFFFFFU;
  } else {
    out.error = "not a JPEG, PNG, GIF or BMP image";
    return out;
  }
  if (out.width == 0 || out.height == 0) return refuse(out.format + ": no pixels");
  out.ok = true;
  return out;
}

std::string make_test_jpeg(std::uint32_t width, std::uint32_t height, int quality) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* mem = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &mem, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<JSAMPLE> row(static_cast<std::size_t>(width) * 3);
  while (cinfo.next_scanline < cinfo.image_height) {
    const auto y = cinfo.next_scanline;
    for (std::uint32_t x = 0; x < width; ++x) {
      row[x * 3] = static_cast<JSAMPLE>(x * 255 / std::max<std::uint32_t>(width, 1));
      row[x * 3 + 1] = static_cast<JSAMPLE>(y * 255 / std::max<std::uint32_t>(height, 1));
      row[x * 3 + 2] = static_cast<JSAMPLE>((x * 7U + y * 13U) ^ (x * y));  // texture: a real file size
    }
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(mem), size);
  jpeg_destroy_compress(&cinfo);
  std::free(mem);
  return out;
}

std::string make_test_png(std::uint32_t width, std::uint32_t height) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = width;
  img.height = height;
  img.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(img));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>(i * 7);
  png_alloc_size_t size = 0;
  if (png_image_write_to_memory(&img, nullptr, &size, 0, pixels.data(), 0, nullptr) == 0) return {};
  std::string out(size, '\0');
  if (png_image_write_to_memory(&img, out.data(), &size, 0, pixels.data(), 0, nullptr) == 0) return {};
  out.resize(size);
  return out;
}

}  // namespace syn::testing
