#include "photo_uploads.hpp"

#include "syn/core/blob_store.hpp"
#include "syn/core/log.hpp"
#include "syn/feed/images.hpp"
#include "syn/feed/state.hpp"

namespace syn::feed::detail {
namespace {

/// The largest photo fetched from the blob store: add_material's 10 MB limit leaves room for a
/// photo that is down-scaled; the producer's own limit (blobs.max_image_bytes) is 20 MB.
constexpr std::uint64_t max_photo_bytes = 64U << 20U;

/// The platform refused this image for good (40004 media type, 40005 file type, 40009 image size):
/// the article goes out without it rather than not at all.
bool image_refused(const wechat::error& e) {
  const int c = e.errcode();
  return c == static_cast<int>(wechat::errc::invalid_media_type) ||
         c == static_cast<int>(wechat::errc::invalid_file_type) ||
         c == static_cast<int>(wechat::errc::invalid_image_size);
}

}  // namespace

int lead_photo(const syndication::v1::Article& a) noexcept {
  for (int i = 0; i < a.photos_size(); ++i) {
    if (blob::is_sha256_hex(a.photos(i).sha256())) return i;
  }
  return -1;
}

wechat::result<std::string> photo_uploads::prepare(const syndication::v1::Photo& p, bool as_cover,
                                                   std::string& filename) {
  auto bytes = blobs_->get(p.sha256(), max_photo_bytes);
  if (!bytes) {
    if (bytes.error().retriable()) {
      return wechat::error(bytes.error().code(), "photo " + p.sha256() + ": " + bytes.error().message(),
                           true);
    }
    // Missing or damaged in the store: the text still goes out; the operator is told.
    log::get("feed").error(
        "photo {} cannot be read from the blob store ({}); its caption is shown without it", p.sha256(),
        bytes.error().to_string());
    return std::string();
  }
  auto fitted =
      images::fit(bytes.value(), as_cover ? images::wechat_material_image() : images::wechat_body_image());
  if (!fitted) {
    log::get("feed").error("photo {} cannot be sent to WeChat ({}); its caption is shown without it",
                           p.sha256(), fitted.error().to_string());
    return std::string();
  }
  if (fitted.value().converted) ++conversions_;
  // The platform checks the file name's extension against the content ([3][4]).
  filename = p.sha256().substr(0, 16) + "." + fitted.value().extension;
  return std::move(fitted.value().bytes);
}

wechat::result<uploaded> photo_uploads::body_url(const wechat::credentials& c,
                                                 const syndication::v1::Photo& p) {
  if (blobs_ == nullptr || !blob::is_sha256_hex(p.sha256())) return uploaded{};
  if (auto url = state_.app_image(c.app_id, p.sha256())) return uploaded{*url, false};
  std::string filename;
  auto bytes = prepare(p, false, filename);
  if (!bytes) return bytes.error();
  if (bytes.value().empty()) return uploaded{};
  ++calls_;
  auto url = client_.upload_image(c, filename, bytes.value());
  if (!url && image_refused(url.error())) {
    log::get("feed").error("photo {} refused by media/uploadimg ({}); its caption is shown without it",
                           p.sha256(), url.error().message());
    return uploaded{{}, true};
  }
  if (!url) return url.error();
  state_.store_app_image(c.app_id, p.sha256(), url.value());
  log::get("feed").debug("body image uploaded app_id={} sha256={} bytes={}", c.app_id, p.sha256(),
                         bytes.value().size());
  return uploaded{url.value(), true};
}

wechat::result<uploaded> photo_uploads::cover(const wechat::credentials& c, const syndication::v1::Photo& p) {
  if (blobs_ == nullptr || !blob::is_sha256_hex(p.sha256())) return uploaded{};
  if (auto id = state_.app_cover(c.app_id, p.sha256())) return uploaded{*id, false};
  std::string filename;
  auto bytes = prepare(p, true, filename);
  if (!bytes) return bytes.error();
  if (bytes.value().empty()) return uploaded{};
  ++calls_;
  auto m = client_.add_material(c, filename, bytes.value());
  if (!m && image_refused(m.error())) {
    log::get("feed").error(
        "photo {} refused as a cover by material/add_material ({}); the account cover is used", p.sha256(),
        m.error().message());
    return uploaded{{}, true};
  }
  if (!m) return m.error();
  state_.store_app_cover(c.app_id, p.sha256(), m.value().media_id, m.value().url);
  log::get("feed").debug("photo cover uploaded app_id={} sha256={} media_id={}", c.app_id, p.sha256(),
                         m.value().media_id);
  return uploaded{m.value().media_id, true};
}

}  // namespace syn::feed::detail
