#pragma once
// Photos for the feed tests (issue 18): real images made with libvips and stored in a folder blob
// store, and articles whose photos carry their references.
#include <vips/vips.h>

#include "sink_fixture.hpp"
#include "syn/core/blob_store.hpp"

namespace feedtest {

/// A grey PNG of noise: incompressible, so `w` x `h` gives about w*h bytes (over 1 MB at 1400x1000).
inline std::string noise_png(int w, int h) {
  EXPECT_EQ(VIPS_INIT("photos_test"), 0);
  VipsImage* n = nullptr;
  VipsImage* u = nullptr;
  EXPECT_EQ(vips_gaussnoise(&n, w, h, "mean", 128.0, "sigma", 70.0, nullptr), 0);
  EXPECT_EQ(vips_cast_uchar(n, &u, nullptr), 0);
  void* buf = nullptr;
  std::size_t len = 0;
  EXPECT_EQ(vips_pngsave_buffer(u, &buf, &len, "compression", 1, nullptr), 0);
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  g_object_unref(u);
  g_object_unref(n);
  return out;
}

inline std::string webp_of(const std::string& jpeg) {
  VipsImage* img = vips_image_new_from_buffer(jpeg.data(), jpeg.size(), "", nullptr);
  EXPECT_NE(img, nullptr);
  void* buf = nullptr;
  std::size_t len = 0;
  EXPECT_EQ(vips_webpsave_buffer(img, &buf, &len, nullptr), 0);
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  g_object_unref(img);
  return out;
}

inline void add_photo(Article& a, const syn::blob::ref& r, std::string type, std::uint32_t after,
                      std::string caption, std::string credit, std::uint32_t width = 0,
                      std::uint32_t height = 0) {
  auto* p = a.add_photos();
  p->set_width(width);
  p->set_height(height);
  p->set_sha256(r.sha256);
  p->set_bytes(r.bytes);
  p->set_media_type(std::move(type));
  p->set_after_block(after);
  p->set_caption(std::move(caption));
  p->set_credit(std::move(credit));
}

struct photo_env : sink_env {
  std::shared_ptr<syn::blob::store> blobs;
  syn::blob::ref small_jpeg, big_png;
  std::vector<Article> arts;

  photo_env() {
    auto s = syn::blob::open_folder(dir / "blobs");
    EXPECT_TRUE(s);
    blobs = std::move(s.value());
    small_jpeg = blobs->put(syn::testing::make_test_jpeg(320, 200)).value();
    big_png = blobs->put(noise_png(1400, 1000)).value();
    // Article 1: two photos with images (the PNG is over uploadimg's 1 MB), article 2: a caption
    // without an image, article 3: no photo. Article 4 shows the JPEG again (uploaded once).
    arts = {make_article(1), make_article(2), make_article(3), make_article(4)};
    add_photo(arts[0], small_jpeg, "image/jpeg", 1, "江边<script>x</script>的厂房", "记者 刘茜", 320, 200);
    add_photo(arts[0], big_png, "image/png", 2, "物流园区\"onerror=\"alert(1)", "", 1400, 1000);
    arts[1].add_photos()->set_caption("只有图说");
    add_photo(arts[3], small_jpeg, "image/jpeg", 0, "同一张照片", "");
  }

  [[nodiscard]] std::unique_ptr<syn::feed::feed_sink> sink() const {
    syn::feed::feed_sink_options o;
    o.blobs = blobs;
    return make_sink(std::move(o));
  }
};

}  // namespace feedtest
