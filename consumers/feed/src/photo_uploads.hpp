#pragma once
// The photos of articles on WeChat (issue 18, docs/FEED.md "Photos"): body images through
// media/uploadimg, the lead photo as the article's cover through material/add_material. Each is
// uploaded once per (AppID, photo sha256): the state db remembers the URL (app_images) and the
// media_id (app_covers, the cache of the account covers), so a replay or a restart uploads
// nothing twice. The bytes come from the blob store, verified against their sha256, and are
// converted and down-scaled with libvips only when the platform's limits require it.
//
// Thread-safety: calls for one AppID must not overlap (the sink uploads one group at a time).

#include <atomic>
#include <cstdint>
#include <string>

#include "syn/feed/wechat.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::blob {
class store;
}

namespace syn::feed {

class state_store;

namespace detail {

/// A photo on the platform: `id` is the URL (body image) or media_id (cover); empty when the
/// photo cannot be shown (no image, missing or corrupt blob, undecodable, or refused by the
/// platform as an image: 40004 / 40005 / 40009; logged as an error), and the caller shows the
/// caption only / the account cover.
struct uploaded {
  std::string id;
  bool called = false;  ///< an upload call was made (false: from the cache, or nothing to do)
};

class photo_uploads {
 public:
  /// `blobs` may be null: no photo has an image then (captions only, account covers).
  photo_uploads(state_store& state, wechat::client& client, blob::store* blobs)
      : state_(state), client_(client), blobs_(blobs) {}

  /// The media/uploadimg URL of `p` for `c.app_id`. Errors: the WeChat call's (quota, busy,
  /// refused), or the blob store unavailable (retriable).
  [[nodiscard]] wechat::result<uploaded> body_url(const wechat::credentials& c,
                                                  const syndication::v1::Photo& p);
  /// The permanent material media_id of `p` as a cover (material/add_material type=image).
  [[nodiscard]] wechat::result<uploaded> cover(const wechat::credentials& c, const syndication::v1::Photo& p);

  /// Upload calls made and conversions done since construction (tests, benchmarks).
  [[nodiscard]] std::uint64_t upload_calls() const noexcept { return calls_; }
  [[nodiscard]] std::uint64_t conversions() const noexcept { return conversions_; }

 private:
  /// The bytes to send: fetched, verified and fitted; empty when the photo cannot be shown.
  wechat::result<std::string> prepare(const syndication::v1::Photo& p, bool as_cover, std::string& filename);

  state_store& state_;
  wechat::client& client_;
  blob::store* blobs_;
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> conversions_{0};
};

/// The first photo of `a` that has an image, or -1.
[[nodiscard]] int lead_photo(const syndication::v1::Article& a) noexcept;

}  // namespace detail
}  // namespace syn::feed
