// The `photos` error category (syn/producer/photos.hpp).
#include "syn/producer/photos.hpp"

namespace syn::producer::photos {
namespace {

class photos_category_impl final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "photos"; }
  [[nodiscard]] std::string message(int c) const override {
    switch (static_cast<errc>(c)) {
      case errc::ok:
        return "ok";
      case errc::not_an_image:
        return "not a JPEG, PNG, GIF or WebP image";
      case errc::too_large:
        return "over a limit of the blobs section";
      case errc::corrupt:
        return "the image does not decode";
      case errc::unreadable:
        return "cannot read";
      case errc::bad_sidecar:
        return "bad sidecar file";
      case errc::store_failed:
        return "the blob store refused the image";
      case errc::store_unavailable:
        return "the blob store is unavailable";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& photos_category() noexcept {
  static const photos_category_impl c;
  return c;
}

bool is_retriable(std::error_code ec) noexcept { return ec == make_error_code(errc::store_unavailable); }

}  // namespace syn::producer::photos
