// Issue 18 on the WeChat side: body images through media/uploadimg, the lead photo as the
// article's cover, converted with libvips when the platform's limits require it, each uploaded once
// per (AppID, sha256) across replays and restarts; and the local WeChat API's rules on them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "photo_fixture.hpp"
#include "syn/core/blob_store.hpp"
#include "syn/core/sha256.hpp"
#include "syn/feed/feed_server.hpp"
#include "syn/feed/images.hpp"
#include "syn/feed/pages.hpp"

using namespace feedtest;
using syn::sink::verdict;
namespace images = syn::feed::images;

namespace {

std::uint64_t calls(const nlohmann::json& st, const std::string& path) {
  const auto& c = st["calls"];
  return c.contains(path) ? c[path].get<std::uint64_t>() : 0;
}

}  // namespace

TEST(FeedPhotos, BodyImagesAndPerArticleCoversAreUploadedOnceAcrossReplaysAndRestarts) {
  photo_env env;
  const auto batch = envelopes(env.arts);
  {
    auto sink = env.sink();
    const auto v = sink->write(batch);
    ASSERT_EQ(v.kind, verdict::ok) << v.reason;
    ASSERT_TRUE(v.rejected.empty()) << v.rejected.front().second;
  }
  auto st = env.server.state(true);
  // Two distinct photos for wx_cjrb (the JPEG twice in the issue: once), none for the web account;
  // zh-Hant gets nothing (no zh-Hant article).
  ASSERT_EQ(st["images"].size(), 2U);
  std::set<std::string> sent;
  for (const auto& i : st["images"]) {
    EXPECT_EQ(i["app_id"], "wx_cjrb");
    EXPECT_LT(i["bytes"].get<std::uint64_t>(), 1U << 20U);
    sent.insert(i["sha256"].get<std::string>());
  }
  EXPECT_EQ(sent.size(), 2U);
  EXPECT_TRUE(sent.count(env.small_jpeg.sha256));  // fits: sent as it is
  EXPECT_FALSE(sent.count(env.big_png.sha256));    // 1.4 MB PNG: converted, down-scaled
  // Covers: the account's (articles 2 and 3) and one per lead photo: the JPEG for 1 and 4.
  ASSERT_EQ(st["materials"].size(), 2U);
  std::string account_cover;
  for (const auto& m : st["materials"]) {
    if (m["sha256"] != env.small_jpeg.sha256) account_cover = m["media_id"];
  }
  ASSERT_EQ(st["drafts"].size(), 1U);
  const auto& a = st["drafts"][0]["articles"];
  ASSERT_EQ(a.size(), 4U);
  EXPECT_NE(a[0]["thumb_media_id"], account_cover);
  EXPECT_EQ(a[1]["thumb_media_id"], account_cover);
  EXPECT_EQ(a[2]["thumb_media_id"], account_cover);
  EXPECT_EQ(a[3]["thumb_media_id"], a[0]["thumb_media_id"]);
  const std::regex img(R"re(<img src="(http://mmbiz\.qpic\.cn/test_body/[^"]+)")re");
  const std::string c0 = a[0]["content"];
  EXPECT_EQ(std::distance(std::sregex_iterator(c0.begin(), c0.end(), img), std::sregex_iterator()), 2);
  EXPECT_EQ(st["drafts"][0]["external_images_filtered"], 0);
  // Caption and credit under the photo, escaped; the JPEG is after block 1, before block 2's text.
  EXPECT_NE(c0.find("江边&lt;script&gt;x&lt;/script&gt;的厂房"), std::string::npos);
  EXPECT_NE(c0.find("记者 刘茜"), std::string::npos);
  EXPECT_LT(c0.find("test_body"), c0.find("自治区党委"));
  const std::string c1 = a[1]["content"];
  EXPECT_EQ(c1.find("<img"), std::string::npos);
  EXPECT_NE(c1.find("只有图说"), std::string::npos);
  const auto uploads = calls(st, "/cgi-bin/media/uploadimg");
  const auto materials = calls(st, "/cgi-bin/material/add_material");
  EXPECT_EQ(uploads, 2U);
  EXPECT_EQ(materials, 2U);

  // A replay, a restart, and a corrected article 1 (new hash, same photos): a new draft, no upload.
  auto fixed = env.arts;
  fixed[0].set_content_sha256("sha-fixed");
  fixed[0].mutable_blocks(0)->set_text("更正后的正文。");
  {
    auto restarted = env.sink();
    ASSERT_EQ(restarted->write(batch).kind, verdict::ok);
    const auto again = envelopes(std::vector<Article>{fixed[0]});
    const auto v = restarted->write(again);
    ASSERT_EQ(v.kind, verdict::ok) << v.reason;
    ASSERT_TRUE(v.rejected.empty());
  }
  st = env.server.state(true);
  EXPECT_EQ(st["drafts"].size(), 2U);
  EXPECT_EQ(calls(st, "/cgi-bin/media/uploadimg"), uploads);
  EXPECT_EQ(calls(st, "/cgi-bin/material/add_material"), materials);
  EXPECT_EQ(st["images"].size(), 2U);
  const std::string revised = st["drafts"][1]["articles"][0]["content"];
  EXPECT_EQ(std::distance(std::sregex_iterator(revised.begin(), revised.end(), img), std::sregex_iterator()),
            2);
}

TEST(FeedPhotos, AMissingBlobLeavesTheCaptionAndTheAccountCover) {
  photo_env env;
  Article a = make_article(1);
  add_photo(a, {std::string(64, 'a'), 10}, "image/jpeg", 1, "找不到的照片", "");
  auto sink = env.sink();
  const auto v = sink->write(envelopes(std::vector<Article>{a}));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  ASSERT_TRUE(v.rejected.empty());
  const auto st = env.server.state(true);
  EXPECT_EQ(calls(st, "/cgi-bin/media/uploadimg"), 0U);
  ASSERT_EQ(st["drafts"].size(), 1U);
  const std::string c = st["drafts"][0]["articles"][0]["content"];
  EXPECT_EQ(c.find("<img"), std::string::npos);
  EXPECT_NE(c.find("找不到的照片"), std::string::npos);
}

TEST(FeedPhotos, AnImageThePlatformRefusesLeavesItsCaption) {
  photo_env env;
  // uploadimg refuses the first image as too large (40009): that photo shows as its caption, the
  // article's other photo is uploaded, nothing is rejected.
  env.server.control(nlohmann::json{{"fail_next", 1}, {"path", "media/uploadimg"}, {"errcode", 40009}});
  auto sink = env.sink();
  const auto v = sink->write(envelopes(env.arts));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  ASSERT_TRUE(v.rejected.empty()) << v.rejected.front().second;
  const auto st = env.server.state(true);
  EXPECT_EQ(st["faults_injected"], 1);
  // The refusal is not cached: article 4's copy of the same JPEG is tried again (and taken).
  EXPECT_EQ(calls(st, "/cgi-bin/media/uploadimg"), 3U);
  EXPECT_EQ(st["images"].size(), 2U);
  ASSERT_EQ(st["drafts"].size(), 1U);
  const std::string c0 = st["drafts"][0]["articles"][0]["content"];
  const std::regex img(R"re(<img src=)re");
  EXPECT_EQ(std::distance(std::sregex_iterator(c0.begin(), c0.end(), img), std::sregex_iterator()), 1);
  EXPECT_NE(c0.find("江边&lt;script&gt;x&lt;/script&gt;的厂房"), std::string::npos);  // its caption stays
  const std::string c3 = st["drafts"][0]["articles"][3]["content"];
  EXPECT_EQ(std::distance(std::sregex_iterator(c3.begin(), c3.end(), img), std::sregex_iterator()), 1);
}

TEST(FeedPhotos, AnUploadQuotaHoldsTheIssueAndNothingIsRejected) {
  photo_env env;
  env.server.control(nlohmann::json{{"quota", {{"api", "media/uploadimg"}, {"daily_limit", 1}}}});
  auto sink = env.sink();
  const auto v = sink->write(envelopes(env.arts));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_TRUE(v.rejected.empty());
  auto st = env.server.state(true);
  EXPECT_EQ(st["drafts"].size(), 0U);                    // held until the quota is back
  EXPECT_EQ(calls(st, "/cgi-bin/media/uploadimg"), 2U);  // one taken, one refused (45009)
}

TEST(WechatTestServerPhotos, ContentImagesMustBeUploadedByTheSameApp) {
  photo_env env;
  syn::feed::wechat::client_options o;
  o.api_base_url = env.server.base_url();
  syn::feed::wechat::client c(o, std::make_shared<syn::http::client>(syn::http::client_options{}));
  const syn::feed::wechat::credentials a{"wx_a", "sa"}, b{"wx_b", "sb"};
  const auto jpeg = syn::testing::make_test_jpeg(64, 48);
  auto url = c.upload_image(a, "p.jpg", jpeg);
  ASSERT_TRUE(url) << url.error().message();
  auto cover_b = c.add_material(b, "c.jpg", jpeg);
  ASSERT_TRUE(cover_b);
  syn::feed::draft_article d;
  d.title = "t";
  d.content = "<p>x</p><p><img src=\"" + url.value() + "\"/></p>";
  d.thumb_media_id = cover_b.value().media_id;
  auto refused = c.add_draft(b, std::vector{d});  // wx_a's image in wx_b's draft
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode(), 45166);
  auto url_b = c.upload_image(b, "p.jpg", jpeg);
  ASSERT_TRUE(url_b);
  d.content = "<p>x</p><p><img src=\"" + url_b.value() + "\"/></p>";
  EXPECT_TRUE(c.add_draft(b, std::vector{d}));
  // uploadimg's own rules [4]: a PNG over 1 MB is 40009, a WebP 40005 (jpg/png only).
  auto big = c.upload_image(b, "big.png", noise_png(1400, 1000));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().errcode(), 40009);
  auto webp = c.upload_image(b, "p.webp", webp_of(jpeg));
  ASSERT_FALSE(webp);
  EXPECT_EQ(webp.error().errcode(), 40005);
}

TEST(FeedImages, FitKeepsWhatFitsAndConvertsWhatDoesNot) {
  const auto jpeg = syn::testing::make_test_jpeg(320, 200);
  auto same = images::fit(jpeg, images::wechat_body_image());
  ASSERT_TRUE(same) << same.error().to_string();
  EXPECT_FALSE(same.value().converted);
  EXPECT_EQ(same.value().bytes, jpeg);
  EXPECT_EQ(same.value().width, 320U);

  const auto png = noise_png(1400, 1000);
  ASSERT_GT(png.size(), 1U << 20U);
  auto small = images::fit(png, images::wechat_body_image());
  ASSERT_TRUE(small) << small.error().to_string();
  EXPECT_TRUE(small.value().converted);
  EXPECT_EQ(small.value().format, "jpeg");
  EXPECT_LT(small.value().bytes.size(), 1U << 20U);
  EXPECT_EQ(images::sniff(small.value().bytes), "jpeg");
  EXPECT_EQ(small.value().width * 1000U, small.value().height * 1400U);  // aspect kept

  auto webp = images::fit(webp_of(jpeg), images::wechat_material_image());  // add_material: no WebP
  ASSERT_TRUE(webp);
  EXPECT_EQ(webp.value().format, "jpeg");
  EXPECT_EQ(webp.value().width, 320U);

  auto bad = images::fit("\xFF\xD8\xFF garbage", images::wechat_body_image());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().value(), images::errc::invalid);
  images::target tiny = images::wechat_body_image();
  tiny.max_pixels = 1000;
  auto bomb = images::fit(jpeg, tiny);
  ASSERT_FALSE(bomb);
  EXPECT_NE(bomb.error().message().find("over the limit"), std::string::npos);

  auto w = images::scale_to_width(jpeg, 160);
  ASSERT_TRUE(w);
  EXPECT_EQ(w.value().width, 160U);
  EXPECT_EQ(w.value().height, 100U);
}

namespace {

/// A blob store that counts what it is asked (the feed server must not ask for a bad name).
class counting_store final : public syn::blob::store {
 public:
  explicit counting_store(std::shared_ptr<syn::blob::store> s) : s_(std::move(s)) {}
  syn::blob::result<syn::blob::ref> put(std::string_view b) override { return s_->put(b); }
  syn::blob::result<syn::blob::ref> put_file(const std::filesystem::path& f) override {
    return s_->put_file(f);
  }
  syn::blob::result<std::uint64_t> size(std::string_view h) override {
    ++asked;
    return s_->size(h);
  }
  syn::blob::result<std::string> get(std::string_view h, std::uint64_t max) override {
    ++asked;
    return s_->get(h, max);
  }
  [[nodiscard]] std::string describe() const override { return "counting " + s_->describe(); }
  std::atomic<int> asked{0};

 private:
  std::shared_ptr<syn::blob::store> s_;
};

syn::http::request page_request(std::string path, std::string query_w = {}, std::string inm = {}) {
  syn::http::request r;
  r.method = "GET";
  r.target = path;
  r.path = std::move(path);
  if (!query_w.empty()) r.query["w"] = std::move(query_w);
  if (!inm.empty()) r.headers["if-none-match"] = std::move(inm);
  return r;
}

std::string header(const syn::http::response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

TEST(FeedServerPhotos, PagesShowThePhotosAndTheServerServesThemImmutable) {
  photo_env env;
  {
    auto sink = env.sink();
    ASSERT_EQ(sink->write(envelopes(env.arts)).kind, verdict::ok);
  }
  auto state = std::make_shared<syn::feed::state_store>(env.state_path(), true);
  auto counting = std::make_shared<counting_store>(env.blobs);
  syn::feed::feed_server_options o;
  o.public_base_url = "https://feeds.example.cn";
  o.accounts = {"cjrb", "web"};
  o.blobs = counting;
  const auto h = syn::feed::make_feed_handler(state, o);

  const auto page = h(page_request("/articles/cjrb-20240130-01-01"));
  ASSERT_EQ(page.status, 200U);
  const auto& b = page.body;
  const std::string jpeg_src = "../photos/" + env.small_jpeg.sha256;
  const std::string png_src = "../photos/" + env.big_png.sha256;
  EXPECT_NE(b.find("<img src=\"" + jpeg_src + "\" width=\"320\" height=\"200\" loading=\"lazy\""),
            std::string::npos)
      << b;  // narrower than every variant: no srcset
  EXPECT_NE(b.find("<img src=\"" + png_src + "\" srcset=\"" + png_src + "?w=480 480w, " + png_src +
                   "?w=960 960w, " + png_src + " 1400w\" sizes="),
            std::string::npos);
  EXPECT_NE(b.find("alt=\"江边&lt;script&gt;x&lt;/script&gt;的厂房\""), std::string::npos);
  EXPECT_NE(b.find("alt=\"物流园区&quot;onerror=&quot;alert(1)\""), std::string::npos);  // stays inside alt
  EXPECT_EQ(b.find("<script>"), std::string::npos);
  EXPECT_NE(b.find("<span class=\"credit\">记者 刘茜 摄</span>"), std::string::npos);

  const auto ph = h(page_request("/photos/" + env.big_png.sha256));
  ASSERT_EQ(ph.status, 200U);
  EXPECT_EQ(ph.content_type, "image/png");
  EXPECT_EQ(syn::sha256_hex(ph.body), env.big_png.sha256);
  EXPECT_EQ(header(ph, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(ph, "ETag"), "\"" + env.big_png.sha256 + "\"");
  const auto again = h(page_request("/photos/" + env.big_png.sha256, {}, "\"" + env.big_png.sha256 + "\""));
  EXPECT_EQ(again.status, 304U);
  EXPECT_TRUE(again.body.empty());

  const int asked = counting->asked;
  const auto small = h(page_request("/photos/" + env.big_png.sha256, "480"));
  ASSERT_EQ(small.status, 200U);
  EXPECT_EQ(small.content_type, "image/jpeg");
  auto fitted = syn::feed::images::fit(small.body, syn::feed::images::wechat_material_image());
  ASSERT_TRUE(fitted);
  EXPECT_EQ(fitted.value().width, 480U);
  EXPECT_EQ(fitted.value().height, 343U);  // 1000 * 480 / 1400, rounded
  EXPECT_EQ(header(small, "ETag"), "\"" + env.big_png.sha256 + "-w480\"");
  EXPECT_EQ(h(page_request("/photos/" + env.big_png.sha256, "480")).body,
            small.body);  // from the variant cache
  EXPECT_EQ(counting->asked, asked + 1);

  // Names that are not a sha256, and widths that are not a variant: 404, the store not asked.
  const int before = counting->asked;
  for (const auto* bad : {"/photos/../../etc/passwd", "/photos/ABCDEF", "/photos/", "/photos/x%2F..%2F"}) {
    EXPECT_EQ(h(page_request(bad)).status, 404U) << bad;
  }
  EXPECT_EQ(h(page_request("/photos/" + std::string(64, 'A'))).status, 404U);
  EXPECT_EQ(h(page_request("/photos/" + env.big_png.sha256, "123")).status, 404U);
  EXPECT_EQ(h(page_request("/photos/" + env.big_png.sha256, "480x")).status, 404U);
  EXPECT_EQ(counting->asked, before);
  EXPECT_EQ(h(page_request("/photos/" + std::string(64, 'b'))).status, 404U);  // well-formed, not stored
  EXPECT_EQ(counting->asked, before + 1);

  // Feeds: RSS enclosure (the lead photo), Atom enclosure links, JSON Feed image and attachments.
  const std::string url = "https://feeds.example.cn/photos/" + env.small_jpeg.sha256;
  const auto rss = h(page_request("/feeds/cjrb.xml")).body;
  EXPECT_NE(rss.find("<enclosure url=\"" + url + "\" length=\"" + std::to_string(env.small_jpeg.bytes) +
                     "\" type=\"image/jpeg\"/>"),
            std::string::npos)
      << rss;
  const auto atom = h(page_request("/feeds/cjrb.atom")).body;
  EXPECT_NE(
      atom.find("<link rel=\"enclosure\" type=\"image/png\" length=\"" + std::to_string(env.big_png.bytes) +
                "\" href=\"https://feeds.example.cn/photos/" + env.big_png.sha256 + "\""),
      std::string::npos);
  const auto jf = nlohmann::json::parse(h(page_request("/feeds/cjrb.json")).body);
  std::size_t with_image = 0, attachments = 0;
  for (const auto& it : jf["items"]) {
    if (!it.contains("image")) continue;
    ++with_image;
    attachments += it["attachments"].size();
    if (it["id"].get<std::string>().rfind("cjrb-20240130-01-01#", 0) == 0) {
      EXPECT_EQ(it["image"], url);
      ASSERT_EQ(it["attachments"].size(), 2U);
      EXPECT_EQ(it["attachments"][1]["mime_type"], "image/png");
      EXPECT_EQ(it["attachments"][1]["size_in_bytes"], env.big_png.bytes);
    }
  }
  EXPECT_EQ(with_image, 2U);  // articles 1 and 4
  EXPECT_EQ(attachments, 3U);
}
